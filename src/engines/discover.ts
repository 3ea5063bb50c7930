import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EnginePlugin } from '../../plugins/sdk/index.js';

/**
 * The top-level plugins/ folder. `../../plugins/` from this module is plugins/ when running from
 * src/engines under tsx, and dist/plugins when running from dist/src/engines after the build.
 */
export const DEFAULT_PLUGINS_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

function looksLikePlugin(p: unknown): p is EnginePlugin {
  const x = p as Partial<EnginePlugin> | undefined;
  return Boolean(x && typeof x.type === 'string' && x.mount && typeof x.mount.path === 'string' && typeof x.create === 'function');
}

/**
 * Every folder (except sdk) with an index.js or index.ts default-exporting an EnginePlugin. A
 * folder without an index is skipped; one whose index is not a plugin is an error: a typo there
 * should stop the server, not silently drop an engine.
 */
export async function discoverPlugins(dirs: string[]): Promise<EnginePlugin[]> {
  const found: EnginePlugin[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    // A directory that is itself a plugin (tests add the fake engine this way).
    const own = ['index.js', 'index.ts'].map((f) => join(dir, f)).find(existsSync);
    const folders = own ? [dir] : readdirSync(dir).filter((d) => d !== 'sdk' && !d.startsWith('.')).map((d) => join(dir, d)).filter((d) => statSync(d).isDirectory());
    for (const folder of folders.sort()) {
      const index = ['index.js', 'index.ts'].map((f) => join(folder, f)).find(existsSync);
      if (!index) continue;
      const mod = (await import(pathToFileURL(index).href)) as { default?: unknown };
      if (!looksLikePlugin(mod.default)) throw new Error(`${index} does not default-export an engine plugin`);
      found.push(mod.default);
    }
  }
  const types = new Set<string>();
  for (const p of found) {
    if (types.has(p.type)) throw new Error(`two engine plugins have the type "${p.type}"`);
    types.add(p.type);
  }
  return found;
}
