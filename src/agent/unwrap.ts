import { LessorClient } from '../client/client.js';

/**
 * `--secret-id-wrapped`: the secret-ID file holds a response-wrapping token (a trusted
 * orchestrator ran `… secret-id` with -wrap-ttl), as Vault Agent's
 * secret_id_response_wrapping_path. The token's creation path is checked before it is spent:
 * a token wrapped by anything but a secret-id request was not the orchestrator's, so the agent
 * refuses it instead of logging in with whatever it holds.
 */
const SECRET_ID_PATH = /^auth\/[^/]+\/role\/[^/]+\/secret-id$/;

export async function unwrapSecretId(address: string, wrappingToken: string): Promise<string> {
  // The wrapping token is this client's token: lookup is public (nothing spent), unwrap is its one use.
  const client = new LessorClient({ address, token: wrappingToken, retry: { retries: 2 } });
  try {
    const info = await client.write<{ creation_path?: string }>('sys/wrapping/lookup', { token: wrappingToken });
    const created = String(info?.data?.creation_path ?? '');
    if (!SECRET_ID_PATH.test(created)) {
      throw new Error(`--secret-id-file: the wrapping token was created by "${created}", not by a secret-id request; refusing to unwrap it`);
    }
    const secretId = (await client.write<{ secret_id?: string }>('sys/wrapping/unwrap'))?.data?.secret_id;
    if (typeof secretId !== 'string' || secretId === '') throw new Error('--secret-id-file: the unwrapped answer holds no secret_id');
    return secretId;
  } finally {
    client.close();
  }
}
