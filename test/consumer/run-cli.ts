// `lessor ...` from source, for tests that run the CLI as a real process (bin/lessor.js runs the
// build). Without arguments (tap running the folder) it does nothing.
import { main } from '../../src/cli/index.js';

if (process.argv.length > 2) await main();
