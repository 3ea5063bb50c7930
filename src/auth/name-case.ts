/**
 * Names that are case-insensitive, as in Vault: AppRole role names, userpass usernames and ACL
 * policy names are stored lowercased. A request names one in its path (after one of these
 * prefixes); the HTTP layer lowercases it before the ACL check (src/http/canonical-names.ts), and
 * the ACL lowercases a rule naming one the same way when it compiles it (policy-acl.ts), so
 * `path "auth/approle/role/R1"` is a rule on the role every spelling of R1 reaches.
 */
export const CASE_INSENSITIVE_PREFIXES = ['auth/approle/role/', 'auth/userpass/users/', 'auth/userpass/login/', 'sys/policies/acl/', 'sys/policy/'];

export const canonicalName = (name: string): string => name.toLowerCase();

/**
 * A policy pattern with the name segment after a case-insensitive prefix lowercased. Only a
 * literal prefix counts: `auth/+/role/X` may mean a route whose names keep their case.
 */
export function canonicalPattern(pattern: string): string {
  for (const prefix of CASE_INSENSITIVE_PREFIXES) {
    if (!pattern.startsWith(prefix)) continue;
    const rest = pattern.slice(prefix.length);
    const end = rest.indexOf('/');
    const name = end < 0 ? rest : rest.slice(0, end);
    return prefix + canonicalName(name) + (end < 0 ? '' : rest.slice(end));
  }
  return pattern;
}
