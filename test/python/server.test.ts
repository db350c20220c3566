/**
 * Python applications in the whole server: the status page's figures,
 * reloads (the same configuration keeps its processes; a new one gets new
 * processes and the old ones stop once their connections end), and the
 * command line serving a Python application.
 */
import { describe, expect, it } from 'vitest';
import { startCommand } from '../helpers/cli.js';
import { request, waitFor } from '../helpers/http.js';
import { processAlive } from '../helpers/processes.js';
import { poolReady, python3, pythonFixtures, pythonServer } from '../helpers/python.js';

const pidOf = (text: string) => Number(text.split(' ')[0]);

describe('Python applications in the server', () => {
  it('counts their processes on the status page', async () => {
    const { port, server } = await pythonServer(['/py/=python:apps', '/demo/=python:demo'], { processes: 2 }, { status: '/server-status' });
    await waitFor(() => server.pythonPools.every((p) => p.status.idle === 2));
    await request(port, { path: '/py/hello' });
    const status = JSON.parse((await request(port, { path: '/server-status?format=json' })).text);
    // One gauge per application's pool.
    for (const prefix of ['/py', '/demo']) {
      expect(status.gauges[`pool python ${prefix}`]).toMatchObject({ processes: 2, running: 0, idle: 2, queued: 0, busy: 0 });
    }
  });

  it('keeps the processes of an unchanged configuration across a reload, and replaces those of a changed one', async () => {
    const { port, server } = await pythonServer(['/py/=python:apps'], { processes: 1 });
    await poolReady({ server } as never);
    const first = pidOf((await request(port, { path: '/py/pid' })).text);
    server.reload({ wsgi: ['/py/=python:apps'], python: { executable: python3, cwd: pythonFixtures, killGrace: 300, processes: 1 } });
    expect(pidOf((await request(port, { path: '/py/pid' })).text)).toBe(first);
    server.reload({
      wsgi: ['/py/=python:apps'],
      python: { executable: python3, cwd: pythonFixtures, killGrace: 300, processes: 1, threads: 2 },
    });
    const second = await request(port, { path: '/py/pid' });
    expect(pidOf(second.text)).not.toBe(first);
    // The old pool's process stops once no connection of the old configuration is left.
    await waitFor(() => !processAlive(first));
    server.reload({ wsgi: [], python: { cwd: pythonFixtures } });
    expect((await request(port, { path: '/py/pid' })).status).toBe(404);
    await waitFor(() => !processAlive(pidOf(second.text)));
  });

  it('serves one from the command line: --wsgi PREFIX=python:MODULE:CALLABLE with --python flags', async () => {
    const boxwire = await startCommand([
      '--port',
      '0',
      '--cgi',
      'off',
      '--root',
      'off',
      '--wsgi',
      '/py/=python:apps:application',
      '--python',
      python3,
      '--python-cwd',
      pythonFixtures,
      '--python-threads',
      '2',
    ]);
    try {
      const res = await request(boxwire.port, { path: '/py/environ' });
      expect(JSON.parse(res.text)).toMatchObject({ SCRIPT_NAME: '/py', 'wsgi.multithread': true });
      expect(await boxwire.stop()).toBe(0);
    } finally {
      boxwire.kill();
    }
  });
});
