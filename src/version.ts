import { readFileSync } from 'node:fs';

/** package.json's version (two levels up from both src/ under tsx and dist/src/ when built). */
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lessor' && pkg.version) return pkg.version;
    } catch {
      // Not at this level; try the next.
    }
  }
  return '0.0.0';
}

export const LESSOR_VERSION = readVersion();
