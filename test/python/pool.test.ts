/**
 * The Python process pool over real sockets, with real python3 workers:
 * threads per process, several processes, growth and shrinking, the queue's
 * 503, the time limit's 504 (the process killed and replaced), a worker
 * killed mid-request (502, replaced), recycling, an application that cannot
 * be loaded (503, its traceback, no respawning), a slow client (bounded
 * memory, not the application's time), jobs offered ahead and taken back,
 * and nothing left behind: no process, zombie, handle or timer.
 */
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { raw, request, sleep, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { expectNoChildren, processAlive } from '../helpers/processes.js';
import { lines, logged } from '../helpers/wsgi.js';
import { poolReady, pythonServer } from '../helpers/python.js';
import { pythonProcessCount } from '../../components/wsgi/python-pool.js';

const get = (port: number, path: string) => request(port, { path });
const app = ['/py/=python:apps:application'];
/** "pid threadname" as /pid and /sleep answer. */
const pidOf = (text: string) => Number(text.split(' ')[0]);

describe('the Python pool', () => {
  it('runs requests on several threads of one process at once', async () => {
    const { port, server } = await pythonServer(app, { processes: 1, threads: 3 });
    await poolReady({ server } as never);
    const started = Date.now();
    const answers = await Promise.all([1, 2, 3].map(() => get(port, '/py/sleep?s=0.4')));
    expect(Date.now() - started).toBeLessThan(1_100);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((r) => pidOf(r.text))).size).toBe(1);
    expect(new Set(answers.map((r) => r.text.split(' ')[1])).size).toBe(3);
    // Several threads: wsgi.multithread says so.
    expect(JSON.parse((await get(port, '/py/environ')).text)['wsgi.multithread']).toBe(true);
  });

  it('runs requests on several processes, each with one thread, and says wsgi.multiprocess', async () => {
    const { port, server } = await pythonServer(app, { processes: 2 });
    await poolReady({ server } as never, 2);
    const answers = await Promise.all([1, 2].map(() => get(port, '/py/sleep?s=0.3')));
    expect(new Set(answers.map((r) => pidOf(r.text))).size).toBe(2);
    expect(JSON.parse((await get(port, '/py/environ')).text)).toMatchObject({ 'wsgi.multiprocess': true, 'wsgi.multithread': false });
    expect(server.pythonPools[0]!.status).toMatchObject({ processes: 2, busy: 0, idle: 2, queued: 0 });
  });

  it('grows one process at a time up to maxProcesses while requests wait, then shrinks back', async () => {
    const { port, server, logs } = await pythonServer(app, { processes: 1, maxProcesses: 3, idleTimeout: 300 });
    const pool = server.pythonPools[0]!;
    await poolReady({ server } as never);
    const counts: number[] = [];
    const watch = setInterval(() => counts.push(pool.status.processes), 2);
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => get(port, '/py/sleep?s=0.5')));
    clearInterval(watch);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(Math.max(...counts)).toBe(3);
    for (let i = 1; i < counts.length; i++) expect(counts[i]! - counts[i - 1]!).toBeLessThanOrEqual(1);
    expect(lines(logs, 'monitor').filter((l) => l.includes('growing')).length).toBeGreaterThanOrEqual(1);
    await waitFor(() => pool.status.processes === 1, 5_000);
    const shrink = await logged(logs, /^python \/py: process \d+ \(pid \d+\) stopped: idle$/, 'monitor');
    expect(shrink).toBeDefined();
    expect(logs.monitor!.find((r) => r.message === shrink)!.fields).toMatchObject({
      processes: expect.any(Number),
      running: expect.any(Number),
      queued: expect.any(Number),
    });
    expect(pool.status.served).toBe(5);
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    const { port, server, logs } = await pythonServer(app, { processes: 1, maxProcesses: 1, queueSize: 1 });
    await poolReady({ server } as never);
    const slow = [get(port, '/py/sleep?s=0.5'), get(port, '/py/sleep?s=0.1')];
    await waitFor(() => server.pythonPools[0]!.status.running === 1 && server.pythonPools[0]!.status.queued === 1);
    const refused = await get(port, '/py/hello');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    await logged(logs, /queue is full/, 'monitor');
    await logged(logs, /503 GET \/py\/hello .*all 1 process are busy/);
  });

  it('answers 504 to a request over its time limit, and kills and replaces its process', async () => {
    const before = snapshot();
    const { port, server, logs } = await pythonServer(app, { processes: 1, requestTimeout: 300 });
    const first = pidOf((await get(port, '/py/pid')).text);
    const res = await get(port, '/py/spin');
    // What the pool said, should it have answered otherwise.
    expect(res.status, JSON.stringify([...logs.errors!, ...logs.monitor!].map((r) => r.message))).toBe(504);
    await logged(logs, /504 GET \/py\/spin .*time limit of 0.3 s/);
    await logged(logs, /process 1 \(pid \d+\) stopped: GET \/py\/spin HTTP\/1\.1 ran over 0.3 s/, 'monitor');
    await waitFor(() => !processAlive(first));
    const next = await get(port, '/py/pid');
    expect(next.status).toBe(200);
    expect(pidOf(next.text)).not.toBe(first);
    await server.stop();
    await waitFor(() => pythonProcessCount() === 0);
    await expectNoChildren();
    await expectNoLeaks(before);
  });

  it('does not count the time it waits for a slow client against the application', async () => {
    const { port } = await pythonServer(app, { processes: 1, requestTimeout: 400 });
    // About a second to send the body, a few bytes at a time: the process waits in read(n) all along.
    const body = 'x'.repeat(60);
    const head = `POST /py/echo?size=60 HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const { responses } = await raw(port, head + body, { pieces: 10, pause: 100, responses: 1 });
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.text).toBe(body);
  });

  it('streams to a client that reads slowly with bounded memory, and not on the application time', async () => {
    const { port, server, logs } = await pythonServer(app, { processes: 1, requestTimeout: 500 });
    const produced = () => Math.max(0, ...lines(logs).map((l) => Number(/big produced (\d+)$/.exec(l)?.[1] ?? 0)));
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let received = 0;
    socket.on('data', (chunk: Buffer) => void (received += chunk.length));
    socket.write('GET /py/big?mb=40 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await waitFor(() => received > 2 * 1048576);
    socket.pause();
    await sleep(300);
    const stalledAt = produced();
    // Stalled for longer than the time limit: the application waits for credit, which is the client's time.
    await sleep(700);
    expect(produced()).toBe(stalledAt);
    // Loopback socket buffers can hold several MiB; the server and the runner hold at most the credit window.
    expect(stalledAt - received).toBeLessThan(24 * 1048576);
    socket.resume();
    await once(socket, 'close');
    expect(received).toBeGreaterThan(40 * 1048576);
    await logged(logs, /big closed after 41943040 bytes/);
    expect(lines(logs).some((l) => l.includes('504'))).toBe(false);
    await waitFor(() => server.pythonPools[0]!.status.running === 0);
  }, 30_000);

  it('answers 502 when the process is killed mid-request, and starts another', async () => {
    const { port, server, logs } = await pythonServer(app, { processes: 1 });
    const pending = get(port, '/py/killed');
    const line = await logged(logs, /GET \/py\/killed HTTP\/1\.1: pid \d+$/);
    const pid = Number(/pid (\d+)$/.exec(line)![1]);
    process.kill(pid, 'SIGKILL');
    expect((await pending).status).toBe(502);
    await logged(logs, new RegExp(`WSGI process 1 \\(pid ${pid}\\) died running GET /py/killed HTTP/1\\.1: killed by SIGKILL`));
    const next = await get(port, '/py/pid');
    expect(next.status).toBe(200);
    expect(pidOf(next.text)).not.toBe(pid);
    expect(server.pythonPools[0]!.status.processes).toBe(1);
  });

  it('answers 502 when the application ends its own process, and starts another', async () => {
    const { port, logs } = await pythonServer(app, { processes: 1 });
    expect((await get(port, '/py/die')).status).toBe(502);
    await logged(logs, /WSGI process 1 \(pid \d+\) died running GET \/py\/die HTTP\/1\.1: exit code 3/);
    expect((await get(port, '/py/hello')).status).toBe(200);
  });

  it('kills a process that breaks the protocol, answers its request 502, and starts another', async () => {
    const { port, logs } = await pythonServer(app, { processes: 1 });
    const first = pidOf((await get(port, '/py/pid')).text);
    expect((await get(port, '/py/garbage')).status).toBe(502);
    await logged(logs, /process 1 \(pid \d+\) broke the protocol: the worker sent a frame of unknown type 255/);
    await logged(logs, /died running GET \/py\/garbage HTTP\/1\.1: killed by SIGKILL/);
    expect(pidOf((await get(port, '/py/pid')).text)).not.toBe(first);
  });

  it('reads uploads on several threads of one process at once', async () => {
    const { port } = await pythonServer(app, { processes: 1, threads: 3 });
    const bodies = [1, 2, 3].map((n) => Buffer.alloc(400_000 * n, String(n)));
    const answers = await Promise.all(bodies.map((body) => request(port, { method: 'POST', path: '/py/echo?size=10000', body })));
    answers.forEach((res, i) => {
      expect(res.body.equals(bodies[i]!)).toBe(true);
    });
    const chunked =
      'POST /py/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';
    expect((await raw(port, chunked, { pieces: 5, pause: 10, responses: 1 })).responses[0]!.text).toBe('abcde');
  });

  it('recycles a process after maxRequests requests', async () => {
    const { port, logs } = await pythonServer(app, { processes: 1, maxRequests: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 5; i++) pids.push(pidOf((await get(port, '/py/pid')).text));
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).not.toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[4]).not.toBe(pids[3]);
    await logged(logs, /stopped: recycled after 2 requests/, 'monitor');
  });

  it('a burst on one busy process that recycles every 3 requests: every job offered ahead runs once, on some process, and none serves more than 3', async () => {
    const { port, logs } = await pythonServer(app, { processes: 1, maxRequests: 3 });
    const pids = (await Promise.all(Array.from({ length: 12 }, () => get(port, '/py/pid')))).map((res) => pidOf(res.text));
    const served = new Map<number, number>();
    for (const pid of pids) served.set(pid, (served.get(pid) ?? 0) + 1);
    expect(pids).toHaveLength(12);
    expect(Math.max(...served.values())).toBeLessThanOrEqual(3);
    expect(served.size).toBeGreaterThanOrEqual(4);
    await logged(logs, /stopped: recycled after 3 requests/, 'monitor');
  });

  it('reports an application that cannot be imported once, with its traceback, and answers 503 without starting process after process', async () => {
    const { port, server, logs } = await pythonServer(['/py/=python:broken:application'], { processes: 2 });
    const record = await waitFor(() => logs.errors!.some((r) => r.message.includes('could not be loaded'))).then(
      () => logs.errors!.find((r) => r.message.includes('could not be loaded'))!,
    );
    expect(record.message).toMatch(
      /^python \/py: broken:application could not be loaded \(its route answers 503 until the configuration is reloaded\):\nTraceback \(most recent call last\):/,
    );
    expect(record.message).toContain('File "');
    expect(record.message).toMatch(/ImportError: this module cannot be loaded \(on purpose\)$/);
    for (let i = 0; i < 3; i++) {
      const res = await get(port, '/py/hello');
      expect(res.status).toBe(503);
    }
    await logged(logs, /503 GET \/py\/hello .*could not be loaded: ImportError: this module cannot be loaded/);
    await sleep(200);
    expect(logs.errors!.filter((r) => r.message.includes('could not be loaded (its route')).length).toBe(1);
    expect(server.pythonPools[0]!.status.processes).toBe(0);
    expect(server.pythonPools[0]!.failure).toMatch(/ImportError/);
  });

  it('answers 502, without starting process after process, when the application ends its process as it loads', async () => {
    const { port, server, logs } = await pythonServer(['/py/=python:exits:application'], { processes: 1 });
    await logged(logs, /process 1 \(pid \d+\) died while starting: exit code 9/);
    expect(server.pythonPools[0]!.status.processes).toBe(0);
    expect((await get(port, '/py/x')).status).toBe(502);
    await sleep(100);
    expect(lines(logs).filter((l) => l.includes('died while starting')).length).toBe(2);
  });

  it('stops a process whose application is not ready within the time limit, as one that died while starting', async () => {
    const { port, server, logs } = await pythonServer(['/py/=python:hangs:application'], { processes: 1, requestTimeout: 400 });
    const res = await get(port, '/py/x');
    expect(res.status).toBe(502);
    await logged(logs, /WSGI process 1 \(pid \d+\) died while starting: not ready after 0.4 s/);
    expect(server.pythonPools[0]!.status.processes).toBe(0);
  });

  it('answers 503 when python cannot be started at all, and says why', async () => {
    const { port, logs } = await pythonServer(app, { executable: '/nonexistent/python3' });
    await logged(logs, /\/nonexistent\/python3 could not be started: spawn \/nonexistent\/python3 ENOENT/);
    expect((await get(port, '/py/hello')).status).toBe(503);
  });

  it('lets a request offered behind a slow one run on the next process free, not wait for the slow one', async () => {
    const { port, server } = await pythonServer(app, { processes: 2 });
    await poolReady({ server } as never, 2);
    const slow = get(port, '/py/sleep?s=1.5');
    await waitFor(() => server.pythonPools[0]!.status.running === 1);
    const short = get(port, '/py/sleep?s=0.2');
    await waitFor(() => server.pythonPools[0]!.status.running === 2);
    // Every process is busy: this one is offered ahead to one of them (the first, which runs the slow request).
    const started = Date.now();
    const offered = get(port, '/py/pid');
    await waitFor(() => server.pythonPools[0]!.status.queued === 1);
    const res = await offered;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_000);
    const shortPid = pidOf((await short).text);
    expect(pidOf(res.text)).toBe(shortPid);
    expect((await slow).status).toBe(200);
  });

  it("answers 504 at the server's handler timeout and calls the job off; the process goes on with the next", async () => {
    const { port, server } = await pythonServer(app, { processes: 1 }, { timeouts: { handler: 200 } });
    await poolReady({ server } as never);
    const started = Date.now();
    const res = await get(port, '/py/sleep?s=0.8');
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(700);
    // The application is still asleep; once it returns, its process hears that the job was called off, and is free.
    await waitFor(() => server.pythonPools[0]!.status.running === 0, 3_000);
    expect((await get(port, '/py/hello')).status).toBe(200);
    expect(server.pythonPools[0]!.status).toMatchObject({ processes: 1, served: 2 });
    // An upload that stalls: the application waits to read the rest, and is stopped as it waits, at once.
    const stalled = raw(port, 'POST /py/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello', { responses: 1, timeout: 3_000 });
    const { responses } = await stalled;
    expect(responses[0]!.status).toBe(504);
    await waitFor(() => server.pythonPools[0]!.status.running === 0, 1_000);
    expect((await get(port, '/py/hello')).status).toBe(200);
  });

  it('stops the application of a client that goes away, and calls close()', async () => {
    const { port, server, logs } = await pythonServer(app, { processes: 1 });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /py/stream?n=1000&size=10&delay=0.01 HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'data');
    socket.destroy();
    await logged(logs, /close\(\) called/);
    await logged(logs, /stream generator finished/);
    await waitFor(() => server.pythonPools[0]!.status.running === 0);
    expect((await get(port, '/py/hello')).status).toBe(200);
  });

  it('leaves nothing behind: no process, zombie, handle or timer', async () => {
    const before = snapshot();
    const { port, server } = await pythonServer(app, { processes: 2, threads: 2 });
    await Promise.all([get(port, '/py/hello'), get(port, '/py/stream'), request(port, { method: 'POST', path: '/py/echo', body: 'abc' })]);
    // One still running when the server stops: its process is stopped too.
    const stuck = get(port, '/py/spin').catch(() => undefined);
    await waitFor(() => server.pythonPools[0]!.status.running === 1);
    await server.stop(100);
    await stuck;
    await waitFor(() => pythonProcessCount() === 0, 3_000);
    await expectNoChildren();
    await expectNoLeaks(before);
  });
});
