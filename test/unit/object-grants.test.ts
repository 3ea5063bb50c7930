// Which creation statements make grouped PostgreSQL creations take turns: those that rewrite an
// object's ACL (they collide), not those that only add a role membership (they do not).
import t from 'tap';
import { changesObjectPrivileges, inTurnForObjectGrants, OBJECT_GRANTS_LOCK } from '../../plugins/postgres/object-grants.js';

t.test('per-object grants and revokes are recognised; role memberships are not', async (t) => {
  const cases: [string, boolean][] = [
    ['GRANT SELECT ON items TO "{{name}}"', true],
    ['grant select, insert on all tables in schema public to "{{name}}"', true],
    ['GRANT USAGE ON SCHEMA app TO "{{name}}"', true],
    ['REVOKE ALL ON items FROM "{{name}}"', true],
    [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE readers`, false],
    ['GRANT readers TO "{{name}}"', false],
    ['GRANT readers TO "{{name}}" WITH ADMIN OPTION', false],
    ['ALTER ROLE "{{name}}" SET search_path = app', false],
  ];
  for (const [statement, want] of cases) t.equal(changesObjectPrivileges(statement), want, statement);
});

t.test('only a batch with a per-object grant takes the lock, first', async (t) => {
  const membership = ['CREATE ROLE "a" LOGIN IN ROLE readers', 'CREATE ROLE "b" LOGIN IN ROLE readers'];
  t.same(inTurnForObjectGrants(membership), membership, 'memberships run as they are');
  const perTable = ['CREATE ROLE "a" LOGIN', 'GRANT SELECT ON items TO "a"'];
  t.same(inTurnForObjectGrants(perTable), [OBJECT_GRANTS_LOCK, ...perTable], 'per-table grants wait for the lock first');
});
