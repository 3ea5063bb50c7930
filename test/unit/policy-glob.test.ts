// Vault's policy globs (go-glob): `*` is any run of characters, anywhere; nothing else is special.
import t from 'tap';
import { policyGlobMatch } from '../../src/auth/token-roles.js';

t.test('policy glob matching', async (t) => {
  const cases: [string, string, boolean][] = [
    ['team-*', 'team-a', true], ['team-*', 'team-', true], ['team-*', 'xteam-a', false],
    ['*-reader', 'billing-reader', true], ['*-reader', 'billing-readers', false],
    ['a*b*c', 'abc', true], ['a*b*c', 'axxbyyc', true], ['a*b*c', 'acb', false], ['a*bc*bc', 'abcbc', true], ['ab*ba', 'aba', false],
    ['*', 'anything', true], ['*', '', true], ['exact', 'exact', true], ['exact', 'exactly', false],
    ['team?', 'team?', true], ['team?', 'teams', false], ['[ab]', 'a', false],
  ];
  for (const [pattern, name, want] of cases) t.equal(policyGlobMatch(pattern, name), want, `${pattern} ~ ${name}`);
});
