import type { BenchCtx, Row } from '../lib/types.js';
import { apikeyVerify } from './apikey.js';
import { coldStart } from './cold-start.js';
import { dbCreds } from './db-creds.js';
import { approleLogin, userpassLogin } from './logins.js';
import { reaperDrain } from './reaper-drain.js';
import { renew } from './renew.js';

export interface Workload {
  name: string;
  run(ctx: BenchCtx): Promise<Row[]>;
}

export const WORKLOADS: Workload[] = [
  { name: 'pg-creds', run: (ctx) => dbCreds(ctx, 'pg') },
  { name: 'mariadb-creds', run: (ctx) => dbCreds(ctx, 'mariadb') },
  { name: 'renew', run: renew },
  { name: 'reaper-drain', run: reaperDrain },
  { name: 'apikey-verify', run: apikeyVerify },
  { name: 'approle-login', run: approleLogin },
  { name: 'userpass-login', run: userpassLogin },
  { name: 'cold-start', run: coldStart },
];
