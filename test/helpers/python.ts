/**
 * Python WSGI test servers: the fixture applications under
 * test/fixtures/python, mounted by "PREFIX=python:module:callable" with the
 * fixtures as the working directory, and the check every Python test ends
 * with: no worker process left, no zombie.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { ServerOptions } from '../../src/server/options.js';
import type { PythonOptions } from '../../src/server/python-options.js';
import { startServer, waitFor, type TestServer } from './http.js';
import { expectNoChildren } from './processes.js';

export const pythonFixtures = fileURLToPath(new URL('../fixtures/python/', import.meta.url));

/**
 * The interpreter python3 names, run directly: a shim in front of it (pyenv's
 * is a shell script) costs more than the interpreter's own start.
 */
export const python3 = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

const started: TestServer[] = [];

afterEach(async () => {
  // Stopped here too (stopping twice is harmless), so the check below runs after the stop whatever order hooks run in.
  await Promise.all(started.splice(0).map((s) => s.server.stop(200)));
  await expectNoChildren();
});

/** A server with `apps` ("/prefix/=python:module:callable", default the fixture app at /py/) on one process unless said otherwise. */
export async function pythonServer(
  apps: ServerOptions['wsgi'] = ['/py/=python:apps:application'],
  python: PythonOptions = {},
  options: ServerOptions = {},
): Promise<TestServer> {
  const server = await startServer({
    wsgi: apps,
    python: { executable: python3, cwd: pythonFixtures, killGrace: 300, ...python },
    ...options,
  });
  started.push(server);
  return server;
}

/** Waits until every process of the server's first Python pool is ready. */
export async function poolReady(server: TestServer, processes = 1): Promise<void> {
  const pool = server.server.pythonPools[0]!;
  await waitFor(() => pool.status.idle + pool.status.busy >= processes, 5_000);
}
