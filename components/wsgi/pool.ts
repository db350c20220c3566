/**
 * WorkerPool: the server-wide component that runs WSGI and fetch-style
 * applications on worker threads, with Rocket's ThreadPool semantics. One
 * per server; every request's gateway is linked to its `jobs` inbox.
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
 * - Each job's replies go out on a box made for its lease, linked to the
 *   gateway's `replies` inbox for as long as the job lasts (see messages.ts).
 * - Pool changes are logged on the monitor channel with the pool's state;
 *   `status` reads it at any time.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Box, box } from '../../src/core/box.js';
import { Component, assertNever, boxes } from '../../src/core/component.js';
import { link } from '../../src/core/link.js';
import { logRecord, type LogLevel, type LogRecord } from '../../src/core/log.js';
import {
  failure,
  isLast,
  offerToken,
  type AppModule,
  type FromGateway,
  type FromThread,
  type Job,
  type JobRequest,
  type JobUpdate,
  type PoolReply,
  type ThreadData,
} from './messages.js';

export interface PoolOptions {
  /** Threads always alive. Default 10, as Rocket. */
  readonly minThreads: number;
  /** Most threads; 0 for no limit. Default 0, as Rocket. */
  readonly maxThreads: number;
  /** Requests that may wait for a thread; more are answered 503. */
  readonly queueSize: number;
  /** Milliseconds a thread beyond the minimum may stay idle before it is retired. */
  readonly idleTimeout: number;
  /** Milliseconds an application may run without progress before its thread is replaced (504). */
  readonly requestTimeout: number;
  /** Requests a thread serves before it is replaced by a fresh one; 0 for never. */
  readonly maxRequests: number;
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

export const workerPoolBoxes = boxes({
  inboxes: {
    jobs: box<FromGateway>('from every gateway: jobs, then body bytes, credit and cancellations for them'),
  },
  outboxes: {
    log: box<LogRecord>('pool changes on monitor; thread failures and wsgi.errors lines on errors'),
  },
});

type ThreadStatus = 'starting' | 'idle' | 'busy' | 'stopping';

interface Thread {
  readonly number: number;
  readonly worker: Worker;
  /** Shared with the thread: [0] the bell, [1] and [2] the tokens of jobs offered to it (0: none). */
  readonly slots: Int32Array;
  status: ThreadStatus;
  /** The job it runs. */
  lease: Lease | undefined;
  /** The job it will run next, posted ahead so the thread never sleeps between two (see offer()). */
  offer: Lease | undefined;
  /** The job it runs that was offered, until the thread is heard to have taken it: its slot is not free. */
  unconfirmed: Lease | undefined;
  served: number;
  /** The last uncaught error of the thread, for the 502's reason. */
  error: Error | undefined;
  /** performance.now() of its last sign of progress (busy), or since when it is idle. */
  since: number;
  /** Busy, but waiting for the client (body bytes, credit): not the application's time. */
  waiting: boolean;
  release: () => void;
}

interface Lease {
  readonly job: Job;
  /** This lease's own outbox, linked to the gateway's replies inbox. */
  readonly out: Box<PoolReply>;
  /** The thread running it. */
  thread: Thread | undefined;
  /** The thread it is offered to, not yet running. */
  offeredTo: Thread | undefined;
  /** The slot of its offer's token. */
  slot: number;
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

export class WorkerPool extends Component<typeof workerPoolBoxes> {
  private readonly threads = new Set<Thread>();
  /** Jobs waiting for a thread, oldest first (offered ones are not here). */
  private readonly queue: Lease[] = [];
  private readonly leases = new Map<number, Lease>();
  private offered = 0;
  private numbered = 0;
  private served = 0;
  private readonly reportedFailures = new Set<number>();

  constructor(
    private readonly apps: readonly AppModule[],
    private readonly options: PoolOptions = defaultPoolOptions,
  ) {
    super(workerPoolBoxes);
  }

  /** The pool now: threads, busy, idle, starting, queued (offered jobs included), served. */
  get status(): PoolState {
    let busy = 0;
    let idle = 0;
    let starting = 0;
    for (const thread of this.threads) {
      if (thread.status === 'busy') busy++;
      else if (thread.status === 'idle') idle++;
      else if (thread.status === 'starting') starting++;
    }
    return { threads: busy + idle + starting, busy, idle, starting, queued: this.waiting, served: this.served };
  }

  /** Jobs not yet running: queued, or offered to a busy thread. */
  private get waiting(): number {
    return this.queue.length + this.offered;
  }

  protected main(): void {
    this.on('jobs', (message) => {
      if (message.type === 'job') this.accept(message);
      else this.update(message);
    });
    // Whatever is still waiting or running when the pool stops is answered; the threads go with it.
    this.own(() => {
      for (const lease of this.leases.values()) this.answer(lease, failure(lease.job.id, 503, 'the server is stopping'));
    });
    for (let i = 0; i < this.options.minThreads; i++) this.spawn();
    const { requestTimeout, idleTimeout } = this.options;
    const every = Math.min(1_000, Math.max(10, Math.min(requestTimeout, idleTimeout) / 8));
    const monitor = this.timer(every, () => {
      this.sweep();
      monitor.refresh();
    });
  }

  private accept(request: JobRequest): void {
    const reply = request.reply;
    // What the thread gets: the job without its reply inbox (a box cannot cross threads).
    const job: Job = { type: 'job', id: request.id, app: request.app, environ: request.environ, hasBody: request.hasBody, label: request.label };
    const out = new Box<PoolReply>(this, `lease#${job.id}`, 'out', `replies for job ${job.id}`);
    link(out, reply);
    const lease: Lease = { job, out, thread: undefined, offeredTo: undefined, slot: 0 };
    this.leases.set(job.id, lease);
    const idle = this.idleThread();
    if (idle) return this.assign(idle, lease);
    if (this.waiting >= this.options.queueSize) {
      this.log('monitor', 'warn', `request refused: ${this.waiting} waiting, the queue is full`);
      return this.answer(lease, failure(job.id, 503, `all ${this.threads.size} threads are busy and ${this.waiting} requests wait`));
    }
    // Offered ahead only when none is queued before it: first come, first served.
    const host = this.queue.length === 0 ? this.offerable() : undefined;
    if (host) this.offer(host, lease);
    else this.queue.push(lease);
    this.grow();
  }

  /** What a gateway says about its job while it runs: passed to the thread, or ends a job not yet running. */
  private update(message: JobUpdate): void {
    const lease = this.leases.get(message.id);
    if (!lease) return;
    if (message.type === 'cancel' && !lease.thread) {
      if (lease.offeredTo && !this.withdraw(lease.offeredTo)) {
        // Too late: the thread has taken it. It hears of the cancellation below.
      } else {
        const at = this.queue.indexOf(lease);
        if (at >= 0) this.queue.splice(at, 1);
        return this.end(lease);
      }
    }
    const thread = lease.thread ?? lease.offeredTo;
    if (!thread) return;
    if (message.type !== 'cancel') this.progress(thread);
    if (message.type === 'input') {
      const chunk = message.chunk;
      this.post(thread, message, movable(chunk) ? [chunk.buffer as ArrayBuffer] : undefined);
    } else this.post(thread, message);
  }

  private fromThread(thread: Thread, message: FromThread): void {
    switch (message.type) {
      case 'ready':
        this.ready(thread, message.failures);
        return;
      case 'errors': {
        const lease = this.leases.get(message.id);
        this.log('errors', 'warn', `${lease ? `${lease.job.label}: ` : ''}${message.text}`);
        return;
      }
      case 'blocked':
        // Waiting for the client is not the application's time.
        thread.waiting = true;
        return;
      case 'wantInput':
        thread.waiting = true;
        break;
      case 'head':
      case 'chunk':
      case 'end':
      case 'failed':
        this.progress(thread);
        break;
      default:
        assertNever(message);
    }
    const lease = thread.lease;
    if (!lease || lease.job.id !== message.id) return;
    if (thread.unconfirmed === lease) thread.unconfirmed = undefined;
    lease.out.send(message);
    if (isLast(message)) this.jobDone(thread);
  }

  private ready(thread: Thread, failures: readonly { app: number; message: string; stack?: string }[]): void {
    if (thread.status !== 'starting') return;
    for (const broken of failures) {
      if (this.reportedFailures.has(broken.app)) continue;
      this.reportedFailures.add(broken.app);
      this.log('errors', 'error', `WSGI application ${this.apps[broken.app]?.module} could not be loaded: ${broken.message}`, broken.stack ? { stack: broken.stack } : undefined);
    }
    thread.status = 'idle';
    if (this.threads.size > this.options.minThreads) this.log('monitor', 'info', `thread ${thread.number} started`);
    this.idle(thread);
    this.grow();
  }

  private jobDone(thread: Thread): void {
    const lease = thread.lease!;
    thread.lease = undefined;
    thread.served++;
    this.served++;
    this.end(lease);
    const max = this.options.maxRequests;
    if (max > 0 && thread.served >= max && (!thread.offer || this.requeue(thread))) {
      this.retire(thread, `recycled after ${thread.served} requests`);
      return this.replenish();
    }
    const next = thread.offer;
    if (!next) {
      thread.status = 'idle';
      return this.idle(thread);
    }
    // The thread has taken the job offered to it, or is about to: it runs now.
    thread.offer = undefined;
    next.offeredTo = undefined;
    this.offered--;
    thread.unconfirmed = next;
    this.occupy(thread, next);
    const queued = this.queue.shift();
    if (queued) this.offer(thread, queued);
  }

  /**
   * A thread with nothing to do takes the oldest job waiting: a queued one,
   * or one offered to a busy thread (withdrawn from it, so that no job waits
   * behind a slow one while a thread is free). With none, a thread beyond
   * the minimum is retired after `idleTimeout`.
   */
  private idle(thread: Thread): void {
    const offered = this.oldestOffer();
    const queued = this.queue[0];
    // A withdrawal that fails means its thread has just taken the job: then the queue's turn.
    const host = offered?.offeredTo;
    if (offered && (!queued || offered.job.id < queued.job.id) && this.withdraw(host!)) {
      this.assign(thread, offered);
      // The thread it was taken from gets the next in line instead.
      const next = this.queue.shift();
      if (next) this.offer(host!, next);
      return;
    }
    if (queued) return this.assign(thread, this.queue.shift()!);
    thread.since = performance.now();
  }

  /** Gives a thread a job to run now. */
  private assign(thread: Thread, lease: Lease): void {
    this.occupy(thread, lease);
    this.post(thread, lease.job);
  }

  private occupy(thread: Thread, lease: Lease): void {
    thread.status = 'busy';
    thread.lease = lease;
    lease.thread = thread;
    this.progress(thread);
  }

  private progress(thread: Thread): void {
    thread.since = performance.now();
    thread.waiting = false;
  }

  /**
   * The pool's monitor, as Rocket's was: every so often, a thread busy
   * beyond the time limit without progress (waiting for the client does not
   * count) is replaced, and a thread idle beyond idleTimeout, when there are
   * more than the minimum, is retired. One timer for the pool, rather than
   * one armed and disarmed per request.
   */
  private sweep(): void {
    const now = performance.now();
    const { requestTimeout, idleTimeout, minThreads } = this.options;
    for (const thread of this.threads) {
      if (thread.status === 'busy') {
        if (!thread.waiting && now - thread.since > requestTimeout) this.overtime(thread);
      } else if (thread.status === 'idle' && this.threads.size > minThreads && now - thread.since > idleTimeout) {
        this.retire(thread, 'idle');
      }
    }
  }

  /**
   * Posts a job to a busy thread ahead of time: it is in the thread's port
   * when its current job ends, so it starts without the thread going to
   * sleep and being woken again (on a busy machine each wake-up is a trip
   * through the scheduler). The offer can be withdrawn until the thread
   * takes it: both sides compare-and-swap its token. Two slots, because
   * the job offered last may still be untaken (though no longer
   * withdrawable) when the next is offered.
   */
  private offer(thread: Thread, lease: Lease): void {
    thread.offer = lease;
    lease.offeredTo = thread;
    lease.slot = thread.unconfirmed?.slot === 1 ? 2 : 1;
    this.offered++;
    Atomics.store(thread.slots, lease.slot, offerToken(lease.job.id));
    const job = lease.job;
    this.post(thread, { type: 'job', id: job.id, app: job.app, environ: job.environ, hasBody: job.hasBody, label: job.label, slot: lease.slot });
  }

  /** Takes back the job offered to a thread; false when the thread has already taken it. */
  private withdraw(thread: Thread): boolean {
    const lease = thread.offer!;
    const token = offerToken(lease.job.id);
    if (Atomics.compareExchange(thread.slots, lease.slot, token, 0) !== token) return false;
    thread.offer = undefined;
    lease.offeredTo = undefined;
    this.offered--;
    return true;
  }

  /** Withdraws a thread's offer and puts the job back at the head of the queue; false when too late. */
  private requeue(thread: Thread): boolean {
    const lease = thread.offer!;
    if (!this.withdraw(thread)) return false;
    this.queue.unshift(lease);
    return true;
  }

  /** A busy thread with nothing offered yet. */
  private offerable(): Thread | undefined {
    for (const thread of this.threads) if (thread.status === 'busy' && !thread.offer) return thread;
    return undefined;
  }

  private oldestOffer(): Lease | undefined {
    let oldest: Lease | undefined;
    if (this.offered === 0) return undefined;
    for (const thread of this.threads) {
      const offer = thread.offer;
      if (offer && (!oldest || offer.job.id < oldest.job.id)) oldest = offer;
    }
    return oldest;
  }

  /** Starts one more thread when requests wait, none is starting, and the limit allows. */
  private grow(): void {
    if (this.waiting === 0 || !this.running) return;
    const { maxThreads } = this.options;
    if (maxThreads > 0 && this.threads.size >= maxThreads) return;
    for (const thread of this.threads) if (thread.status === 'starting') return;
    this.spawn();
    this.log('monitor', 'info', `growing: ${this.waiting} requests wait`);
  }

  /** Keeps the minimum alive, and grows if requests wait. */
  private replenish(): void {
    while (this.threads.size < this.options.minThreads && this.running) this.spawn();
    this.grow();
  }

  private spawn(): void {
    const slots = new Int32Array(new SharedArrayBuffer(12));
    const data: ThreadData = { apps: this.apps, slots: slots.buffer as SharedArrayBuffer };
    const worker = new Worker(threadScript, { workerData: data });
    liveThreads++;
    worker.once('exit', () => liveThreads--);
    // A forgotten pool must not keep the process alive; a listening server does that.
    worker.unref();
    const thread: Thread = {
      number: ++this.numbered,
      worker,
      slots,
      status: 'starting',
      lease: undefined,
      offer: undefined,
      unconfirmed: undefined,
      served: 0,
      error: undefined,
      since: performance.now(),
      waiting: false,
      release: () => {},
    };
    const onMessage = (message: FromThread): void => this.run(() => this.fromThread(thread, message));
    const onError = (error: Error): void => this.run(() => (thread.error = error));
    const onExit = (code: number): void => this.run(() => this.exited(thread, code));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    thread.release = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      void worker.terminate();
    };
    this.own(thread.release);
    this.threads.add(thread);
  }

  /** Stops a thread the pool no longer wants; a job offered to it goes back to the queue. */
  private retire(thread: Thread, why: string): void {
    thread.status = 'stopping';
    this.forget(thread);
    void thread.worker.terminate();
    this.log('monitor', 'info', `thread ${thread.number} stopped: ${why}`);
  }

  private overtime(thread: Thread): void {
    const lease = thread.lease;
    if (thread.status !== 'busy' || !lease) return;
    const seconds = this.options.requestTimeout / 1000;
    this.answer(lease, failure(lease.job.id, 504, `the application ran over its time limit of ${seconds} s`));
    this.retire(thread, `${lease.job.label} ran over ${seconds} s`);
    this.replenish();
  }

  /**
   * A thread ended that the pool did not stop: its request gets a 502, and
   * it is replaced. One that died while starting (an application that ends
   * its thread as it loads) is not replaced at once, which would loop: the
   * requests waiting get a 502, and the next request tries again.
   */
  private exited(thread: Thread, code: number): void {
    if (thread.status === 'stopping') return;
    const starting = thread.status === 'starting';
    const lease = thread.lease;
    const why = thread.error ? thread.error.message : `exit code ${code}`;
    const doing = starting ? ' while starting' : lease ? ` running ${lease.job.label}` : '';
    this.log('errors', 'error', `WSGI thread ${thread.number} died${doing}: ${why}`, thread.error ? { stack: thread.error.stack } : undefined);
    thread.status = 'stopping';
    this.forget(thread);
    if (lease) this.answer(lease, failure(lease.job.id, 502, `the application's thread died: ${why}`));
    if (!starting) return this.replenish();
    for (const waiting of this.queue.splice(0)) this.answer(waiting, failure(waiting.job.id, 502, `a thread could not start: ${why}`));
  }

  /** Drops a thread from the pool, gives up what the pool holds for it, and requeues the job offered to it. */
  private forget(thread: Thread): void {
    this.threads.delete(thread);
    const offer = thread.offer;
    if (offer) {
      // It never ran there: the thread is stopping before its current job ended.
      thread.offer = undefined;
      offer.offeredTo = undefined;
      this.offered--;
      this.queue.unshift(offer);
    }
    // Its listeners stay until it has exited: that it exited is how a death is told from a retirement.
    this.disown(thread.release, false);
  }

  /** Answers a lease from the pool itself (refusal, failure) and ends it. */
  private answer(lease: Lease, reply: PoolReply): void {
    lease.out.send(reply);
    if (lease.thread?.lease === lease) lease.thread.lease = undefined;
    this.end(lease);
  }

  private end(lease: Lease): void {
    this.leases.delete(lease.job.id);
    lease.out.close();
  }

  private idleThread(): Thread | undefined {
    for (const thread of this.threads) if (thread.status === 'idle') return thread;
    return undefined;
  }

  /** Posts to a thread and rings its bell, in case it is blocked waiting. */
  private post(thread: Thread, message: Job | JobUpdate, transfer?: ArrayBuffer[]): void {
    thread.worker.postMessage(message, transfer);
    Atomics.add(thread.slots, 0, 1);
    Atomics.notify(thread.slots, 0);
  }

  private log(channel: 'monitor' | 'errors', level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.send('log', logRecord(channel, level, `wsgi pool: ${message}`, { ...this.status, ...fields }));
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
