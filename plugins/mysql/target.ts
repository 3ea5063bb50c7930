/**
 * Where a mysql connection goes. Vault's mysql plugin takes Go DSNs
 * (`{{username}}:{{password}}@tcp(127.0.0.1:3306)/`); lessor also takes mysql:// URLs. The
 * credentials are filled in after parsing, so a password needs no escaping in either form.
 */
import type { DatabaseConfig } from '../sdk/database.js';
import { configError } from '../sdk/errors.js';

export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
  socketPath?: string;
}

const fill = (v: string, config: DatabaseConfig) =>
  v.replace(/\{\{\s*username\s*\}\}/g, () => config.username ?? '').replace(/\{\{\s*password\s*\}\}/g, () => config.password ?? '');

export function parseMysqlTarget(config: DatabaseConfig): MysqlTarget {
  const raw = config.connection_url.trim();
  if (/^mysql:\/\//i.test(raw)) {
    // Braces in the userinfo are percent-encoded by URL: undo that before filling in.
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw configError('connection_url is not a valid URL');
    }
    return {
      host: u.hostname || '127.0.0.1',
      port: u.port ? Number(u.port) : 3306,
      user: fill(decodeURIComponent(u.username), config),
      password: fill(decodeURIComponent(u.password), config),
      ...(u.pathname.length > 1 ? { database: decodeURIComponent(u.pathname.slice(1)) } : {}),
    };
  }
  // Go DSN: [user[:password]@][tcp(host:port)|unix(/path)]/[dbname][?params]; the last '@'
  // before the address separates credentials, as in Go's parser.
  const m = /^(?:(.*)@)?(?:(tcp|unix)\(([^)]*)\))?\/([^?]*)(?:\?.*)?$/.exec(raw);
  if (!m) throw configError('connection_url must be a mysql:// URL or a DSN like {{username}}:{{password}}@tcp(host:3306)/');
  const [, creds = '', proto = 'tcp', addr = '127.0.0.1:3306', db] = m;
  const colon = creds.indexOf(':');
  const user = fill(colon < 0 ? creds : creds.slice(0, colon), config);
  const password = colon < 0 ? '' : fill(creds.slice(colon + 1), config);
  const base = { user, password, ...(db ? { database: db } : {}) };
  if (proto === 'unix') return { ...base, host: 'localhost', port: 0, socketPath: addr };
  const hp = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(addr);
  return { ...base, host: hp?.[1] || '127.0.0.1', port: hp?.[2] ? Number(hp[2]) : 3306 };
}
