/** Vault's wire shapes (snake_case, as lessor sends them) and the client's options. */
export interface AuthInfo {
  client_token: string;
  accessor?: string;
  policies?: string[];
  token_policies?: string[];
  lease_duration: number;
  renewable: boolean;
  metadata?: Record<string, string> | null;
}

export interface VaultResponse<T = Record<string, unknown>> {
  request_id: string;
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
  data: T | null;
  auth: AuthInfo | null;
  warnings: string[] | null;
}

/** sys/leases/renew answers at top level, like Vault. */
export interface RenewAnswer {
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
}

/** sys/leases/lookup's data. */
export interface LeaseLookup {
  id: string;
  ttl: number;
  renewable: boolean;
  issue_time?: string;
  expire_time?: string | null;
  last_renewal?: string | null;
}

/** A secret value: a string, or a function so that callers can re-read a file on every login. */
export type SecretSource = string | (() => string | Promise<string>);

export interface RetryOptions {
  /** Extra attempts after the first on 503 or a connection error (default 4). */
  retries?: number;
  /** First backoff delay in ms (default 200); doubles each time, with jitter. */
  minTimeoutMs?: number;
  /** Cap for one backoff delay in ms (default 5000). */
  maxTimeoutMs?: number;
}

interface CommonOptions {
  /** Base URL, e.g. http://127.0.0.1:8200 (with or without a trailing /). */
  address: string;
  retry?: RetryOptions;
  /** Per-request timeout in ms (default 10000). */
  requestTimeoutMs?: number;
}

export type LessorClientOptions = CommonOptions & (
  | { token: string }
  | { approle: { roleId: SecretSource; secretId: SecretSource; mount?: string } }
  /** `path` is the file holding the JWT (re-read on every login: projected tokens rotate). */
  | { jwt: { role: string; path?: string; token?: SecretSource; mount?: string } }
);
