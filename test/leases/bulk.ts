// Writes many leases straight into the store (as the creds route would, minus the HTTP), so the
// bulk tests spend their time on what they measure.
import type { LeaseStore } from '../../src/leases/lease-store.js';

export async function bulkLeases(store: LeaseStore, n: number, opts: { role?: string; expireAt: number; now: number; tag?: string }): Promise<string[]> {
  const role = opts.role ?? 'app';
  const ids: string[] = [];
  for (let i = 0; i < n; i += 500) {
    const chunk = Array.from({ length: Math.min(500, n - i) }, (_, j) => {
      const k = `${opts.tag ?? 'b'}${String(i + j).padStart(6, '0')}`;
      return {
        id: `fake/creds/${role}/${k}`, mount: 'fake', plugin: 'fake', config: 'main', roleName: role,
        role: { db_name: 'main' }, credentialId: `fake_${k}`, tokenId: 'bulk-token', ancestors: [],
        issueTime: opts.now, expireTime: opts.expireAt, maxExpireTime: Math.max(opts.expireAt, opts.now + 3600_000), ttl: 3600,
      };
    });
    await Promise.all(chunk.map((l) => store.create(l, 'active', opts.now)));
    ids.push(...chunk.map((l) => l.id));
  }
  return ids;
}
