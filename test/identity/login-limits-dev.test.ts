// The login limits of login-limits.test.ts in `lessor dev`, whose limiter lives in memory.
import t from 'tap';
import { loginLimitCases } from './login-limit-cases.js';

t.test('login limits in lessor dev', (t) => loginLimitCases(t, true));
