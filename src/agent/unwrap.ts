/**
 * `--secret-id-wrapped`: the secret-ID file holds a response-wrapping token (a trusted
 * orchestrator ran `… secret-id` with -wrap-ttl), as Vault Agent's
 * secret_id_response_wrapping_path. The token's creation path is checked before it is spent:
 * a token wrapped by anything but a secret-id request was not the orchestrator's, so the agent
 * refuses it instead of logging in with whatever it holds.
 */
const SECRET_ID_PATH = /^auth\/[^/]+\/role\/[^/]+\/secret-id$/;

async function call(address: string, path: string, init: { token?: string; body?: unknown }): Promise<any> {
  const res = await fetch(new URL(`/v1/${path}`, address), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(init.token ? { 'x-vault-token': init.token } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => undefined)) as { errors?: string[] } | undefined;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${body?.errors?.join('; ') ?? ''}`.trim());
  return body;
}

export async function unwrapSecretId(address: string, wrappingToken: string): Promise<string> {
  const info = await call(address, 'sys/wrapping/lookup', { body: { token: wrappingToken } });
  const created = String(info?.data?.creation_path ?? '');
  if (!SECRET_ID_PATH.test(created)) {
    throw new Error(`--secret-id-file: the wrapping token was created by "${created}", not by a secret-id request; refusing to unwrap it`);
  }
  const unwrapped = await call(address, 'sys/wrapping/unwrap', { token: wrappingToken });
  const secretId = unwrapped?.data?.secret_id;
  if (typeof secretId !== 'string' || secretId === '') throw new Error('--secret-id-file: the unwrapped answer holds no secret_id');
  return secretId;
}
