// tsc only emits .js: copy the Lua scripts next to the compiled modules that load them.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';

function copyLua(from, to) {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) copyLua(src, join(to, name));
    else if (name.endsWith('.lua')) {
      mkdirSync(dirname(join(to, name)), { recursive: true });
      cpSync(src, join(to, name));
    }
  }
}
copyLua('src', 'dist/src');
copyLua('plugins', 'dist/plugins');
