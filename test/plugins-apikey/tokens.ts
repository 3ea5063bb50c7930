// A token holding one ACL policy, made through the real API (sys/policies/acl + auth/token/create).
import type { TestRuntime } from '../helpers/test-runtime.js';

export async function tokenWithPolicy(
  tr: TestRuntime,
  name: string,
  paths: Record<string, string[]>,
  meta?: Record<string, string>,
): Promise<string> {
  const policy = { path: Object.fromEntries(Object.entries(paths).map(([p, caps]) => [p, { capabilities: caps }])) };
  const put = await tr.call('PUT', `sys/policies/acl/${name}`, { body: { policy: JSON.stringify(policy) } });
  if (put.status !== 204) throw new Error(`policy ${name}: ${put.status} ${JSON.stringify(put.body)}`);
  const res = await tr.call('POST', 'auth/token/create', { body: { policies: [name], ...(meta ? { meta } : {}) } });
  if (res.status !== 200) throw new Error(`token for ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.auth.client_token as string;
}

/** A clock tests move by hand (EngineContext.now, leases and reaper all read it). */
export function manualClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) };
}
