// The engine contract suite: drives any SecretsEngine directly (no HTTP) with a minimal
// EngineContext built here, against a real target. Every engine passes it: initialize proves
// the target answers, a new credential really works, the wrong secret does not, deletion is
// idempotent and leaves nothing that works, and no secret reaches the log.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { EngineContext, EnginePlugin, Requester, SecretsEngine } from '../../plugins/sdk/types.js';

export interface TestEngineContext extends EngineContext {
  /** Every log entry as one JSON line, for no-secret checks. */
  logLines: string[];
  /** Moves the injected clock. */
  advance(ms: number): void;
  stateMap: Map<string, unknown>;
}

/**
 * A context like the core's: state in a Map (what `lessor dev` keeps in-process), sealing with
 * AES-256-GCM under a random key, a settable clock and a log that records lines.
 */
export function testEngineContext(startMs = Date.now()): TestEngineContext {
  const key = randomBytes(32);
  const logLines: string[] = [];
  const stateMap = new Map<string, unknown>();
  const secrets = new Map<string, Buffer>();
  let offset = 0;
  const line = (level: string) => (obj: object, msg: string) => logLines.push(JSON.stringify({ level, ...obj, msg }));
  return {
    logLines,
    stateMap,
    advance: (ms) => void (offset += ms),
    log: { info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug') },
    now: () => startMs + offset,
    state: {
      get: async <T>(k: string) => (stateMap.has(k) ? (JSON.parse(JSON.stringify(stateMap.get(k))) as T) : undefined),
      set: async (k, v) => void stateMap.set(k, JSON.parse(JSON.stringify(v))),
      del: async (k) => void stateMap.delete(k),
    },
    secretKey: async (name) => {
      if (!secrets.has(name)) secrets.set(name, randomBytes(32));
      return secrets.get(name)!;
    },
    seal: async (plain) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
    },
    open: async (sealed) => {
      const raw = Buffer.from(sealed, 'base64');
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]);
    },
  };
}

export function requester(displayName = 'token', extra: Partial<Requester> = {}): Requester {
  return { displayName, metadata: {}, entityName: displayName, policies: ['default'], ...extra };
}

/** Issues one credential the way the core does: id first (intent), then creation. */
export async function issue<C, R>(
  engine: SecretsEngine<C, R>, ctx: EngineContext, roleName: string, role: R,
  opts: { displayName?: string; ttlMs?: number; maxTtlMs?: number } = {},
): Promise<{ id: string; data: Record<string, any>; internal?: Record<string, unknown>; expiresAt: number }> {
  const now = ctx.now();
  const leaseId = `test/creds/${roleName}/${randomUUID()}`;
  const who = requester(opts.displayName);
  const id = engine.credentialId({ leaseId, roleName, role, requester: who, now });
  const expiresAt = now + (opts.ttlMs ?? 3600_000);
  const res = await engine.newCredential({
    credentialId: id, roleName, role, requester: who, expiresAt, maxExpiresAt: now + (opts.maxTtlMs ?? 86400_000), leaseId,
  }, ctx);
  return { id, data: res.data as Record<string, any>, internal: res.internal, expiresAt };
}

export interface ContractSubject<C, R> {
  plugin: EnginePlugin<C, R>;
  config: C;
  roleName: string;
  role: R;
  /** Does this credential (as returned in data) work against the target? */
  works(data: Record<string, any>): Promise<boolean>;
  /** The same credential with its secret changed by one character. */
  tamper(data: Record<string, any>): Record<string, any>;
  /** Secret values of a config that must never be logged. */
  configSecrets: string[];
}

/** The contract every engine passes; engine-specific behaviour has its own tests beside it. */
export async function runEngineContract<C, R>(t: Test, s: ContractSubject<C, R>): Promise<void> {
  const ctx = testEngineContext();
  const engine = s.plugin.create();
  t.teardown(() => engine.close());
  const { config } = await engine.initialize({ config: s.config, verifyConnection: true }, ctx);

  await t.test('a new credential works and a tampered one does not', async (t) => {
    const cred = await issue(engine, ctx, s.roleName, s.role);
    t.ok(cred.id, 'credential id known before creation');
    t.ok(await s.works(cred.data), 'credential works');
    t.notOk(await s.works(s.tamper(cred.data)), 'secret plus one character refused');
    await engine.deleteCredential({ credentialId: cred.id, roleName: s.roleName, role: s.role, internal: cred.internal }, ctx);
    t.notOk(await s.works(cred.data), 'deleted credential no longer works');
    await engine.deleteCredential({ credentialId: cred.id, roleName: s.roleName, role: s.role, internal: cred.internal }, ctx);
    t.ok(true, 'second delete succeeds (idempotent)');
    const logs = ctx.logLines.join('\n');
    for (const secret of [String(cred.data.password ?? cred.data.secret ?? ''), ...s.configSecrets].filter(Boolean)) {
      t.notOk(logs.includes(secret), 'no secret in the log');
    }
    t.ok(config, 'initialize returned a config');
  });
}
