// A fresh PGlite data directory takes ~5 s to initialise on a small machine, which would push
// `lessor dev`'s first start past its 3 s budget. The build initialises one once and ships it
// as a tarball; the dev store unpacks it into a new data dir in under a second.
import { PGlite } from '@electric-sql/pglite';
import { writeFileSync, mkdirSync } from 'node:fs';

const db = await PGlite.create();
const tarball = await db.dumpDataDir('gzip');
await db.close();
mkdirSync('dist', { recursive: true });
writeFileSync('dist/pglite-template.tar.gz', Buffer.from(await tarball.arrayBuffer()));
