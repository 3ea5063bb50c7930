// `lessor ...` from source, for tests that run the CLI as a real process (bin/lessor.js runs the build).
import { main } from '../../src/cli/index.js';

await main();
