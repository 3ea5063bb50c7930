import type { WrapInfo } from '../auth/wrapping.js';
/**
 * Vault's response envelope. Every 200 answer from /v1 has this exact shape so that Vault
 * clients (node-vault, hvac) find lease_id, data and auth where they expect them.
 */
export interface Answer {
  data?: unknown;
  auth?: unknown;
  leaseId?: string;
  leaseDuration?: number;
  renewable?: boolean;
  warnings?: string[];
  wrapInfo?: WrapInfo;
}

export interface Envelope {
  request_id: string;
  lease_id: string;
  renewable: boolean;
  lease_duration: number;
  data: unknown;
  wrap_info: WrapInfo | null;
  warnings: string[] | null;
  auth: unknown;
}

export function envelope(requestId: string, a: Answer): Envelope {
  return {
    request_id: requestId,
    lease_id: a.leaseId ?? '',
    renewable: a.renewable ?? false,
    lease_duration: a.leaseDuration ?? 0,
    data: a.data ?? null,
    wrap_info: a.wrapInfo ?? null,
    warnings: a.warnings && a.warnings.length > 0 ? a.warnings : null,
    auth: a.auth ?? null,
  };
}

/** Vault's LIST answers put the names under data.keys. */
export function listAnswer(keys: string[], extra: Record<string, unknown> = {}): Answer {
  return { data: { keys, ...extra } };
}
