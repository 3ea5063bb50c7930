import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { SqlStore } from '../db/sql-store.js';
import { aeadOpen, aeadSeal, SealError } from './aead.js';
import type { Sealer } from './sealer.js';

/**
 * The data-key ring (Vault's barrier keyring in miniature). Each term is an AES-256-GCM key,
 * stored in the config store sealed under the master key. New data is sealed under the highest
 * term; every term stays in the ring so old ciphertexts keep opening, and the rewrap job
 * (rewrap.ts) moves them forward. Sealed strings name their term: `lsr:v1:<term>:<base64url>`.
 */
export interface KeyStatus {
  term: number;
  installTime: Date;
}

const PREFIX = 'lsr:v1:';
const SEALED_RE = /^lsr:v1:(\d+):([A-Za-z0-9_-]+)$/;
/** How stale this replica's view of the current term may get after another replica rotates. */
const REFRESH_MS = 5000;

export interface KeyringOptions {
  now?: () => number;
  log?: Logger;
}

export class Keyring implements Sealer {
  private keys = new Map<number, Buffer>();
  private current: KeyStatus = { term: 0, installTime: new Date(0) };
  private loadedAt = 0;
  private readonly now: () => number;

  private constructor(private readonly sql: SqlStore, private readonly master: Buffer, opts: KeyringOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Loads the ring, creating term 1 on an empty install; fails loudly if the master key is wrong. */
  static async open(sql: SqlStore, masterKey: Buffer, opts: KeyringOptions = {}): Promise<Keyring> {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    const ring = new Keyring(sql, masterKey, opts);
    // Two replicas starting together on an empty install both try; the primary key keeps one.
    await sql.query('INSERT INTO keyring (term, sealed_key) VALUES (1, $1) ON CONFLICT (term) DO NOTHING', [
      ring.wrapDataKey(1, randomBytes(32)),
    ]);
    try {
      await ring.load();
    } catch (err) {
      if (err instanceof SealError) {
        throw new Error('LESSOR_MASTER_KEY does not open this install\'s keyring (wrong master key, or the keyring was tampered with)');
      }
      throw err;
    }
    return ring;
  }

  static isSealed(value: string): boolean {
    return SEALED_RE.test(value);
  }

  /** The term a sealed string was sealed under. */
  static termOf(sealed: string): number {
    const m = SEALED_RE.exec(sealed);
    if (!m) throw new SealError('not a sealed value');
    return Number(m[1]);
  }

  private wrapDataKey(term: number, key: Buffer): string {
    return aeadSeal(this.master, key, `lessor:keyring:${term}`).toString('base64url');
  }

  private async load(): Promise<void> {
    const { rows } = await this.sql.query<{ term: number; sealed_key: string; installed_at: Date | string }>(
      'SELECT term, sealed_key, installed_at FROM keyring ORDER BY term',
    );
    for (const row of rows) {
      if (!this.keys.has(row.term)) {
        this.keys.set(row.term, aeadOpen(this.master, Buffer.from(row.sealed_key, 'base64url'), `lessor:keyring:${row.term}`));
      }
    }
    const last = rows[rows.length - 1];
    if (last) this.current = { term: last.term, installTime: new Date(last.installed_at) };
    this.loadedAt = this.now();
  }

  private async currentKey(): Promise<[number, Buffer]> {
    if (this.now() - this.loadedAt > REFRESH_MS) await this.load();
    return [this.current.term, this.keys.get(this.current.term)!];
  }

  async seal(plain: Buffer, aad = ''): Promise<string> {
    const [term, key] = await this.currentKey();
    return `${PREFIX}${term}:${aeadSeal(key, plain, `lessor:${term}:${aad}`).toString('base64url')}`;
  }

  async open(sealed: string, aad = ''): Promise<Buffer> {
    const m = SEALED_RE.exec(sealed);
    if (!m) throw new SealError('stored value is not a sealed value (corrupted or written by something else)');
    const term = Number(m[1]);
    if (!this.keys.has(term)) await this.load(); // another replica rotated since we loaded
    const key = this.keys.get(term);
    if (!key) throw new SealError(`sealed value names key term ${term}, which is not in the keyring`);
    return aeadOpen(key, Buffer.from(m[2], 'base64url'), `lessor:${term}:${aad}`);
  }

  async sealString(plain: string, aad = ''): Promise<string> {
    return this.seal(Buffer.from(plain, 'utf8'), aad);
  }

  async openString(sealed: string, aad = ''): Promise<string> {
    return (await this.open(sealed, aad)).toString('utf8');
  }

  /**
   * Opens under the old term and seals under the current one; undefined when the value is
   * already under the current term (nothing to do).
   */
  async rewrap(sealed: string, aad = ''): Promise<string | undefined> {
    const [term] = await this.currentKey();
    if (Keyring.termOf(sealed) >= term) return undefined;
    return this.seal(await this.open(sealed, aad), aad);
  }

  /** Adds a new term; new data is sealed under it from now on (on other replicas within seconds). */
  async rotate(): Promise<KeyStatus> {
    for (let attempt = 0; ; attempt++) {
      await this.load();
      const term = this.current.term + 1;
      const { rowCount } = await this.sql.query(
        'INSERT INTO keyring (term, sealed_key) VALUES ($1, $2) ON CONFLICT (term) DO NOTHING',
        [term, this.wrapDataKey(term, randomBytes(32))],
      );
      // Lost a race with another replica's rotate: that one counts, but add ours on top so
      // the caller still gets a fresh term as it asked.
      if (rowCount === 1 || attempt >= 5) break;
    }
    await this.load();
    return this.status();
  }

  status(): KeyStatus {
    return { ...this.current };
  }

  async refreshedStatus(): Promise<KeyStatus> {
    await this.load();
    return this.status();
  }
}

export { SealError };
