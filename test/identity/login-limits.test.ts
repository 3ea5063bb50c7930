// Finding: AppRole logins had no brute-force limit, their answers told real role IDs from fake
// ones, and userpass locked the real user out after five guesses by anyone. Limits are per
// (subject, address) with a looser bound per address. Here on Redis, as `lessor server` runs.
import t from 'tap';
import { loginLimitCases } from './login-limit-cases.js';

t.test('login limits on Redis', (t) => loginLimitCases(t, false));
