/**
 * Rocket's futures on both WSGI paths: environ['wsgiorg.executor'] runs work
 * after the response (on the thread, as a promise; in the Python process, as
 * a concurrent.futures future, with wsgiorg.futures for the ones remembered
 * by name), bounded by a queue beyond which submitting raises, and drained
 * on a graceful stop.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { request, startServer, waitFor } from '../helpers/http.js';
import { pythonServer } from '../helpers/python.js';
import { startCommand } from '../helpers/cli.js';
import { fixture, lines, logged, wsgiServer } from '../helpers/wsgi.js';

const futures = [`/app/=${fixture('futures.mjs')}`];

describe('wsgiorg.executor on a thread', () => {
  it('runs the work after the response, never in the call, and settles its promise', async () => {
    const { port, logs } = await wsgiServer({ wsgi: futures });
    const started = Date.now();
    const res = await request(port, { path: '/app/later?id=a&ms=1000' });
    expect(res.text).toBe('submitted a, ran in the call: false\n');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lines(logs).some((l) => l.includes('later a done'))).toBe(false);
    await logged(logs, /: later a done$/);
    await logged(logs, /: later a resolved$/);
  });

  it('is bounded: beyond the queue, submitting throws ExecutorFull', async () => {
    const { port } = await wsgiServer({ wsgi: futures, pool: { executorQueue: 5 } });
    expect((await request(port, { path: '/app/flood?n=20' })).text).toBe('accepted 5 refused 15\n');
  });

  it('logs work that fails, and the thread lives on', async () => {
    const { port, logs, server } = await wsgiServer({ wsgi: futures, pool: { minThreads: 1, maxThreads: 1 } });
    expect((await request(port, { path: '/app/fail' })).text).toBe('submitted\n');
    const line = await logged(logs, /wsgiorg\.executor: brokenWork\(\) failed/);
    expect(line).toContain('the background work broke');
    expect((await request(port, { path: '/app/later?id=b&ms=1' })).status).toBe(200);
    expect(logs.errors.some((r) => /died/.test(r.message))).toBe(false);
    expect(server.poolStatus!.threads).toBe(1);
  });

  it('is drained by a graceful stop: the work submitted runs to its end first', async () => {
    const { port, logs, server } = await wsgiServer({ wsgi: futures });
    await request(port, { path: '/app/later?id=last&ms=600' });
    await server.stop(5_000);
    expect(lines(logs).some((l) => l.includes('later last done'))).toBe(true);
  });

  it('is drained when the command is stopped with SIGTERM, which then exits 0', async () => {
    const boxwire = await startCommand(['--port', '0', '--root', 'off', '--wsgi', futures[0]!, '--min-threads', '1']);
    try {
      expect((await request(boxwire.port, { path: '/app/later?id=cli&ms=500' })).status).toBe(200);
      expect(await boxwire.stop()).toBe(0);
      expect(boxwire.err()).toContain('later cli done');
    } finally {
      boxwire.kill();
    }
  });

  it('lets a thread recycled after its last request finish its work first', async () => {
    const { port, logs } = await wsgiServer({ wsgi: futures, pool: { minThreads: 1, maxThreads: 1, maxRequests: 1 } });
    await request(port, { path: '/app/later?id=recycled&ms=300' });
    await logged(logs, /recycled after 1 requests/, 'monitor');
    await logged(logs, /: later recycled done$/);
    expect((await request(port, { path: '/app/later?id=next&ms=1' })).status).toBe(200);
  });

  it('keeps a fetch handler going after its response with context.waitUntil, until it is done', async () => {
    const heard: string[] = [];
    const channel = new BroadcastChannel('futures-test');
    channel.onmessage = (event) => void heard.push((event as unknown as { data: string }).data);
    try {
      const { port, server } = await startServer({ wsgi: [`/f/=${fixture('futures.mjs')}#fetchApp`], pool: { minThreads: 1 } });
      expect((await request(port, { path: '/f/?id=w' })).text).toBe('answered w\n');
      expect(heard).toEqual([]);
      await server.stop(5_000);
      await waitFor(() => heard.length > 0, 1_000);
      expect(heard).toEqual(['waited w']);
    } finally {
      channel.close();
    }
  });
});

describe('wsgiorg.executor and wsgiorg.futures in a Python process', () => {
  const app = ['/py/=python:futures:application'];

  it('runs the work after the response; a future remembered by name is found by later requests', async () => {
    const { port, logs } = await pythonServer(app);
    const started = Date.now();
    expect((await request(port, { path: '/py/later?id=a&s=1' })).text).toBe('submitted a (True, False)\n');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await request(port, { path: '/py/result?id=a' })).text).toBe('pending\n');
    await logged(logs, /later a done/);
    let result = '';
    for (let i = 0; i < 20 && result !== 'done A\n'; i++) result = (await request(port, { path: '/py/result?id=a' })).text;
    expect(result).toBe('done A\n');
    expect((await request(port, { path: '/py/result?id=nobody' })).text).toBe('missing\n');
    expect((await request(port, { path: '/py/twice' })).text).toBe('refused a second future of the same name\n');
  });

  it('forgets a remembered future once its lifespan after it finished is over', async () => {
    const { port, logs } = await pythonServer(app, { futureLifespan: 200 });
    await request(port, { path: '/py/later?id=brief&s=0.05' });
    await logged(logs, /later brief done/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await request(port, { path: '/py/result?id=brief' })).text).toBe('missing\n');
  });

  it('is bounded: beyond the queue, submitting raises ExecutorFull', async () => {
    const { port } = await pythonServer(app, { executorQueue: 5, executorThreads: 1 });
    // Five wait; one more may have started on the thread already, which no longer waits.
    expect((await request(port, { path: '/py/flood?n=20' })).text).toMatch(/^accepted (5 refused 15|6 refused 14)\n$/);
  });

  it('logs work that fails, with its traceback', async () => {
    const { port, logs } = await pythonServer(app);
    await request(port, { path: '/py/fail' });
    await logged(logs, /wsgiorg\.executor: broken_work\(\) failed/);
    await logged(logs, /ValueError: the background work broke/);
  });

  it('is drained by a graceful stop: the work submitted runs to its end first', async () => {
    const { port, logs, server } = await pythonServer(app, { killGrace: 3_000 });
    await request(port, { path: '/py/later?id=last&s=0.6' });
    await server.stop(5_000);
    expect(lines(logs).some((l) => l.includes('later last done'))).toBe(true);
  });
});

describe("the README's examples", () => {
  it('examples/wsgi/mail-later.mjs answers at once and mails afterwards', async () => {
    const mail = fileURLToPath(new URL('../../examples/wsgi/mail-later.mjs', import.meta.url));
    const { port, logs } = await startServer({ wsgi: [`/signup/=${mail}`], pool: { minThreads: 1 } });
    const res = await request(port, { path: '/signup/?ada@example.com' });
    expect([res.status, res.text]).toEqual([202, 'queued\n']);
    await logged(logs, /welcome mail sent to ada@example\.com/);
  });

  it('examples/python/report.py builds its report in the background', async () => {
    const examples = fileURLToPath(new URL('../../examples/python/', import.meta.url));
    const { port } = await pythonServer(['/=python:report:application'], { cwd: examples });
    expect((await request(port, { path: '/status' })).text).toBe('none\n');
    expect((await request(port, { path: '/report?q3' })).text).toBe('building\n');
    let state = '';
    for (let i = 0; i < 50 && state !== 'done: Q3\n'; i++) {
      state = (await request(port, { path: '/status' })).text;
      if (state !== 'done: Q3\n') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(state).toBe('done: Q3\n');
  });
});
