/**
 * The jwt mount's own paths: rotate-now, the public JWKS and OIDC discovery documents, and
 * RFC 7662 introspection; plus the scheduled rotation job. Rotation is scheduled through the
 * core (MountApi.schedule → runJob), which runs a job once across all replicas; runJob also
 * re-checks the due time itself, so a duplicate or early run changes nothing.
 */
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { notFoundError, unavailableError, type EngineRoute, type MountApi } from '../sdk/index.js';
import { jtiKey } from './engine.js';
import { inWindow, publicKeyFor, rotate, rotationDue, type PublicKeyEntry, type ReadyKeyConfig } from './keyset.js';

/** Upper bound on how long verifiers may cache the JWKS / discovery documents. */
const MAX_CACHE_SECONDS = 3600;
const jobId = (name: string) => `rotate:${name}`;

export async function scheduleRotation(api: MountApi, name: string, config: ReadyKeyConfig): Promise<void> {
  const due = rotationDue(config);
  if (due === undefined) await api.unschedule(jobId(name));
  else await api.schedule(jobId(name), due);
}

export async function rotateKeySet(api: MountApi, name: string): Promise<ReadyKeyConfig> {
  let retired: string | undefined;
  const apply = async (current: Record<string, unknown>) => {
    const config = current as unknown as ReadyKeyConfig;
    retired = config.current_kid;
    return (await rotate(config, api.ctx.now())) as unknown as Record<string, unknown>;
  };
  let next: ReadyKeyConfig;
  if (api.updateConfig) {
    // Compare-and-set: a scheduled rotation racing a manual one rotates twice instead of one
    // overwriting the other's new key (tokens signed with a lost key would stop verifying).
    next = (await api.updateConfig(name, apply)) as unknown as ReadyKeyConfig;
  } else {
    const config = await api.readConfig(name);
    if (!config) throw notFoundError(`no key set named ${name}`);
    next = (await apply(config)) as unknown as ReadyKeyConfig;
    // Every replica's cached instance follows the config's version, so this write is the switch.
    await api.writeConfig(name, next as unknown as Record<string, unknown>);
  }
  await scheduleRotation(api, name, next);
  api.ctx.log.info({ keySet: name, kid: next.current_kid, retired }, 'signing key rotated');
  return next;
}

export async function runRotationJob(id: string, api: MountApi): Promise<void> {
  const m = /^rotate:(.+)$/.exec(id);
  if (!m) return;
  const config = (await api.readConfig(m[1])) as ReadyKeyConfig | undefined;
  if (!config) return; // key set deleted since
  const due = rotationDue(config);
  if (due === undefined) return;
  if (due <= api.ctx.now()) await rotateKeySet(api, m[1]);
  else await api.schedule(id, due); // rotated by hand meanwhile: wait for the new key's turn
}

export async function onKeySetWrite(name: string, config: Record<string, unknown> | undefined, api: MountApi): Promise<void> {
  if (!config) return api.unschedule(jobId(name));
  await scheduleRotation(api, name, config as unknown as ReadyKeyConfig);
}

interface NamedKeySet {
  name: string;
  config: ReadyKeyConfig;
}

async function keySets(api: MountApi): Promise<NamedKeySet[]> {
  if (!api.listConfigs) throw unavailableError('this lessor core cannot list key sets (MountApi.listConfigs)');
  const names = await api.listConfigs();
  const configs = await Promise.all(names.map((n) => api.readConfig(n)));
  const sets = names
    .map((name, i) => ({ name, config: configs[i] as unknown as ReadyKeyConfig }))
    .filter((s) => s.config && Array.isArray(s.config.keys));
  // Safety net for a rotation nobody scheduled (a key set written before this replica ran, a
  // lost job): a key past its rotation time gets its job now. Verifiers refetch this document
  // when its max-age (the time to the next rotation) runs out, so an overdue key is noticed.
  const now = api.ctx.now();
  await Promise.all(sets.map((s) => {
    const due = rotationDue(s.config);
    return due !== undefined && due <= now ? api.schedule(jobId(s.name), due) : undefined;
  }));
  return sets;
}

function liveKeys(sets: NamedKeySet[], now: number): PublicKeyEntry[] {
  const seen = new Map<string, PublicKeyEntry>();
  for (const { config: set } of sets) for (const k of set.keys) if (inWindow(k, set.verification_ttl, now) && !seen.has(k.kid)) seen.set(k.kid, k);
  return [...seen.values()];
}

/** Verifiers may cache until the next rotation, never past MAX_CACHE_SECONDS. */
function cacheHeaders(sets: NamedKeySet[], now: number): Record<string, string> {
  const dues = sets.map((s) => rotationDue(s.config)).filter((d): d is number => d !== undefined);
  const seconds = Math.min(MAX_CACHE_SECONDS, ...dues.map((d) => Math.ceil((d - now) / 1000)));
  return { 'cache-control': `public, max-age=${Math.max(0, seconds)}` };
}

const INACTIVE = { raw: true, data: { active: false } } as const;

async function introspect(token: string, api: MountApi) {
  const now = api.ctx.now();
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return INACTIVE;
  }
  const entry = liveKeys(await keySets(api), now).find((k) => k.kid === kid);
  if (!entry) return INACTIVE;
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, await publicKeyFor(entry), { algorithms: [entry.alg], currentDate: new Date(now) }));
  } catch {
    return INACTIVE; // bad signature, expired, malformed: all simply not active
  }
  // The jti entry lives exactly as long as the lease: gone means revoked.
  if (typeof payload.jti !== 'string' || !(await api.ctx.state.get(jtiKey(payload.jti)))) return INACTIVE;
  return { raw: true, data: { active: true, token_type: 'Bearer', ...payload } };
}

export const routes: EngineRoute[] = [
  {
    method: 'POST',
    path: 'keys/:name/rotate',
    capabilities: ['update'],
    body: { type: 'object', additionalProperties: false, properties: {} },
    async handler(req, api) {
      const next = await rotateKeySet(api, req.params.name);
      return { data: { current_kid: next.current_kid } };
    },
  },
  {
    method: 'GET',
    path: '.well-known/jwks.json',
    public: true,
    async handler(_req, api) {
      const now = api.ctx.now();
      const sets = await keySets(api);
      return { raw: true, data: { keys: liveKeys(sets, now).map((k) => k.public_jwk) }, headers: cacheHeaders(sets, now) };
    },
  },
  {
    method: 'GET',
    path: '.well-known/openid-configuration',
    public: true,
    async handler(req, api) {
      const now = api.ctx.now();
      const sets = await keySets(api);
      const base = `${req.origin ?? ''}/v1/${api.mount}`;
      return {
        raw: true,
        headers: cacheHeaders(sets, now),
        data: {
          issuer: base,
          jwks_uri: `${base}/.well-known/jwks.json`,
          introspection_endpoint: `${base}/introspect`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [...new Set(sets.map((s) => s.config.algorithm))],
        },
      };
    },
  },
  {
    method: 'POST',
    path: 'introspect',
    capabilities: ['update'],
    body: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', maxLength: 16384 } } },
    handler: (req, api) => introspect(String(req.body.token), api),
  },
];
