// The engine interface carries both non-database engines unchanged: no line of src/ names them,
// and they import only the engine SDK and npm packages, never src/.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|lua|sql)$/.test(f) ? [p] : [];
  });
}

t.test('src/ never names the api-key or jwt-signing engines', async (t) => {
  const named = files(join(root, 'src')).flatMap((f) =>
    readFileSync(f, 'utf8').split('\n').map((line, i) => ({ at: `${relative(root, f)}:${i + 1}`, line }))
      .filter(({ line }) => /apikey|api-key|jwt-signing|jwt\/keys|jwt\/token|\.well-known\/jwks/i.test(line)));
  t.same(named, [], 'no special case in the core');
});

t.test('both engines import only the SDK and npm packages', async (t) => {
  for (const dir of ['plugins/api-key', 'plugins/jwt-signing']) {
    for (const f of files(join(root, dir))) {
      const imports = [...readFileSync(f, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const spec of imports.filter((s) => s.startsWith('.'))) {
        t.ok(spec.startsWith('./') || spec.startsWith('../sdk/'), `${relative(root, f)} imports ${spec}`);
      }
    }
  }
});
