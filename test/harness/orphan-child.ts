// Helper process for cleanup.test.ts (not a test itself): starts a private
// Redis, prints {dir, port} and then either exits on its own ("exit") or
// waits to be signalled ("hang").
import { startRedis } from '../helpers/servers.js';

const srv = await startRedis();
process.stdout.write(JSON.stringify({ dir: srv.dir, port: srv.port }) + '\n');
if (process.argv[2] === 'hang') setInterval(() => {}, 60_000);
