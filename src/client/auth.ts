import { readFile } from 'node:fs/promises';
import type { AuthInfo, LessorClientOptions, SecretSource, VaultResponse } from './types.js';
import { LessorProtocolError } from './errors.js';

/** What a client needs to (re)authenticate: a function that performs one login. */
export type Login = (post: (path: string, body: unknown) => Promise<VaultResponse | undefined>) => Promise<AuthInfo>;

const resolve = async (s: SecretSource): Promise<string> => String(typeof s === 'function' ? await s() : s).trim();

function authOf(path: string, res: VaultResponse | undefined): AuthInfo {
  if (!res?.auth?.client_token) throw new LessorProtocolError(`${path}: answer has no auth.client_token`);
  return res.auth;
}

/** undefined for a static token: there is nothing to log in with. */
export function loginFor(opts: LessorClientOptions): Login | undefined {
  if ('approle' in opts) {
    const { roleId, secretId, mount = 'approle' } = opts.approle;
    return async (post) => {
      const path = `auth/${mount}/login`;
      return authOf(path, await post(path, { role_id: await resolve(roleId), secret_id: await resolve(secretId) }));
    };
  }
  if ('jwt' in opts) {
    const { role, path: file, token, mount = 'jwt' } = opts.jwt;
    const source: SecretSource | undefined = token ?? (file ? () => readFile(file, 'utf8') : undefined);
    if (!source) throw new TypeError('jwt login needs a path (the token file) or a token');
    return async (post) => {
      const path = `auth/${mount}/login`;
      // Read at every login: Kubernetes projected service-account tokens are rotated on disk.
      return authOf(path, await post(path, { role, jwt: await resolve(source) }));
    };
  }
  return undefined;
}
