// Guessing AppRole secret IDs or userpass passwords is cut off after a few failures per
// (subject, address), with a looser bound per address, and never locks the real caller out of a
// correct login from another address; AppRole answers do not tell real role IDs from made-up
// ones. Here on Redis, as `lessor server` runs.
import t from 'tap';
import { loginLimitCases } from './login-limit-cases.js';

t.test('login limits on Redis', (t) => loginLimitCases(t, false));
