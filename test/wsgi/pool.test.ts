/**
 * The thread pool over real sockets: growth one thread at a time while
 * requests wait, shrinking back to the minimum, the bounded queue's 503,
 * the time limit's 504 and replacement, a dying thread's 502 and
 * replacement, recycling, and no thread, timer or handle left behind.
 */
import { describe, expect, it } from 'vitest';
import { raw, request, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { fixture, lines, logged, wsgiServer } from '../helpers/wsgi.js';
import { movable, threadCount } from '../../components/wsgi/pool.js';

const get = (port: number, path: string) => request(port, { path });

describe('the pool', () => {
  it('starts minThreads threads, grows one at a time up to maxThreads while requests wait, then shrinks back', async () => {
    const before = snapshot();
    const { server, port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 3, idleTimeout: 200 } });
    await waitFor(() => server.poolStatus!.idle === 1);
    expect(server.poolStatus).toMatchObject({ threads: 1, busy: 0, queued: 0 });
    const counts: number[] = [];
    const watch = setInterval(() => counts.push(server.poolStatus!.threads), 2);
    const answers = await Promise.all([1, 2, 3, 4].map(() => get(port, '/app/sleep?ms=600')));
    clearInterval(watch);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    // Three distinct threads answered, and the pool never went past three, one new thread at a time.
    expect(new Set(answers.map((r) => r.text)).size).toBe(3);
    expect(Math.max(...counts)).toBe(3);
    for (let i = 1; i < counts.length; i++) expect(counts[i]! - counts[i - 1]!).toBeLessThanOrEqual(1);
    expect(lines(logs, 'monitor').filter((l) => l.includes('growing')).length).toBe(2);
    // Idle for idleTimeout: back to the minimum, said on the monitor channel with the pool's figures.
    await waitFor(() => server.poolStatus!.threads === 1);
    const shrink = logs.monitor!.find((r) => /thread \d+ stopped: idle/.test(r.message))!;
    expect(shrink.fields).toMatchObject({
      threads: expect.any(Number),
      busy: expect.any(Number),
      idle: expect.any(Number),
      queued: expect.any(Number),
    });
    expect(server.poolStatus!.served).toBe(4);
    await server.stop();
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    const { server, port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1, queueSize: 1 } });
    await waitFor(() => server.poolStatus!.idle === 1);
    const slow = [get(port, '/app/sleep?ms=400'), get(port, '/app/sleep?ms=400')];
    await waitFor(() => server.poolStatus!.busy === 1 && server.poolStatus!.queued === 1);
    const refused = await get(port, '/app/hello');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    await logged(logs, /queue is full/, 'monitor');
    await logged(logs, /503 GET \/app\/hello/);
  });

  it('keeps idle and slow connections off the threads: only requests occupy them', async () => {
    const { server, port } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
    // A client that sends half a head, and one idle keep-alive connection.
    const stalled = raw(port, 'GET /app/hello HTTP/1.1\r\nHo', { timeout: 400 });
    // Open for long enough to be answered (a client that left before its answer would be taken for gone) and then to sit idle.
    const idle = raw(port, 'GET /app/hello HTTP/1.1\r\nHost: x\r\n\r\n', { timeout: 2_000 });
    await waitFor(() => server.poolStatus!.served === 1);
    expect((await get(port, '/app/hello')).status).toBe(200);
    expect(server.poolStatus!.threads).toBe(1);
    await Promise.all([stalled, idle]);
  });

  it('answers 504 to a request over its time limit, and replaces its thread', async () => {
    const before = snapshot();
    const { server, port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1, requestTimeout: 300 } });
    const first = await get(port, '/app/tid');
    const res = await get(port, '/app/spin');
    expect(res.status).toBe(504);
    await logged(logs, /504 GET \/app\/spin .*time limit of 0.3 s/);
    await logged(logs, /thread \d+ stopped: GET \/app\/spin HTTP\/1\.1 ran over 0.3 s/, 'monitor');
    const next = await get(port, '/app/tid');
    expect(next.status).toBe(200);
    expect(next.text).not.toBe(first.text);
    await server.stop();
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  });

  it('does not count the time it waits for a slow client against the application', async () => {
    const { port } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1, requestTimeout: 400 } });
    // About a second to send the body, a few bytes at a time: the thread waits in read(n) all along.
    const body = 'x'.repeat(60);
    const head = `POST /app/read HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const { responses } = await raw(port, head + body, { pieces: 10, pause: 100, responses: 1 });
    expect(responses[0]!.status).toBe(200);
  });

  it('answers 502 when the thread dies (process.exit), and replaces it', async () => {
    const before = snapshot();
    const { server, port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
    expect((await get(port, '/app/die')).status).toBe(502);
    await logged(logs, /WSGI thread \d+ died running GET \/app\/die HTTP\/1\.1: exit code 3/);
    expect((await get(port, '/app/hello')).status).toBe(200);
    await server.stop();
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  });

  it('answers 502 when the thread dies of an uncaught exception, and names it', async () => {
    const { server, port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
    const { bytes } = await raw(port, 'GET /app/crash-async HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(bytes.toString()).toMatch(/^HTTP\/1\.1 502 /);
    await logged(logs, /died running GET \/app\/crash-async HTTP\/1\.1: thrown from a timer/);
    await waitFor(() => server.poolStatus!.idle === 1);
  });

  it('answers 502, without starting thread after thread, when the application ends its thread as it loads', async () => {
    const { server, port, logs } = await wsgiServer({
      wsgi: [`/app/=${fixture('exit-at-load.mjs')}`],
      pool: { minThreads: 1, maxThreads: 2 },
    });
    await logged(logs, /thread \d+ died while starting: exit code 9/);
    expect(server.poolStatus!.threads).toBe(0);
    expect((await get(port, '/app/x')).status).toBe(502);
    await waitFor(() => server.poolStatus!.threads === 0);
    expect(lines(logs).filter((l) => l.includes('died while starting')).length).toBe(2);
  });

  it('recycles a thread after maxRequests requests', async () => {
    const { port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1, maxRequests: 2 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await get(port, '/app/tid')).text);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).toBe(ids[3]);
    expect(new Set(ids).size).toBe(3);
    await logged(logs, /recycled after 2 requests/, 'monitor');
  });

  it('lets a request queued behind a slow one run on the next thread free, not wait for the slow one', async () => {
    const { server, port } = await wsgiServer({ pool: { minThreads: 2, maxThreads: 2 } });
    await waitFor(() => server.poolStatus!.idle === 2);
    const slow = get(port, '/app/sleep?ms=1500');
    const quick = get(port, '/app/sleep?ms=100');
    await waitFor(() => server.poolStatus!.busy === 2);
    // Both threads busy: this one waits (it may have been offered ahead to the slow thread).
    const started = Date.now();
    const third = await get(port, '/app/hello');
    expect(third.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await quick).status).toBe(200);
    expect((await slow).status).toBe(200);
  });

  it('loses no request and mixes up no response under a churn of slow and quick requests', async () => {
    const { server, port } = await wsgiServer({ pool: { minThreads: 3, maxThreads: 3, queueSize: 1000 } });
    await waitFor(() => server.poolStatus!.idle === 3);
    const sleeps = Array.from({ length: 150 }, (_, i) => (i * 7919) % 23);
    let next = 0;
    const client = async () => {
      const seen: [number, string][] = [];
      while (next < sleeps.length) {
        const ms = sleeps[next++]!;
        const res = await raw(port, `GET /app/sleep?ms=${ms} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { responses: 1 });
        seen.push([res.responses[0]!.status, res.responses[0]!.text.replace(`slept ${ms} ms in `, 'ok ')]);
      }
      return seen;
    };
    const results = (await Promise.all(Array.from({ length: 25 }, client))).flat();
    expect(results).toHaveLength(150);
    expect(results.every(([status, text]) => status === 200 && /^ok \d+\n$/.test(text))).toBe(true);
    await waitFor(() => server.poolStatus!.busy === 0);
    expect(server.poolStatus).toMatchObject({ threads: 3, queued: 0, served: 150 });
  });

  it('stops with the server: requests in flight finish, no thread is left', async () => {
    const before = snapshot();
    const { server, port } = await wsgiServer({ pool: { minThreads: 2, maxThreads: 2 } });
    const inFlight = get(port, '/app/sleep?ms=200');
    await waitFor(() => server.poolStatus!.busy === 1);
    const stopping = server.stop(2_000);
    expect((await inFlight).status).toBe(200);
    await stopping;
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  });

  it('stops at the deadline even when an application never returns: its thread is terminated', async () => {
    const before = snapshot();
    const { server, port } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
    const spinning = raw(port, 'GET /app/spin HTTP/1.1\r\nHost: x\r\n\r\n', { timeout: 2_000 });
    await waitFor(() => server.poolStatus!.busy === 1);
    await server.stop(100);
    expect((await spinning).closed).toBe(true);
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  });
});

describe('movable: which request body chunks are moved to a thread rather than copied', () => {
  it.each([
    ['a socket read (a buffer of its own)', new Uint8Array(65536), true],
    ['a view into part of a buffer', new Uint8Array(new ArrayBuffer(100), 10, 20), false],
    ['a small Buffer from the shared pool', Buffer.from('abc'), false],
    ['shared memory', new Uint8Array(new SharedArrayBuffer(16)), false],
  ])('%s: %s', (_, chunk, expected) => {
    expect(movable(chunk)).toBe(expected);
  });
});
