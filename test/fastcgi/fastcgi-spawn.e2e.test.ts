/**
 * boxwire starting the FastCGI application itself (`fastcgi: [{ spawn }]`,
 * `--fastcgi-spawn .php='php-cgi -b {socket}'`): N php-cgi processes, each
 * on a Unix socket in a directory of the server's own, one that dies started
 * again, all stopped with the server.
 */
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, waitFor } from '../helpers/http.js';
import { processAlive } from '../helpers/processes.js';
import { phpApp, type PhpApp } from '../php/setup.js';

let app: PhpApp;

beforeAll(() => {
  app = phpApp();
});

afterAll(() => app.remove());

describe('FastCGI: spawned applications', () => {
  it('runs N processes on sockets it owns, spreads requests over them, restarts one that dies, and stops them all', async () => {
    const s = await startServer({
      root: app.root,
      fastcgi: [{ extension: '.php', spawn: { command: 'php-cgi -b {socket}', processes: 2 } }],
    });
    const { supervisor, pool } = s.server.fastcgi[0]!;
    // The first requests wait for the processes to listen.
    const first = (await (await fetch(`${s.url}/info.php`)).json()) as { sapi: string };
    expect(first.sapi).toBe('cgi-fcgi');
    const dir = supervisor!.dir;
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await waitFor(() => supervisor!.sockets.every((socket) => existsSync(socket)), 5_000);
    const pids = supervisor!.pids as number[];
    expect(pids.every((pid) => typeof pid === 'number')).toBe(true);

    // Two slow requests at once run on the two processes (one connection each).
    const started = performance.now();
    const slow = await Promise.all([1, 2].map(() => fetch(`${s.url}/slow.php?s=0.4`).then((r) => r.text())));
    expect(slow).toEqual(['slept\n', 'slept\n']);
    expect(performance.now() - started).toBeLessThan(750);
    expect(pool.servers.map((server) => server.connections.size)).toEqual([1, 1]);

    // One dies: the other serves meanwhile, and it is started again.
    process.kill(pids[0]!, 'SIGKILL');
    for (let i = 0; i < 5; i++) expect((await fetch(`${s.url}/index.php`)).status).toBe(200);
    await waitFor(() => supervisor!.pids[0] !== undefined && supervisor!.pids[0] !== pids[0], 5_000);
    await waitFor(() => pool.servers[0]!.state === 'up', 5_000);
    expect(s.logs.errors.some((r) => r.message.includes(`(pid ${pids[0]}) was killed by SIGKILL: starting it again`))).toBe(true);
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${s.url}/info.php`).then((r) => r.status)));
    expect(answers).toEqual([200, 200, 200, 200, 200, 200]);

    const now = supervisor!.pids as number[];
    await s.server.stop(500);
    await waitFor(() => now.every((pid) => !processAlive(pid)), 5_000);
    expect(existsSync(dir)).toBe(false);
  });

  it('a command that cannot start is logged and tried again; requests wait, then time out', async () => {
    const s = await startServer({
      root: app.root,
      fastcgi: [{ extension: '.php', spawn: { command: '/nonexistent/boxwire-fastcgi-app {socket}', processes: 1 } }],
      fastcgiOptions: { headTimeout: 400 },
    });
    expect((await fetch(`${s.url}/info.php`)).status).toBe(504);
    expect(s.logs.errors.some((r) => r.message.includes('could not be started'))).toBe(true);
    // Files are served all the same.
    expect((await fetch(`${s.url}/static/hello.txt`)).status).toBe(200);
  });
});
