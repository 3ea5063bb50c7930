import type { StoredToken, TokenRecord } from './token-store.js';

/** Vault's wire shapes for tokens: the `auth` block of a login and the `data` of a lookup. */
export function authBlock(token: string, record: TokenRecord, expireTime: number, now: number) {
  const meta = Object.keys(record.meta).length ? record.meta : null;
  return {
    client_token: token,
    accessor: record.accessor,
    policies: record.policies,
    token_policies: record.policies,
    metadata: meta,
    lease_duration: expireTime === 0 ? 0 : Math.max(0, Math.round((expireTime - now) / 1000)),
    renewable: record.renewable,
    entity_id: '',
    token_type: 'service',
    orphan: record.parent === '',
    mfa_requirement: null,
    num_uses: record.numUses,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `id` is the token itself, shown only to a caller who presented it (lookup-self, lookup). */
export function lookupData(stored: StoredToken, now: number, id: string) {
  const r = stored.record;
  const data: Record<string, unknown> = {
    accessor: r.accessor,
    creation_time: Math.floor(r.creationTime / 1000),
    creation_ttl: r.creationTtl,
    display_name: r.displayName,
    entity_id: '',
    expire_time: stored.expireTime === 0 ? null : iso(stored.expireTime),
    explicit_max_ttl: r.explicitMaxTtl,
    id,
    issue_time: iso(r.creationTime),
    meta: Object.keys(r.meta).length ? r.meta : null,
    num_uses: r.numUses === 0 ? 0 : Math.max(0, stored.usesLeft),
    orphan: r.parent === '',
    path: r.path,
    policies: r.policies,
    renewable: r.renewable,
    ttl: stored.expireTime === 0 ? 0 : Math.max(0, Math.round((stored.expireTime - now) / 1000)),
    type: 'service',
  };
  // As Vault's lookup: present once the token has been renewed.
  if (stored.lastRenewal) {
    data.last_renewal_time = Math.floor(stored.lastRenewal / 1000);
    data.last_renewal = iso(stored.lastRenewal);
  }
  if (r.boundCidrs.length) data.bound_cidrs = r.boundCidrs;
  if (r.period) data.period = r.period;
  if (r.role) data.role = r.role;
  return data;
}
