/**
 * WorkerPool: the server-wide component that runs WSGI and fetch-style
 * applications on worker threads, with Rocket's ThreadPool semantics (the
 * scheduling is JobPool's, shared with the Python process pool). One per
 * server; every request's gateway is linked to its `jobs` inbox.
 *
 * - `minThreads` threads are always alive. While requests wait and every
 *   thread is busy, the pool grows one thread at a time (the next starts
 *   once the last is ready) up to `maxThreads` (0: no limit); a thread idle
 *   for `idleTimeout` ms beyond the minimum is retired.
 * - Requests wait in a queue of at most `queueSize`; past that they are
 *   answered 503 at once, which Rocket never did (its queue_size was the
 *   listen backlog). Only requests occupy threads: idle and slow connections
 *   live on the event loop.
 * - Faults: a thread that runs longer than `requestTimeout` ms without a
 *   sign of progress (time it waits for the client does not count) is
 *   terminated and replaced, its request answered 504; a thread that dies
 *   is replaced and its request answered 502; after `maxRequests` requests
 *   (when set) a thread is recycled.
 * - A job offered ahead to a busy thread (JobPool) is posted with a token
 *   in a shared slot, which the thread and the pool compare-and-swap: the
 *   thread to take the job, the pool to take it back.
 * - Pool changes are logged on the monitor channel with the pool's state;
 *   `status` reads it at any time.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assertNever } from '../../src/core/component.js';
import { JobPool, PoolLease, listenTo, startingWorker, type PoolWorker, type Scheduling, type Withdrawal } from './job-pool.js';
import type { Box } from '../../src/core/box.js';
import { offerToken, type AppModule, type FromThread, type Job, type JobUpdate, type PoolReply, type ThreadData } from './messages.js';

/** JobPool's scheduling, its workers being threads. */
export interface PoolOptions extends Omit<Scheduling, 'minWorkers' | 'maxWorkers'> {
  /** Threads always alive. Default 10, as Rocket. */
  readonly minThreads: number;
  /** Most threads; 0 for no limit. Default 0, as Rocket. */
  readonly maxThreads: number;
}

export const defaultPoolOptions: PoolOptions = {
  minThreads: 10,
  maxThreads: 0,
  queueSize: 256,
  idleTimeout: 30_000,
  requestTimeout: 60_000,
  maxRequests: 0,
};

export interface PoolState {
  /** Threads alive, starting ones included. */
  readonly threads: number;
  readonly busy: number;
  readonly idle: number;
  readonly starting: number;
  /** Requests waiting for a thread. */
  readonly queued: number;
  /** Requests completed since the pool started. */
  readonly served: number;
}

interface Thread extends PoolWorker {
  readonly worker: Worker;
  /** Shared with the thread: [0] the bell, [1] and [2] the tokens of jobs offered to it (0: none). */
  readonly slots: Int32Array;
  /** The job it runs that was offered, until the thread is heard to have taken it: its slot is not free. */
  unconfirmed: Lease | undefined;
  /** The last uncaught error of the thread, for the 502's reason. */
  error: Error | undefined;
  release: () => void;
}

class Lease extends PoolLease<Thread> {
  /** The slot of its offer's token. */
  slot = 0;
}

/** Threads alive in this process (started and not yet exited), across pools: what leak checks read. */
let liveThreads = 0;
export function threadCount(): number {
  return liveThreads;
}

/**
 * The compiled thread script. Under vitest this module is TypeScript, run
 * from source, but a worker thread needs JavaScript: the build's copy under
 * dist/ is used (npm test builds first).
 */
const threadScript = fileURLToPath(
  import.meta.url.endsWith('.ts') ? new URL('../../dist/components/wsgi/thread.js', import.meta.url) : new URL('./thread.js', import.meta.url),
);

export class WorkerPool extends JobPool<Thread, Lease> {
  private readonly reportedFailures = new Set<number>();

  constructor(
    private readonly apps: readonly AppModule[],
    options: PoolOptions = defaultPoolOptions,
  ) {
    super({ ...options, minWorkers: options.minThreads, maxWorkers: options.maxThreads }, { prefix: 'wsgi pool', noun: 'thread', nouns: 'threads' });
  }

  /** The pool now: threads, busy, idle, starting, queued (offered jobs included), served. */
  get status(): PoolState {
    const f = this.figures();
    return { threads: f.workers, busy: f.busy, idle: f.idle, starting: f.starting, queued: f.queued, served: f.served };
  }

  protected lease(job: Job, out: Box<PoolReply>): Lease {
    return new Lease(job, out);
  }

  protected nameOf(thread: Thread): string {
    return `thread ${thread.number}`;
  }

  protected runJob(thread: Thread, lease: Lease): void {
    this.post(thread, lease.job);
  }

  protected forward(thread: Thread, update: JobUpdate): void {
    if (update.type === 'input') {
      const chunk = update.chunk;
      this.post(thread, update, movable(chunk) ? [chunk.buffer as ArrayBuffer] : undefined);
    } else this.post(thread, update);
  }

  /**
   * Posts a job to a busy thread ahead of time: it is in the thread's port
   * when its current job ends, so it starts without the thread going to
   * sleep and being woken again (on a busy machine each wake-up is a trip
   * through the scheduler). Both sides compare-and-swap its token. Two
   * slots, because the job offered last may still be untaken (though no
   * longer withdrawable) when the next is offered.
   */
  protected postAhead(thread: Thread, lease: Lease): void {
    lease.slot = thread.unconfirmed?.slot === 1 ? 2 : 1;
    Atomics.store(thread.slots, lease.slot, offerToken(lease.job.id));
    const job = lease.job;
    this.post(thread, { type: 'job', id: job.id, app: job.app, environ: job.environ, hasBody: job.hasBody, label: job.label, slot: lease.slot });
  }

  /** Takes back the job offered to a thread, at once: unless the thread has taken it already. */
  protected withdraw(thread: Thread, lease: Lease): Withdrawal {
    const token = offerToken(lease.job.id);
    return Atomics.compareExchange(thread.slots, lease.slot, token, 0) === token ? 'withdrawn' : 'taken';
  }

  protected override promoted(thread: Thread, lease: Lease): void {
    thread.unconfirmed = lease;
  }

  private fromThread(thread: Thread, message: FromThread): void {
    switch (message.type) {
      case 'ready':
        return this.loaded(thread, message.failures);
      case 'errors':
      case 'blocked':
      case 'wantInput':
      case 'head':
      case 'chunk':
      case 'end':
      case 'failed':
        if (thread.unconfirmed?.job.id === message.id) thread.unconfirmed = undefined;
        return this.fromWorker(thread, message);
      default:
        assertNever(message);
    }
  }

  private loaded(thread: Thread, failures: readonly { app: number; message: string; stack?: string }[]): void {
    if (thread.status !== 'starting') return;
    for (const broken of failures) {
      if (this.reportedFailures.has(broken.app)) continue;
      this.reportedFailures.add(broken.app);
      this.log('errors', 'error', `WSGI application ${this.apps[broken.app]?.module} could not be loaded: ${broken.message}`, broken.stack ? { stack: broken.stack } : undefined);
    }
    this.ready(thread);
  }

  protected startWorker(number: number): Thread {
    const slots = new Int32Array(new SharedArrayBuffer(12));
    const data: ThreadData = { apps: this.apps, slots: slots.buffer as SharedArrayBuffer };
    const worker = new Worker(threadScript, { workerData: data });
    liveThreads++;
    worker.once('exit', () => liveThreads--);
    // A forgotten pool must not keep the process alive; a listening server does that.
    worker.unref();
    const thread: Thread = {
      ...startingWorker(number, 1),
      worker,
      slots,
      unconfirmed: undefined,
      error: undefined,
      release: () => {},
    };
    const onMessage = (message: FromThread): void => this.run(() => this.fromThread(thread, message));
    const onError = (error: Error): void => this.run(() => (thread.error = error));
    const onExit = (code: number): void =>
      this.run(() => {
        this.disown(thread.release, false);
        const error = thread.error;
        this.exited(thread, error ? error.message : `exit code ${code}`, error?.stack);
      });
    const stopListening = listenTo(worker, { message: onMessage, error: onError, exit: onExit });
    thread.release = () => {
      stopListening();
      void worker.terminate();
    };
    this.own(thread.release);
    return thread;
  }

  /** Its listeners stay until it has exited: that it exited is how a death is told from a retirement. */
  protected stopWorker(thread: Thread): void {
    this.disown(thread.release, false);
    void thread.worker.terminate();
  }

  /** Posts to a thread and rings its bell, in case it is blocked waiting. */
  private post(thread: Thread, message: Job | JobUpdate, transfer?: ArrayBuffer[]): void {
    thread.worker.postMessage(message, transfer);
    Atomics.add(thread.slots, 0, 1);
    Atomics.notify(thread.slots, 0);
  }
}

/**
 * Whether a chunk can be moved to a thread rather than copied: only when it
 * is the whole of its ArrayBuffer, so that moving it takes nothing else away
 * (small Node Buffers share one pooled ArrayBuffer). A socket's reads are
 * each a buffer of their own.
 */
export function movable(chunk: Uint8Array): boolean {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && !(chunk.buffer instanceof SharedArrayBuffer);
}
