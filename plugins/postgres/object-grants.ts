/**
 * Per-object GRANT and REVOKE statements rewrite the object's ACL in its catalog row. Two
 * transactions doing that to one table do not queue: the second waits for the first to commit
 * and then fails with "tuple concurrently updated", so concurrent grouped creations of a
 * per-table role mostly failed and retried (bench pg-creds grant20). Such creations first take
 * one transaction-level advisory lock per database, so they wait their turn instead, across
 * every lessor replica. Creations that only join a group role (`IN ROLE`, `GRANT role TO`)
 * touch no object's ACL and run side by side as before.
 */
const OBJECT_PRIVILEGE = /\b(?:GRANT|REVOKE)\b[\s\S]*?\bON\b/i;

/** Held until the grouped transaction ends; the key is a fixed name hashed by the server. */
export const OBJECT_GRANTS_LOCK = "SELECT pg_advisory_xact_lock(hashtext('lessor: per-object grants'))";

export function changesObjectPrivileges(statement: string): boolean {
  return OBJECT_PRIVILEGE.test(statement);
}

/** The statements, behind the lock when any of them grants or revokes on an object. */
export function inTurnForObjectGrants(statements: string[]): string[] {
  return statements.some(changesObjectPrivileges) ? [OBJECT_GRANTS_LOCK, ...statements] : statements;
}
