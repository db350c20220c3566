/**
 * The Python pool packs quick jobs onto a busy process that is moving
 * rather than wake one that sleeps, driven directly (no sockets): a burst
 * crosses to one process; a job packed onto a process that then stops
 * moving (a slow request) runs on the free one a pack window later, not
 * after the slow request.
 */
import { describe, expect, it } from 'vitest';
import type { Sink } from '../../components/sink.js';
import type { PoolReply } from '../../components/wsgi/messages.js';
import { processPackWindow, pythonProcessCount, PythonPool } from '../../components/wsgi/python-pool.js';
import { waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { python3, pythonFixtures } from '../helpers/python.js';
import { poolJob } from '../helpers/wsgi.js';

/** A job for the fixture application at PATH_INFO `path`, with a sink for its replies. */
const job = (path: string, query = '') => poolJob('/py', path, query);

/** The pid a whole answer names ("pid thread", as /pid and /sleep say). */
async function pidOf(replies: Sink<PoolReply>): Promise<number> {
  await waitFor(() => replies.received.some((r) => r.type === 'failed' || (r.type === 'head' && r.last)));
  const head = replies.received.find((r) => r.type === 'head');
  expect(head).toMatchObject({ status: 200 });
  return Number(
    Buffer.from((head as { body: Uint8Array }).body)
      .toString()
      .split(' ')[0],
  );
}

async function startedPool(processes: number): Promise<PythonPool> {
  const pool = new PythonPool(
    { prefix: '/py', callable: 'apps:application', cwd: pythonFixtures, path: [] },
    {
      executable: python3,
      processes,
      maxProcesses: processes,
      threads: 1,
      killGrace: 300,
      queueSize: 256,
      idleTimeout: 30_000,
      requestTimeout: 30_000,
      maxRequests: 0,
      executorThreads: 2,
      executorQueue: 64,
      futureLifespan: 30_000,
    },
  );
  pool.start();
  await waitFor(() => pool.status.idle === processes);
  return pool;
}

describe('the Python pool, packing', () => {
  it('packs a burst of quick jobs onto the process that runs the first, and leaves the other asleep', async () => {
    const before = snapshot();
    const pool = await startedPool(2);
    // One turn: the first runs at once, and the process running it has only just started: the others are packed onto
    // it (spread, the second would wake the other process, and the rest would alternate between the two).
    const jobs = Array.from({ length: 20 }, () => job('/pid'));
    const sending = performance.now();
    for (const { request } of jobs) pool.inboxes.jobs.send(request);
    // Unless this machine kept the test from running for a whole window meanwhile (the first job's write may hand the
    // core to its process): then the pool rightly takes the process for stuck.
    if (performance.now() - sending < processPackWindow) expect(pool.status).toMatchObject({ busy: 1, idle: 1, running: 1, queued: 19 });
    const pids = await Promise.all(jobs.map(({ replies }) => pidOf(replies)));
    // Each once (the other process may take a few, if this one is not heard from within the window on a busy machine).
    expect(pids).toHaveLength(20);
    await pool.shutdown();
    for (const { replies } of jobs) await replies.shutdown();
    await waitFor(() => pythonProcessCount() === 0, 3_000);
    await expectNoLeaks(before);
  });

  it('packs nothing onto a process whose pace is slower than the window: the free one takes the job', async () => {
    const pool = await startedPool(2);
    // One job of 20 ms sets the pace of the process that ran it (the first free one: the same again below).
    const first = job('/sleep', 's=0.02');
    pool.inboxes.jobs.send(first.request);
    const slowPid = await pidOf(first.replies);
    const slow = job('/sleep', 's=0.02');
    const quick = job('/pid');
    const sending = performance.now();
    pool.inboxes.jobs.send(slow.request);
    pool.inboxes.jobs.send(quick.request);
    if (performance.now() - sending < processPackWindow) expect(pool.status).toMatchObject({ busy: 2, idle: 0, queued: 0 });
    expect(await pidOf(slow.replies)).toBe(slowPid);
    expect(await pidOf(quick.replies)).not.toBe(slowPid);
    await pool.shutdown();
    await Promise.all([first, slow, quick].map((j) => j.replies.shutdown()));
    await waitFor(() => pythonProcessCount() === 0, 3_000);
  });

  it('hands a job packed onto a process that stops moving to the free one, a window later', async () => {
    const pool = await startedPool(2);
    const slow = job('/sleep', 's=1.5');
    const quick = job('/pid');
    const started = performance.now();
    // The same turn: the slow job's process has only just started it, so it counts as moving and the quick one is packed
    // onto it (unless this machine kept the test from running for a window meanwhile, as above).
    pool.inboxes.jobs.send(slow.request);
    pool.inboxes.jobs.send(quick.request);
    const packed = performance.now() - started < processPackWindow;
    if (packed) expect(pool.status).toMatchObject({ busy: 1, idle: 1, queued: 1 });
    const quickPid = await pidOf(quick.replies);
    expect(performance.now() - started).toBeLessThan(1_000);
    if (packed) expect(performance.now() - started).toBeGreaterThanOrEqual(processPackWindow);
    expect(quickPid).not.toBe(await pidOf(slow.replies));
    await pool.shutdown();
    await Promise.all([slow.replies.shutdown(), quick.replies.shutdown()]);
    await waitFor(() => pythonProcessCount() === 0, 3_000);
  });
});
