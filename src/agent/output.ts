import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import Mustache from 'mustache';
import type { OutputFormat } from './options.js';

export interface Rendered {
  leaseId: string;
  leaseDuration: number;
  data: Record<string, unknown>;
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Plain values stay as they are (KEY=value); anything else is single-quoted for `. file` in sh. */
function envValue(v: unknown): string {
  const s = text(v);
  return /^[A-Za-z0-9_.,:/@%+=-]*$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const envKey = (k: string) => k.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

export async function render(format: OutputFormat, r: Rendered): Promise<string> {
  switch (format.kind) {
    case 'env': {
      const lines = Object.entries(r.data).map(([k, v]) => `${envKey(k)}=${envValue(v)}`);
      lines.push(`LEASE_ID=${envValue(r.leaseId)}`, `LEASE_DURATION=${r.leaseDuration}`);
      return `${lines.join('\n')}\n`;
    }
    case 'json':
      return `${JSON.stringify({ lease_id: r.leaseId, lease_duration: r.leaseDuration, data: r.data }, null, 2)}\n`;
    case 'template': {
      // Mustache is logic-less: a template file can place values but cannot run code. Keys are
      // offered plain ({{ username }}), Go-style ({{ .username }}) and under data ({{ data.username }}).
      const view: Record<string, unknown> = { ...r.data, data: r.data, lease_id: r.leaseId, lease_duration: r.leaseDuration };
      for (const [k, v] of Object.entries({ ...r.data, lease_id: r.leaseId, lease_duration: r.leaseDuration })) view[`.${k}`] = v;
      const template = await readFile(format.file, 'utf8');
      // No HTML escaping: these are config files, and a password must arrive byte for byte.
      return Mustache.render(template, view, {}, { escape: text });
    }
  }
}

/**
 * Temp file in the same directory (so rename is atomic on the same filesystem), created 0600
 * before any byte is written, fsynced, then renamed over the target: readers see the old file
 * or the new one, never half of one.
 */
export async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.chmod(0o600); // in case the umask or an inherited ACL said otherwise
    await fh.writeFile(content);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
