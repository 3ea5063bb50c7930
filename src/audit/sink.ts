import { appendFileSync, mkdirSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';

/**
 * Where audit lines go: LESSOR_AUDIT_FILE and/or stdout, from the server's configuration only
 * (never the API: an API that can point the audit log at a file is a known RCE path in Vault).
 * Writes are synchronous and throw on failure, so the caller knows the line is with the OS
 * before it hands anything out. The file is opened per line (O_APPEND), so log rotation that
 * moves it away is picked up at once and a vanished or unwritable path fails loudly.
 */
export interface AuditSinkOptions {
  file?: string;
  stdout?: boolean;
}

function writeAll(fd: number, buf: Buffer) {
  let off = 0;
  let spins = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      // stdout may be a non-blocking pipe: a full pipe is back-pressure, not failure.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && spins++ < 1000) continue;
      throw err;
    }
  }
}

export function auditLogger(opts: AuditSinkOptions): Logger | undefined {
  if (!opts.file && !opts.stdout) return undefined;
  if (opts.file) mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
  const destination = {
    write(line: string) {
      const buf = Buffer.from(line, 'utf8');
      if (opts.file) appendFileSync(opts.file, buf, { mode: 0o600 });
      if (opts.stdout) writeAll(1, buf);
    },
  };
  return pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
