import { createHmac } from 'node:crypto';
import type { EngineRepo } from './engine-repo.js';

/**
 * The id a config's credentials carry in the target (NewCredentialRequest.owner): an HMAC of
 * the config name under a per-install, per-mount secret, so another config, another lessor
 * deployment or anyone who knows the names makes a different one. Cached per replica: the key
 * never changes, and the creds path must not ask the config store for it each time.
 */
export function ownerIds(repo: EngineRepo, mount: string): (config: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (config) => {
    let id = cache.get(config);
    if (!id) {
      id = repo.secretKey(mount, 'credential-owner').then((key) => createHmac('sha256', key).update(config).digest('hex').slice(0, 32));
      id.catch(() => cache.delete(config));
      cache.set(config, id);
    }
    return id;
  };
}
