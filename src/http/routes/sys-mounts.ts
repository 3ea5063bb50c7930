import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../errors.js';

export interface MountInfo {
  /** Without the trailing slash: "database", "approle". */
  path: string;
  type: string;
  description: string;
}

/**
 * `GET sys/mounts` and `GET sys/auth` in Vault's shape, for `vault secrets list`, `vault auth
 * list`, node-vault's mounts()/auths() and hvac's list_mounted_secrets_engines(). lessor's
 * mounts are fixed by its plugins, so there is nothing to enable, tune or disable here.
 * Accessors and uuids are derived from the path: every replica answers the same.
 */
export function sysMountRoutes(secrets: MountInfo[], auth: MountInfo[], ttls: { secrets: MountTtls; auth: MountTtls }) {
  const secretsView = view(secrets, (m) => `${m.type}_${digest(`secret:${m.path}`).slice(0, 8)}`);
  const authView = view(auth, (m) => `auth_${m.type}_${digest(`auth:${m.path}`).slice(0, 8)}`);
  return async (app: FastifyInstance) => {
    app.route({ method: 'GET', url: '/v1/sys/mounts', handler: async (_req, reply) => reply.answer({ data: secretsView }) });
    app.route({ method: 'GET', url: '/v1/sys/auth', handler: async (_req, reply) => reply.answer({ data: authView }) });
    fixedMountRoutes(app, 'mounts', 'secrets engine', secrets, secretsView, ttls.secrets);
    fixedMountRoutes(app, 'auth', 'auth method', auth, authView, ttls.auth);
  };
}

/** Seconds: what a lease (secrets) or a token (auth) gets when its role sets no TTL, and the cap. */
export interface MountTtls {
  defaultTtl: number;
  maxTtl: number;
}

/**
 * `vault secrets enable|disable|tune` and `vault auth …` against fixed mounts: reading the tune
 * answers the effective TTLs in Vault's shape; every write is a 400 that says why and changes
 * nothing (an enable of a path already mounted gets Vault's own "already in use"), rather than
 * a 404 that reads like a wrong address.
 */
function fixedMountRoutes(app: FastifyInstance, kind: 'mounts' | 'auth', noun: string, mounts: MountInfo[], listed: Record<string, unknown>, ttls: MountTtls) {
  const byPath = new Map(mounts.map((m) => [m.path, m]));
  const find = (path: string) => byPath.get(path.replace(/\/+$/, ''));
  const fixed = `lessor's ${noun}s come with its plugins and cannot be enabled, disabled or tuned over the API`;
  // Vault root-protects sys/auth/* (every operation), not sys/mounts/*.
  const sudo = kind === 'auth';
  app.route({
    method: 'GET',
    url: `/v1/sys/${kind}/*`,
    config: { sudo },
    handler: async (req, reply) => {
      const rest = (req.params as { '*': string })['*'];
      const m = /^(.+?)\/tune\/?$/.exec(rest);
      // `sys/mounts/:path` itself: the mount as the listing shows it (Vault 1.10's read).
      const whole = !m && find(rest);
      if (whole) return reply.answer({ data: listed[`${whole.path}/`] });
      const mount = m && find(m[1]);
      if (!mount) throw notFound(`no ${noun} mounted at ${m ? m[1] : rest}`);
      return reply.answer({
        data: {
          default_lease_ttl: ttls.defaultTtl, max_lease_ttl: ttls.maxTtl, force_no_cache: false,
          description: mount.description, options: null,
        },
      });
    },
  });
  app.route({
    method: ['POST', 'PUT', 'DELETE'],
    url: `/v1/sys/${kind}/*`,
    config: { sudo },
    handler: async (req) => {
      const rest = (req.params as { '*': string })['*'];
      const mounted = find(rest);
      if (req.method !== 'DELETE' && mounted) throw badRequest(`path is already in use at ${mounted.path}/ (${fixed})`);
      throw badRequest(fixed);
    },
  });
}

function view(mounts: MountInfo[], accessor: (m: MountInfo) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of [...mounts].sort((a, b) => a.path.localeCompare(b.path))) {
    const h = digest(`uuid:${accessor(m)}`);
    out[`${m.path}/`] = {
      type: m.type,
      description: m.description,
      accessor: accessor(m),
      uuid: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`,
      // 0: the system defaults, as Vault reports an untuned mount.
      config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false },
      local: false,
      seal_wrap: false,
      external_entropy_access: false,
      options: null,
      plugin_version: '',
      running_plugin_version: '',
      running_sha256: '',
    };
  }
  return out;
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex');
