import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './client.js';

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));

/**
 * Every atomic multi-key operation is a file `lua/<name>-<numberOfKeys>.lua` (BullMQ's
 * convention), defined once on the client with defineCommand so ioredis sends EVALSHA and
 * falls back to EVAL after a script flush. The command is then `client.<camelName>(...)`.
 */
export function loadScripts(client: RedisClient, dir = LUA_DIR): string[] {
  const names: string[] = [];
  for (const file of readdirSync(dir)) {
    const m = /^([a-z][a-zA-Z-]*)-(\d+)\.lua$/.exec(file);
    if (!m) continue;
    const name = m[1].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    client.defineCommand(name, { numberOfKeys: Number(m[2]), lua: readFileSync(dir + file, 'utf8') });
    names.push(name);
  }
  return names;
}

/** Calls a script defined by loadScripts; the cast lives here instead of at every call site. */
export function runScript<T = unknown>(client: RedisClient, name: string, keys: string[], args: (string | number)[]): Promise<T> {
  const fn = (client as unknown as Record<string, (...a: (string | number)[]) => Promise<T>>)[name];
  if (typeof fn !== 'function') throw new Error(`redis script ${name} is not loaded`);
  return fn.call(client, ...keys, ...args);
}
