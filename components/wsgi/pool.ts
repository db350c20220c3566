/**
 * WorkerPool: the server-wide component that runs WSGI and fetch-style
 * applications on worker threads, with Rocket's ThreadPool semantics (the
 * scheduling is JobPool's, shared with the Python process pool). One per
 * server; every request's gateway sends its job to its `jobs` inbox.
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
 * - A job offered ahead to a busy thread (JobPool; a thread holds up to
 *   `threadOffers`) is posted with a token in a shared slot, which the
 *   thread and the pool compare-and-swap: the thread to take the job, the
 *   pool to take it back.
 * - What the pool tells a thread during one turn of the event loop (jobs,
 *   offers, body bytes, credit) goes in one message at the end of the turn:
 *   one structured clone and one wake-up for a batch of quick requests
 *   rather than one each.
 * - Each thread has a wsgiorg.executor (thread-executor.ts) for work that
 *   outlives a response, bounded by `executorQueue` and
 *   `executorConcurrency`. A thread with such work left is not idle: it is
 *   not retired for idleness, one retired otherwise (recycled) finishes that
 *   work first (up to `requestTimeout`), and a graceful stop waits until
 *   every thread has drained (the server cuts that short at
 *   timeouts.shutdown).
 * - Pool changes are logged on the monitor channel with the pool's state;
 *   `status` reads it at any time.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assertNever } from '../../src/core/component.js';
import { JobPool, PoolLease, listenTo, startingWorker, type PoolWorker, type Scheduling, type Withdrawal } from './job-pool.js';
import type { Box } from '../../src/core/box.js';
import type { Lifecycle } from '../../src/core/signals.js';
import {
  drain,
  fromWire,
  offerToken,
  wireJob,
  type AppModule,
  type Drain,
  type FromThread,
  type FromThreadWire,
  type Job,
  type JobUpdate,
  type PoolReply,
  type ThreadData,
  type WireJob,
} from './messages.js';

/** JobPool's scheduling, its workers being threads. */
export interface PoolOptions extends Omit<Scheduling, 'minWorkers' | 'maxWorkers'> {
  /** Threads always alive. Default 10, as Rocket. */
  readonly minThreads: number;
  /** Most threads; 0 for no limit. Default 0, as Rocket. */
  readonly maxThreads: number;
  /** Functions that may wait in a thread's wsgiorg.executor; submitting more throws. Default 64. */
  readonly executorQueue: number;
  /** Functions a thread's wsgiorg.executor runs at once. Default 4. */
  readonly executorConcurrency: number;
}

export const defaultPoolOptions: PoolOptions = {
  minThreads: 10,
  maxThreads: 0,
  queueSize: 256,
  idleTimeout: 30_000,
  requestTimeout: 60_000,
  maxRequests: 0,
  executorQueue: 64,
  executorConcurrency: 4,
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

/** Jobs a thread may hold offered ahead of the one it runs. */
export const threadOffers = 8;

/**
 * Token slots a thread needs: one per offer, and one for a job taken out of
 * the offers to run (its token stays until the thread takes it, which it
 * does before it can end it, so before the pool can take out another).
 */
const offerSlots = threadOffers + 1;

interface Thread extends PoolWorker {
  readonly worker: Worker;
  /** Shared with the thread: [0] the bell, then the tokens of jobs offered to it (0: a free slot). */
  readonly slots: Int32Array;
  /** Where to look first for a free offer slot. */
  nextSlot: number;
  /** What it is told this turn, posted at the end of the turn. */
  outgoing: (WireJob | JobUpdate | Drain)[];
  /** The buffers those messages move to it. */
  transfer: ArrayBuffer[];
  /** The last uncaught error of the thread, for the 502's reason. */
  error: Error | undefined;
  /** Its executor has work waiting or running. */
  background: boolean;
  /** Stopped while its executor had work: it ends once that is done. */
  endWhenDrained: boolean;
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
  import.meta.url.endsWith('.ts')
    ? new URL('../../dist/components/wsgi/thread.js', import.meta.url)
    : new URL('./thread.js', import.meta.url),
);

export class WorkerPool extends JobPool<Thread, Lease> {
  private readonly reportedFailures = new Set<number>();
  /** Threads whose executor has work, the pool's own and those stopped that finish it. */
  private readonly backgroundThreads = new Set<Thread>();
  /** A graceful stop waits for backgroundThreads to empty. */
  private draining = false;
  /** Threads with messages to post at the end of this turn. */
  private toFlush: Thread[] = [];
  private flushing: NodeJS.Immediate | undefined;

  constructor(
    private readonly apps: readonly AppModule[],
    private readonly options: PoolOptions = defaultPoolOptions,
  ) {
    super(
      { ...options, minWorkers: options.minThreads, maxWorkers: options.maxThreads },
      { prefix: 'wsgi pool', noun: 'thread', nouns: 'threads' },
    );
  }

  /** The pool now: threads, busy, idle, starting, queued (offered jobs included), served. */
  get status(): PoolState {
    const f = this.figures();
    return { threads: f.workers, busy: f.busy, idle: f.idle, starting: f.starting, queued: f.queued, served: f.served };
  }

  protected override main(): void {
    super.main();
    this.own(() => this.backgroundThreads.clear());
    // Stopping: the threads are terminated, and what was still to be posted to them goes with them.
    this.own(() => {
      if (this.flushing) clearImmediate(this.flushing);
      this.flushing = undefined;
      this.toFlush = [];
    });
  }

  /**
   * Up to threadOffers jobs offered ahead, but never more than the thread
   * may still serve before it is recycled: it runs whatever reaches it.
   */
  protected readonly maxOffers = threadOffers;

  /** A graceful stop lets every thread's executor finish first (the server's deadline cuts it short). */
  protected override onControl(message: Lifecycle): void {
    if (message.type === 'shutdown' && message.graceful && this.backgroundThreads.size > 0) {
      if (this.draining) return;
      this.draining = true;
      this.holdProcess();
      this.log('monitor', 'info', `stopping once the executors of ${this.backgroundThreads.size} threads have drained`);
      for (const thread of this.backgroundThreads) this.post(thread, drain);
      return;
    }
    super.onControl(message);
  }

  protected override busyBesides(thread: Thread): boolean {
    return thread.background;
  }

  /** A thread's executor has work, or has none left: one stopping then ends, and so may the pool. */
  private backgroundChanged(thread: Thread, active: boolean): void {
    thread.background = active;
    if (active) this.backgroundThreads.add(thread);
    else this.backgroundThreads.delete(thread);
    if (active) return;
    if (thread.endWhenDrained) this.stopWorker(thread, true);
    if (this.draining && this.backgroundThreads.size === 0) this.finish();
  }

  protected lease(job: Job, out: Box<PoolReply>): Lease {
    return new Lease(job, out);
  }

  protected nameOf(thread: Thread): string {
    return `thread ${thread.number}`;
  }

  protected runJob(thread: Thread, lease: Lease): void {
    this.post(thread, wireJob(lease.job, 0));
  }

  protected forward(thread: Thread, update: JobUpdate): void {
    if (update.type === 'input') {
      const chunk = update.chunk;
      this.post(thread, update, movable(chunk) ? (chunk.buffer as ArrayBuffer) : undefined);
    } else this.post(thread, update);
  }

  /**
   * Posts a job to a busy thread ahead of time: it is in the thread's port
   * when its current job ends, so it starts without the thread going to
   * sleep and being woken again (on a busy machine each wake-up is a trip
   * through the scheduler). Both sides compare-and-swap its token, in a
   * free slot (one the thread and the pool have both done with: zero),
   * taken in turn: the thread frees them in the order they were taken, so
   * the next one is almost always free. Only the pool makes a slot
   * non-zero, so a plain read cannot show a slot free that is not.
   */
  protected postAhead(thread: Thread, lease: Lease): void {
    const slots = thread.slots;
    let slot = thread.nextSlot;
    for (let tried = 1; slots[slot] !== 0; tried++) {
      if (tried >= offerSlots) throw new Error(`thread ${thread.number} has no free offer slot`);
      slot = slot === offerSlots ? 1 : slot + 1;
    }
    thread.nextSlot = slot === offerSlots ? 1 : slot + 1;
    lease.slot = slot;
    Atomics.store(slots, slot, offerToken(lease.job.id));
    this.post(thread, wireJob(lease.job, slot));
  }

  /** Takes back the job offered to a thread, at once: unless the thread has taken it already. */
  protected withdraw(thread: Thread, lease: Lease): Withdrawal {
    const token = offerToken(lease.job.id);
    return Atomics.compareExchange(thread.slots, lease.slot, token, 0) === token ? 'withdrawn' : 'taken';
  }

  private fromThread(thread: Thread, message: FromThread): void {
    switch (message.type) {
      case 'ready':
        return this.loaded(thread, message.failures);
      case 'background':
        return this.backgroundChanged(thread, message.active);
      case 'errors':
      case 'blocked':
      case 'wantInput':
      case 'head':
      case 'chunk':
      case 'end':
      case 'failed':
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
      this.log(
        'errors',
        'error',
        `WSGI application ${this.apps[broken.app]?.module} could not be loaded: ${broken.message}`,
        broken.stack ? { stack: broken.stack } : undefined,
      );
    }
    this.ready(thread);
  }

  protected startWorker(number: number): Thread {
    const slots = new Int32Array(new SharedArrayBuffer(4 * (1 + offerSlots)));
    const data: ThreadData = {
      apps: this.apps,
      slots: slots.buffer as SharedArrayBuffer,
      executor: { queue: this.options.executorQueue, concurrency: this.options.executorConcurrency },
    };
    const worker = new Worker(threadScript, { workerData: data });
    liveThreads++;
    worker.once('exit', () => liveThreads--);
    // A forgotten pool must not keep the process alive; a listening server does that.
    worker.unref();
    const thread: Thread = {
      ...startingWorker(number, 1),
      worker,
      slots,
      nextSlot: 1,
      outgoing: [],
      transfer: [],
      error: undefined,
      background: false,
      endWhenDrained: false,
      release: () => {},
    };
    const onMessage = (message: FromThreadWire): void => this.run(() => this.fromThread(thread, fromWire(message)));
    const onError = (error: Error): void => this.run(() => (thread.error = error));
    const onExit = (code: number): void =>
      this.run(() => {
        if (thread.background) this.backgroundChanged(thread, false);
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

  /**
   * Its listeners stay until it has exited: that it exited is how a death is
   * told from a retirement. One retired while its executor has work (not
   * `now`: recycled, say) finishes that work first, for up to requestTimeout.
   */
  protected stopWorker(thread: Thread, now = false): void {
    if (!now && thread.background && !thread.endWhenDrained) {
      thread.endWhenDrained = true;
      this.post(thread, drain);
      this.timer(this.options.requestTimeout, () => this.stopWorker(thread, true));
      return;
    }
    this.disown(thread.release, false);
    void thread.worker.terminate();
  }

  /** Queues a message for a thread, to be posted at the end of this turn (see flush). */
  private post(thread: Thread, message: WireJob | JobUpdate | Drain, transfer?: ArrayBuffer): void {
    if (thread.outgoing.length === 0) this.toFlush.push(thread);
    thread.outgoing.push(message);
    if (transfer) thread.transfer.push(transfer);
    this.flushing ??= setImmediate(() => this.run(this.flush));
  }

  /**
   * Posts each thread what it was told this turn, in one message (an array
   * when there are several), and rings its bell, in case it is blocked
   * waiting. At the end of the turn: every socket read and thread message
   * of the turn has had its say, so a batch of quick requests crosses as one.
   */
  private readonly flush = (): void => {
    this.flushing = undefined;
    const threads = this.toFlush;
    this.toFlush = [];
    for (const thread of threads) {
      const messages = thread.outgoing;
      const transfer = thread.transfer;
      thread.outgoing = [];
      if (transfer.length > 0) thread.transfer = [];
      // A thread stopping gets nothing more, but the word to drain its executor.
      if (thread.status === 'stopping' && !thread.endWhenDrained) continue;
      thread.worker.postMessage(messages, transfer);
      Atomics.add(thread.slots, 0, 1);
      Atomics.notify(thread.slots, 0);
    }
  };
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
