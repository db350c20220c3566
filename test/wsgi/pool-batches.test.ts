/**
 * The thread pool's batches, driven directly (no sockets): what the pool
 * tells a thread during one turn goes in one message; a thread holds
 * several jobs offered ahead and starts them in order; jobs offered to a
 * thread that dies, or that is due for recycling, are not lost; and a
 * burst of quick requests offered to a thread busy with a slow one runs on
 * the thread that is free.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sink } from '../../components/sink.js';
import { defaultPoolOptions, threadCount, threadOffers, WorkerPool, type PoolOptions } from '../../components/wsgi/pool.js';
import type { PoolReply } from '../../components/wsgi/messages.js';
import { request, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { fixture, poolJob, wsgiServer } from '../helpers/wsgi.js';

/** A job for the PEP 3333 fixture at PATH_INFO `path`, with a sink for its replies. */
const job = (path: string, query = '') => poolJob('/app', path, query);

/** The last word on a job (its head when whole, else its end or failure). */
async function answer(replies: Sink<PoolReply>): Promise<PoolReply> {
  await waitFor(() => replies.received.some((r) => r.type === 'failed' || r.type === 'end' || (r.type === 'head' && r.last)));
  return replies.received.find((r) => r.type === 'failed' || (r.type === 'head' && r.last))!;
}

function body(reply: PoolReply): string {
  if (reply.type !== 'head') return `${reply.type} ${reply.type === 'failed' ? reply.status : ''}`;
  return typeof reply.body === 'string' ? reply.body : Buffer.from(reply.body!).toString();
}

async function startedPool(options: Partial<PoolOptions>): Promise<WorkerPool> {
  const pool = new WorkerPool([{ module: fixture('pep3333.mjs') }], { ...defaultPoolOptions, ...options });
  pool.start();
  await waitFor(() => pool.status.idle === options.minThreads);
  return pool;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the thread pool, in batches', () => {
  it('posts what it tells a thread during one turn in one message, and the thread runs every job of it, in order', async () => {
    const before = snapshot();
    const pool = await startedPool({ minThreads: 1, maxThreads: 1 });
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    const jobs = Array.from({ length: 5 }, (_, i) => job('/tid', `n=${i}`));
    // One turn: the first runs at once, the others are offered ahead to the same (busy) thread.
    for (const { request } of jobs) pool.inboxes.jobs.send(request);
    expect(pool.status).toMatchObject({ busy: 1, queued: 4 });
    const answers = await Promise.all(jobs.map(({ replies }) => answer(replies)));
    expect(answers.every((a) => a.type === 'head' && a.status === 200)).toBe(true);
    expect(new Set(answers.map(body)).size).toBe(1);
    expect(posted).toHaveBeenCalledTimes(1);
    const batch = posted.mock.calls[0]![0] as unknown[];
    expect(batch.map((m) => (Array.isArray(m) ? m[0] : m))).toEqual(jobs.map(({ request }) => request.id));
    await waitFor(() => pool.status.served === 5 && pool.status.busy === 0);
    await pool.shutdown();
    for (const { replies } of jobs) await replies.shutdown();
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  });

  it('holds up to threadOffers jobs offered ahead to a busy thread, and queues the rest', async () => {
    const pool = await startedPool({ minThreads: 1, maxThreads: 1 });
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    const slow = job('/sleep', 'ms=300');
    pool.inboxes.jobs.send(slow.request);
    const quick = Array.from({ length: threadOffers + 3 }, () => job('/hello'));
    for (const { request } of quick) pool.inboxes.jobs.send(request);
    expect(pool.status).toMatchObject({ busy: 1, queued: threadOffers + 3 });
    await waitFor(() => posted.mock.calls.length > 0);
    // The slow one and threadOffers quick ones at once; the rest once the thread has room.
    const first = posted.mock.calls[0]![0] as unknown[];
    expect(first.map((m) => (m as number[])[0])).toEqual([slow, ...quick.slice(0, threadOffers)].map(({ request }) => request.id));
    const answers = await Promise.all(quick.map(({ replies }) => answer(replies)));
    expect(answers.map(body)).toEqual(quick.map(() => 'Hello world!\n'));
    expect(body(await answer(slow.replies))).toMatch(/^slept 300 ms/);
    await waitFor(() => pool.status.served === threadOffers + 4);
    await pool.shutdown();
  });

  it('reuses the slots of offers taken back, never one still holding an offer', async () => {
    const pool = await startedPool({ minThreads: 1, maxThreads: 1 });
    const slow = job('/sleep', 'ms=300');
    pool.inboxes.jobs.send(slow.request);
    const first = Array.from({ length: threadOffers }, (_, i) => job('/tid', `first=${i}`));
    for (const { request } of first) pool.inboxes.jobs.send(request);
    // Two offers in the middle are called off: their slots are free again, out of turn.
    const [cancelled, kept] = [first.slice(4, 6), [...first.slice(0, 4), ...first.slice(6)]];
    for (const { request } of cancelled) pool.inboxes.jobs.send({ type: 'cancel', id: request.id });
    const more = Array.from({ length: 2 }, (_, i) => job('/tid', `more=${i}`));
    for (const { request } of more) pool.inboxes.jobs.send(request);
    const answers = await Promise.all([...kept, ...more].map(({ replies }) => answer(replies)));
    expect(answers.every((a) => a.type === 'head' && a.status === 200)).toBe(true);
    for (const { replies } of cancelled) expect(replies.received.map((r) => r.type)).toEqual([]);
    await waitFor(() => pool.status.served === 1 + kept.length + more.length);
    await pool.shutdown();
  });

  it('loses none of the jobs offered to a thread that dies: they run on its replacement, once', async () => {
    const pool = await startedPool({ minThreads: 1, maxThreads: 1 });
    const dying = job('/die');
    const others = Array.from({ length: 4 }, (_, i) => job('/tid', `n=${i}`));
    const dyingTid = new Set<string>();
    pool.inboxes.jobs.send(dying.request);
    for (const { request } of others) pool.inboxes.jobs.send(request);
    const failed = await answer(dying.replies);
    expect(failed).toMatchObject({ type: 'failed', status: 502 });
    const answers = await Promise.all(others.map(({ replies }) => answer(replies)));
    for (const a of answers) dyingTid.add(body(a));
    expect(answers.every((a) => a.type === 'head' && a.status === 200)).toBe(true);
    // All on the replacement thread, each answered once.
    expect(dyingTid.size).toBe(1);
    for (const { replies } of others) expect(replies.received.filter((r) => r.type === 'head')).toHaveLength(1);
    await waitFor(() => pool.status.served === 4);
    await pool.shutdown();
  });

  it('recycles a thread with jobs offered to it: those it has not started run on the next thread', async () => {
    const pool = await startedPool({ minThreads: 1, maxThreads: 1, maxRequests: 2 });
    const slow = job('/sleep', 'ms=200');
    pool.inboxes.jobs.send(slow.request);
    const others = Array.from({ length: 6 }, (_, i) => job('/tid', `n=${i}`));
    for (const { request } of others) pool.inboxes.jobs.send(request);
    const answers = await Promise.all(others.map(({ replies }) => answer(replies)));
    expect(answers.every((a) => a.type === 'head' && a.status === 200)).toBe(true);
    // No thread was offered more than it could serve: each ran two requests, the slow one's thread included.
    const tids = [body(await answer(slow.replies)).match(/in (\d+)/)![1], ...answers.map(body)];
    const perThread = new Map<string, number>();
    for (const tid of tids) perThread.set(tid!, (perThread.get(tid!) ?? 0) + 1);
    expect([...perThread.values()]).toEqual([2, 2, 2, 1]);
    await waitFor(() => pool.status.served === 7);
    await pool.shutdown();
  });
});

describe('a burst of quick requests behind a slow one', () => {
  it('takes back what was offered to the slow thread and runs it on the other, once that is free', async () => {
    const pool = await startedPool({ minThreads: 2, maxThreads: 2 });
    const slow = job('/sleep', 'ms=1200');
    const short = job('/sleep', 'ms=100');
    pool.inboxes.jobs.send(slow.request);
    pool.inboxes.jobs.send(short.request);
    // Both threads busy: the burst is offered ahead to both, half of it to the slow one.
    const quick = Array.from({ length: 10 }, () => job('/tid'));
    for (const { request } of quick) pool.inboxes.jobs.send(request);
    const started = Date.now();
    const answers = await Promise.all(quick.map(({ replies }) => answer(replies)));
    expect(Date.now() - started).toBeLessThan(800);
    const slowTid = body(await answer(slow.replies)).match(/in (\d+)/)![1];
    expect(answers.map(body).filter((tid) => tid === slowTid)).toEqual([]);
    await pool.shutdown();
  });

  it('runs them all on the thread that is free, long before the slow one ends', async () => {
    const { server, port } = await wsgiServer({ pool: { minThreads: 2, maxThreads: 2 } });
    await waitFor(() => server.poolStatus!.idle === 2);
    const slow = request(port, { path: '/app/sleep?ms=1500' });
    await waitFor(() => server.poolStatus!.busy === 1);
    // More than both threads can hold offered ahead: some are offered to the slow thread, some queued.
    const started = Date.now();
    const quick = await Promise.all(Array.from({ length: 2 * threadOffers + 4 }, () => request(port, { path: '/app/tid' })));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(quick.map((r) => r.status)).toEqual(quick.map(() => 200));
    const slowTid = (await slow).text.match(/in (\d+)/)![1];
    expect(quick.every((r) => r.text !== slowTid)).toBe(true);
    await server.stop();
  });
});
