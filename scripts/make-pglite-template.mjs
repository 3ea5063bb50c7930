// A fresh PGlite data directory takes ~5 s to initialise on a small machine, which would push
// `lessor dev`'s first start past its 3 s budget. The build initialises one once, applies the
// migrations to it, and leaves it in dist/pglite-template/; the dev store copies that directory
// into a new data dir (a plain file copy, ~0.1 s; unpacking PGlite's own tarball took ~1.5 s),
// and migrate() then finds nothing left to apply.
import { PGlite } from '@electric-sql/pglite';
import { rmSync } from 'node:fs';
import { PgliteStore } from '../dist/src/db/pglite-store.js';
import { migrate } from '../dist/src/db/migrate.js';

const dir = 'dist/pglite-template';
rmSync(dir, { recursive: true, force: true });
const db = await PGlite.create(dir);
await migrate(PgliteStore.wrap(db));
await db.close();
