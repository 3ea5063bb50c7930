// Every error code an operator can meet is documented, with the status the code really maps to.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ErrorCodes, LessorError } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

for (const [code, status] of Object.entries(ErrorCodes)) {
  t.match(readme, new RegExp('\\| `' + code + '` \\| ' + status + ' \\|'), `${code} → ${status} is in the README's error table`);
  t.equal(new LessorError(code as keyof typeof ErrorCodes, 'x').statusCode, status);
}
