#!/usr/bin/env node
// The CLI runs the compiled output that `npm ci` builds (the package's prepare script).
import { main } from '../dist/src/cli/index.js';

await main();
