/**
 * Static roles: an existing database user whose password lessor rotates. Rotation is two-phase
 * and crash-safe (the seeds' stored-password rotation, done safely):
 *
 *   begin    a new password is generated and stored as `pending` (sealed, in the config store)
 *            and a retry is scheduled, before the database is touched;
 *   apply    the password is set in the database;
 *   promote  the pending password is verified by logging in with it, then becomes current.
 *
 * A crash anywhere leaves either a pending password not yet applied (current still works) or an
 * applied one not yet promoted; the scheduled retry finishes the job either way. A failure keeps
 * the old password current and retries with exponential backoff.
 */
import { CronExpressionParser } from 'cron-parser';
import { configError, notFoundError } from './errors.js';
import { generatePassword, type PasswordPolicy } from './password-policy.js';
import type { MountApi, SecretsEngine } from './types.js';

export const STATIC_KIND = 'static-role';
export const jobIdFor = (name: string) => `static-rotate:${name}`;

/**
 * Marks a username as a static role's in the mount's state, so the reconciler (which sees only
 * leases) never offers a static user for revocation when its name happens to match the template.
 */
export const staticUserKey = (username: string) => `static-user:${username}`;

export interface StaticRoleDoc {
  db_name: string;
  username: string;
  rotation_period?: number;
  rotation_schedule?: string;
  rotation_statements?: string | string[];
  /** Current password and when lessor set it (ms). */
  password?: string;
  last_vault_rotation?: number;
  pending?: { password: string; since: number; applied?: boolean };
  failures?: number;
  next_rotation?: number;
}

const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 3600_000;

export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

/** When the password is next due for rotation after `from` (ms). */
export function nextRotation(doc: StaticRoleDoc, from: number): number {
  if (doc.rotation_schedule) {
    try {
      return CronExpressionParser.parse(doc.rotation_schedule, { currentDate: new Date(from), tz: 'UTC' }).next().getTime();
    } catch {
      throw configError(`rotation_schedule is not a valid cron expression: ${doc.rotation_schedule}`);
    }
  }
  return from + (doc.rotation_period ?? 86400) * 1000;
}

async function load(api: MountApi, name: string): Promise<StaticRoleDoc> {
  const doc = await api.docs.get<StaticRoleDoc>(STATIC_KIND, name);
  if (!doc) throw notFoundError(`no static role named "${name}"`);
  return doc;
}

/** Runs fn with the role's database engine held (a config write meanwhile does not close it under fn). */
function withEngine<T>(api: MountApi, doc: StaticRoleDoc, fn: (engine: SecretsEngine<unknown, unknown>, policy: PasswordPolicy | undefined) => Promise<T>): Promise<T> {
  return api.withInstance(doc.db_name, ({ engine, config }) => {
    if (!engine.updateCredential || !engine.verifyCredential) throw configError(`config "${doc.db_name}" cannot rotate static passwords`);
    return fn(engine, config.password_policy as PasswordPolicy | undefined);
  });
}

/** Changes the stored role over the version it read; a role deleted meanwhile stays deleted. */
function updateRole(api: MountApi, name: string, change: (doc: StaticRoleDoc) => StaticRoleDoc | undefined) {
  return api.docs.update<StaticRoleDoc>(STATIC_KIND, name, (doc) => {
    if (!doc) throw notFoundError(`no static role named "${name}"`);
    return change(doc);
  }) as Promise<StaticRoleDoc>;
}

/** Phase 1: a pending password, stored before anything changes in the database. */
export async function beginRotation(api: MountApi, name: string): Promise<StaticRoleDoc> {
  const current = await load(api, name);
  if (current.pending) return current;
  const password = await withEngine(api, current, async (_engine, policy) => generatePassword(policy));
  const now = api.ctx.now();
  // A rotation begun elsewhere meanwhile keeps its pending password: this one joins it.
  const doc = await updateRole(api, name, (d) => (d.pending ? undefined : { ...d, pending: { password, since: now } }));
  // The safety net: if this process dies before promoting, the job finishes the rotation.
  await api.schedule(jobIdFor(name), now + backoffMs((doc.failures ?? 0) + 1));
  return doc;
}

/** Phase 2: the pending password is set in the database. Idempotent. */
export async function applyRotation(api: MountApi, name: string): Promise<StaticRoleDoc> {
  const doc = await load(api, name);
  if (!doc.pending) throw configError(`static role "${name}" has no rotation in progress`);
  const { password } = doc.pending;
  await withEngine(api, doc, (engine) => engine.updateCredential!({
    credentialId: doc.username, roleName: name,
    role: { db_name: doc.db_name, rotation_statements: doc.rotation_statements },
    password,
  }, api.ctx));
  return updateRole(api, name, (d) => (d.pending?.password === password ? { ...d, pending: { ...d.pending, applied: true } } : undefined));
}

/** Phase 3: proven by a login, the pending password becomes current; the next rotation is scheduled. */
export async function promoteRotation(api: MountApi, name: string): Promise<StaticRoleDoc> {
  const doc = await load(api, name);
  if (!doc.pending) return doc;
  const { password } = doc.pending;
  if (!(await withEngine(api, doc, (engine) => engine.verifyCredential!({ credentialId: doc.username, password }, api.ctx)))) {
    throw configError(`static role "${name}": the new password does not log in`);
  }
  const now = api.ctx.now();
  let promoted = false;
  const next = await updateRole(api, name, (d) => {
    // Promoted by another replica meanwhile (or a newer rotation begun): nothing to do here.
    promoted = d.pending?.password === password;
    if (!promoted) return undefined;
    const { pending: _done, ...rest } = d;
    return { ...rest, password, last_vault_rotation: now, failures: 0, next_rotation: nextRotation(d, now) };
  });
  if (!promoted) return next;
  await api.schedule(jobIdFor(name), next.next_rotation!);
  api.ctx.log.info({ staticRole: name, username: next.username }, 'static role password rotated');
  return next;
}

/**
 * A whole rotation, resuming one left half-done: a pending password that already logs in is
 * only promoted; one that does not is (re)applied first. On failure the current password stays,
 * and a retry is scheduled with backoff.
 */
export async function rotateStaticRole(api: MountApi, name: string): Promise<StaticRoleDoc> {
  try {
    let doc = await beginRotation(api, name);
    const works = await withEngine(api, doc, (engine) => engine.verifyCredential!({ credentialId: doc.username, password: doc.pending!.password }, api.ctx));
    if (!works) doc = await applyRotation(api, name);
    return await promoteRotation(api, name);
  } catch (err) {
    const doc = await api.docs.update<StaticRoleDoc>(STATIC_KIND, name, (d) => d && { ...d, failures: (d.failures ?? 0) + 1 });
    if (doc) {
      await api.schedule(jobIdFor(name), api.ctx.now() + backoffMs(doc.failures ?? 1));
      api.ctx.log.warn({ staticRole: name, failures: doc.failures, error: (err as Error).message }, 'static role rotation failed; will retry');
    }
    throw err;
  }
}

/** The scheduled job: rotates when due (or when a rotation was left half-done), else reschedules. */
export async function runStaticRoleJob(jobId: string, api: MountApi): Promise<void> {
  if (!jobId.startsWith('static-rotate:')) return;
  const name = jobId.slice('static-rotate:'.length);
  const doc = await api.docs.get<StaticRoleDoc>(STATIC_KIND, name);
  if (!doc) return; // deleted meanwhile
  const now = api.ctx.now();
  if (!doc.pending && doc.next_rotation !== undefined && doc.next_rotation > now) {
    await api.schedule(jobId, doc.next_rotation); // fired early or duplicated: keep the real due time
    return;
  }
  // Failures are recorded and rescheduled inside; the job itself is done.
  await rotateStaticRole(api, name).catch(() => {});
}
