// The two database targets and the two role shapes, each usable by lessor (as a role) and by
// the raw side (the same statements, rendered the same way, sent straight through pg / mysql2).
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MY_GROUP, PG_GROUP, TABLES, TARGET_DB, type BenchServers } from './env.js';
import type { Http } from './load.js';

export type Shape = 'grant20' | 'inrole';
export type Kind = 'pg' | 'mariadb';

export const SHAPES: Record<Kind, Record<Shape, string[]>> = {
  pg: {
    // Vault's documented example: per-table GRANTs (here on the 20 tables of the schema).
    grant20: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
      'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"',
    ],
    // The pattern lessor teaches: membership of a group role that holds the grants.
    inrole: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${PG_GROUP}`],
  },
  mariadb: {
    grant20: [
      `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'`,
      ...TABLES.map((t) => `GRANT SELECT ON ${TARGET_DB}.${t} TO '{{name}}'@'%'`),
    ],
    inrole: [
      `CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'`,
      `GRANT ${MY_GROUP} TO '{{name}}'@'%'`,
      `SET DEFAULT ROLE ${MY_GROUP} FOR '{{name}}'@'%'`,
    ],
  },
};

/**
 * How lessor hands the password to the server. 'plain': in the statement, the server derives
 * the SCRAM verifier (4096 rounds), as the raw side does. 'scram16': lessor sends its own
 * verifier with 16 rounds (password_authentication=scram-sha-256, scram_iterations=16; PostgreSQL
 * only). The raw side of both is the plain one: what a broker without verifiers sends.
 */
export type Variant = 'plain' | 'scram16';
export const SCRAM16_CONFIG = { password_authentication: 'scram-sha-256', scram_iterations: 16 };

export const lessorRole = (kind: Kind, shape: Shape, variant: Variant = 'plain') =>
  `${kind === 'pg' ? 'pg' : 'my'}-${shape}${variant === 'plain' ? '' : `-${variant}`}`;
export const lessorConfig = (kind: Kind, variant: Variant = 'plain') =>
  `${kind === 'pg' ? 'pg' : 'my'}${variant === 'plain' ? '' : `-${variant}`}`;

/** Connection pool size lessor gets: the highest measured concurrency, like the raw side. */
export const MAX_CONNECTIONS = 16;

export async function configureLessor(admin: Http, s: BenchServers, kind: Kind): Promise<void> {
  const h = kind === 'pg' ? s.pg : s.mariadb!;
  const variants: Variant[] = kind === 'pg' ? ['plain', 'scram16'] : ['plain'];
  for (const variant of variants) {
    const config = lessorConfig(kind, variant);
    await admin.ok('POST', `database/config/${config}`, {
      plugin_name: kind === 'pg' ? 'postgresql-database-plugin' : 'mysql-database-plugin',
      connection_url: kind === 'pg'
        ? `postgresql://{{username}}:{{password}}@${h.host}:${h.port}/${TARGET_DB}`
        : `{{username}}:{{password}}@tcp(${h.host}:${h.port})/`,
      username: h.user,
      password: h.password,
      allowed_roles: '*',
      max_open_connections: MAX_CONNECTIONS,
      verify_connection: true,
      ...(variant === 'scram16' ? SCRAM16_CONFIG : {}),
    });
    for (const shape of ['grant20', 'inrole'] as const) {
      await admin.ok('POST', `database/roles/${lessorRole(kind, shape, variant)}`, {
        db_name: config, creation_statements: SHAPES[kind][shape], default_ttl: '2h', max_ttl: '24h',
      });
    }
  }
}

function render(stmt: string, name: string, password: string, expiration: string): string {
  return stmt.replaceAll('{{name}}', name).replaceAll('{{password}}', password).replaceAll('{{expiration}}', expiration);
}

const pgExpiration = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+00:00');
const newPassword = () => randomBytes(15).toString('base64url');
const isRetryable = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e?.code === '40001' || e?.code === '40P01' || (e?.code === 'XX000' && /tuple concurrently updated/.test(e.message ?? ''));
};

/** The raw side: creates one user of a shape per call, one transaction per credential (pg). */
export interface RawTarget {
  create(name: string): Promise<void>;
  /** The same statements lessor's default revocation sends, one transaction per user (pg). */
  revoke(name: string): Promise<void>;
  close(): Promise<void>;
}

export function rawTarget(s: BenchServers, kind: Kind, shape: Shape, connections: number): RawTarget {
  const stmts = SHAPES[kind][shape];
  if (kind === 'pg') {
    const pool = new pg.Pool({ connectionString: s.pgTarget, max: connections });
    pool.on('error', () => {});
    const tx = async (run: (c: pg.PoolClient) => Promise<void>) => {
      // Retried like lessor retries it: concurrent GRANTs on one table collide.
      for (let attempt = 1; ; attempt++) {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          await run(c);
          await c.query('COMMIT');
          return;
        } catch (err) {
          await c.query('ROLLBACK').catch(() => {});
          if (!isRetryable(err) || attempt >= 10) throw err;
        } finally {
          c.release();
        }
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    };
    return {
      async create(name) {
        const password = newPassword();
        const exp = pgExpiration(Date.now() + 2 * 3600_000);
        await tx(async (c) => {
          for (const st of stmts) await c.query(render(st, name, password, exp));
        });
      },
      async revoke(name) {
        const u = pg.escapeIdentifier(name);
        // What PgBackend.defaultRevoke runs, minus nothing: existence check, NOLOGIN, end
        // sessions, then REASSIGN / DROP OWNED / DROP ROLE in one transaction.
        const c = await pool.connect();
        try {
          if ((await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount !== 1) return;
          await c.query(`ALTER ROLE ${u} NOLOGIN`);
          await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()', [name]);
        } finally {
          c.release();
        }
        await tx(async (c) => {
          await c.query(`SELECT r.rolsuper, pg_has_role(current_user, $1, 'USAGE') AS member FROM pg_roles r WHERE r.rolname = current_user`, [name]);
          await c.query(`REASSIGN OWNED BY ${u} TO CURRENT_USER`);
          await c.query(`DROP OWNED BY ${u}`);
          await c.query(`DROP ROLE IF EXISTS ${u}`);
        });
      },
      close: () => pool.end(),
    };
  }
  const h = s.mariadb!;
  const pool = mysql.createPool({ host: h.host, port: h.port, user: h.user, password: h.password, connectionLimit: connections });
  return {
    async create(name) {
      const password = newPassword();
      const c = await pool.getConnection();
      try {
        for (const st of stmts) await c.query(render(st, name, password, ''));
      } finally {
        c.release();
      }
    },
    async revoke(name) {
      const c = await pool.getConnection();
      try {
        const [hosts] = await c.query<mysql.RowDataPacket[]>('SELECT Host FROM mysql.user WHERE User = ?', [name]);
        const [procs] = await c.query<mysql.RowDataPacket[]>('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [name]);
        for (const p of procs) await c.query('KILL CONNECTION ?', [Number(p.ID)]).catch(() => {});
        for (const r of hosts) await c.query('DROP USER IF EXISTS ?@?', [name, r.Host]);
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Names of the users a trial left behind: lessor's ("v-…") and the raw side's ("raw_…"). */
export async function trialUsers(s: BenchServers, kind: Kind, like: string[] = ['v-%', 'raw\\_%']): Promise<string[]> {
  if (kind === 'pg') {
    const c = new pg.Client({ connectionString: s.pgTarget });
    await c.connect();
    try {
      const where = like.map((_, i) => `rolname LIKE $${i + 1}`).join(' OR ');
      return (await c.query(`SELECT rolname FROM pg_roles WHERE ${where}`, like)).rows.map((r) => r.rolname as string);
    } finally {
      await c.end();
    }
  }
  const h = s.mariadb!;
  const c = await mysql.createConnection({ host: h.host, port: h.port, user: h.user, password: h.password });
  try {
    const where = like.map(() => 'User LIKE ?').join(' OR ');
    const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT DISTINCT User FROM mysql.user WHERE ${where}`, like);
    return rows.map((r) => r.User as string);
  } finally {
    await c.end();
  }
}

/** Drops users in big batches (not measured: this only resets the population between trials). */
export async function dropUsers(s: BenchServers, kind: Kind, names: string[]): Promise<void> {
  if (names.length === 0) return;
  if (kind === 'pg') {
    const c = new pg.Client({ connectionString: s.pgTarget });
    await c.connect();
    try {
      for (let i = 0; i < names.length; i += 200) {
        const ids = names.slice(i, i + 200).map((n) => pg.escapeIdentifier(n)).join(', ');
        await c.query(`BEGIN; DROP OWNED BY ${ids}; DROP ROLE IF EXISTS ${ids}; COMMIT`);
      }
    } finally {
      await c.end();
    }
    return;
  }
  const h = s.mariadb!;
  const c = await mysql.createConnection({ host: h.host, port: h.port, user: h.user, password: h.password });
  try {
    for (let i = 0; i < names.length; i += 200) {
      await c.query(`DROP USER IF EXISTS ${names.slice(i, i + 200).map((n) => `${mysql.escape(n)}@'%'`).join(', ')}`);
    }
  } finally {
    await c.end();
  }
}

export async function dropTrialUsers(s: BenchServers, kind: Kind): Promise<void> {
  await dropUsers(s, kind, await trialUsers(s, kind));
}

/** Creates n live users of a shape ("pop_…") in batches: the population a workload runs on. */
const populatedShape = new Map<Kind, Shape>();

export async function populate(s: BenchServers, kind: Kind, shape: Shape, n: number, log: (l: string) => void): Promise<void> {
  if (populatedShape.get(kind) !== shape) await dropUsers(s, kind, await trialUsers(s, kind, ['pop\\_%']));
  populatedShape.set(kind, shape);
  const have = (await trialUsers(s, kind, ['pop\\_%'])).length;
  if (have === n) return;
  if (have > n) return void (await dropUsers(s, kind, (await trialUsers(s, kind, ['pop\\_%'])).slice(n)));
  log(`  populating ${kind}: ${have} → ${n} live ${shape} users …`);
  const stmts = SHAPES[kind][shape];
  const exp = pgExpiration(Date.now() + 24 * 3600_000);
  if (kind === 'pg') {
    const c = new pg.Client({ connectionString: s.pgTarget });
    await c.connect();
    try {
      for (let i = have; i < n; i += 250) {
        const sql = [];
        for (let j = i; j < Math.min(n, i + 250); j++) sql.push(...stmts.map((st) => render(st, `pop_${j}`, newPassword(), exp)));
        await c.query(`BEGIN; ${sql.join(';\n')}; COMMIT`);
      }
    } finally {
      await c.end();
    }
    return;
  }
  const h = s.mariadb!;
  const c = await mysql.createConnection({ host: h.host, port: h.port, user: h.user, password: h.password, multipleStatements: true });
  try {
    for (let i = have; i < n; i += 100) {
      const sql = [];
      for (let j = i; j < Math.min(n, i + 100); j++) sql.push(...stmts.map((st) => render(st, `pop_${j}`, newPassword(), '')));
      await c.query(sql.join(';\n'));
    }
  } finally {
    await c.end();
  }
}
