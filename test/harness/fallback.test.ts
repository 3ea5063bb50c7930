// Without local binaries and without Docker the harness must fail loudly with
// an actionable one-line message, never skip.
import t from 'tap';
import { pickBackend } from '../helpers/servers.js';

t.test('backend choice', async (t) => {
  const saved = process.env.LESSOR_TEST_BACKEND;
  delete process.env.LESSOR_TEST_BACKEND;
  t.teardown(() => { if (saved !== undefined) process.env.LESSOR_TEST_BACKEND = saved; });
  const noDocker = async () => 'no engine';
  const docker = async () => undefined;
  t.equal(await pickBackend('redis', true, noDocker), 'local', 'local binaries preferred');
  t.equal(await pickBackend('redis', false, docker), 'docker', 'docker when binaries are missing');
  await t.rejects(pickBackend('postgres', false, noDocker),
    { message: 'no postgres server for tests: install postgresql (apt-get install postgresql) or run a Docker engine (no engine)' });
  await t.rejects(pickBackend('mariadb', false, noDocker), { message: /install mariadb-server .* or run a Docker engine \(no engine\)$/ });
  await t.rejects(pickBackend('redis', false, noDocker), { message: /install redis-server .* or run a Docker engine \(no engine\)$/ });
  process.env.LESSOR_TEST_BACKEND = 'docker';
  t.equal(await pickBackend('redis', true, docker), 'docker', 'LESSOR_TEST_BACKEND forces the backend');
  await t.rejects(pickBackend('redis', true, noDocker), { message: 'LESSOR_TEST_BACKEND=docker but Docker is unusable: no engine' });
  process.env.LESSOR_TEST_BACKEND = 'local';
  t.equal(await pickBackend('redis', false, docker), 'local');
});
