/**
 * CGI tests: a server with the fixture scripts at /cgi-bin/ and the sample
 * scripts (cgi/) at /samples/, and the checks every CGI test ends with: no
 * child process left, no zombie, and no child still known to the native
 * spawner (its pipes and exit watch all closed).
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import type { ServerOptions } from '../../src/server/options.js';
import type { CgiOptions } from '../../components/cgi/options.js';
import { nativeChildrenWatched } from '../../components/cgi/spawner.js';
import { startServer, waitFor, type TestServer } from '../helpers/http.js';
import { expectNoChildren } from '../helpers/processes.js';

export const fixtures = fileURLToPath(new URL('../fixtures/cgi/', import.meta.url));
export const samples = fileURLToPath(new URL('../../cgi/', import.meta.url));

const started: TestServer[] = [];

afterEach(async () => {
  // Stopped here too (stopping twice is harmless), so the check below runs after the stop whatever order hooks run in.
  await Promise.all(started.splice(0).map((s) => s.server.stop(200)));
  await expectNoChildren();
  await waitFor(() => nativeChildrenWatched() === 0, 2_000).catch(() => {});
  expect(nativeChildrenWatched(), 'children the native spawner still holds').toBe(0);
});

export async function startCgi(cgiOptions: CgiOptions = {}, options: ServerOptions = {}): Promise<TestServer> {
  const server = await startServer({
    cgi: [
      { prefix: '/cgi-bin/', path: fixtures },
      { prefix: '/samples/', path: samples },
    ],
    cgiOptions: { timeLimit: 5_000, killGrace: 300, ...cgiOptions },
    ...options,
  });
  started.push(server);
  return server;
}
