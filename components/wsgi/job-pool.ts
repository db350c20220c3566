/**
 * JobPool: the scheduling and supervision every WSGI pool shares, whatever
 * its workers are (worker threads: WorkerPool; python3 processes:
 * PythonPool). Rocket's ThreadPool semantics, and more:
 *
 * - `minWorkers` workers are always alive. While requests wait and every
 *   worker is full, the pool grows one worker at a time (the next starts
 *   once the last is ready) up to `maxWorkers` (0: no limit); a worker idle
 *   for `idleTimeout` ms beyond the minimum is retired.
 * - A worker runs up to `capacity` jobs at once (a thread one, a process
 *   its threads); a job goes to the least busy worker with room.
 * - Requests wait in a queue of at most `queueSize`; past that they are
 *   answered 503 at once. Only requests occupy workers: idle and slow
 *   connections live on the event loop.
 * - Faults: a job that runs longer than `requestTimeout` ms without a sign
 *   of progress (time it waits for the client does not count) is answered
 *   504, and its worker stopped and replaced (the other jobs it ran, if
 *   any, get a 502); a worker that dies is replaced and its jobs answered
 *   502, unless it died while starting (or was not ready within
 *   `requestTimeout`), which would loop: then the waiting requests get the
 *   502 and the next request tries again. After
 *   `maxRequests` jobs (when set) a worker takes no more, and is replaced
 *   once its last one ends (recycling).
 * - Each job's replies go out on a box made for its lease, linked to the
 *   gateway's `replies` box for as long as the job lasts (messages.ts).
 * - Pool changes are logged on the monitor channel with the pool's state;
 *   `status` reads it at any time.
 *
 * - Offers: when every worker is full and nothing is queued, a job is
 *   posted ahead to a busy worker, which starts it the moment it has room,
 *   without a trip back through the pool (on a busy machine, waking a
 *   worker that has gone to sleep costs more than a small request). A
 *   worker holds up to `maxOffers` offers, started in the order given (so
 *   that it runs quick requests back to back, and a batch of them travels
 *   in one message or one write). An offer can be
 *   withdrawn until the worker starts it: a worker with room takes back the
 *   oldest offer rather than leave it behind a slow job, first come, first
 *   served. Workers withdraw synchronously (threads: a compare-and-swap) or
 *   by asking (processes: the answer comes later, see `withdrawn`). See
 *   `npm run bench -- wsgi` and `npm run bench -- python`, hello world.
 * - Packing (a pool with a `packWindow`): a job is offered to a busy worker
 *   that will likely start it within the window (from the pace at which it
 *   ends jobs, and how many it holds) rather than wake a worker that
 *   sleeps, so that a burst of quick requests crosses to few workers in few
 *   batches, and the others sleep. A worker that has not ended a job for a
 *   window (a slow one holds it up) has its offers taken by the workers
 *   free.
 *
 * A subclass starts, feeds and stops its kind of worker, posts offers and
 * takes them back, and reports what workers say through `ready`,
 * `fromWorker`, `withdrawn` and `exited`.
 */
import { Box, box } from '../../src/core/box.js';
import { Component, boxes, type OwnedTimer } from '../../src/core/component.js';
import { logRecord, type LogLevel, type LogRecord } from '../../src/core/log.js';
import { LeaseTable } from './lease-table.js';
import {
  failure,
  isLast,
  type Blocked,
  type Chunk,
  type End,
  type ErrorsLine,
  type Failure,
  type FromGateway,
  type Head,
  type Job,
  type JobRequest,
  type JobUpdate,
  type PoolReply,
  type WantInput,
} from './messages.js';

/** The scheduling numbers every pool takes. */
export interface Scheduling {
  /** Workers always alive. */
  readonly minWorkers: number;
  /** Most workers; 0 for no limit. */
  readonly maxWorkers: number;
  /** Requests that may wait for a worker; more are answered 503. */
  readonly queueSize: number;
  /** Milliseconds a worker beyond the minimum may stay idle before it is retired. */
  readonly idleTimeout: number;
  /** Milliseconds a job may run without progress before it is answered 504 and its worker replaced. */
  readonly requestTimeout: number;
  /** Jobs a worker runs before it is replaced; 0 for never. */
  readonly maxRequests: number;
}

/** What a pool knows of each of its workers. */
export interface PoolWorker {
  readonly number: number;
  status: 'starting' | 'ready' | 'stopping';
  /** Jobs it runs now. */
  running: number;
  /** Jobs it may run at once. */
  readonly capacity: number;
  /** Jobs it has finished. */
  served: number;
  /** performance.now() since when it has had nothing to do. */
  since: number;
  /** performance.now() when it last started a job while idle, or ended one: a sign that it is moving. */
  moved: number;
  /** Milliseconds between the ends of its jobs while it is busy, on average (recent ones weigh most). */
  pace: number;
  /** Recycled: it finishes the jobs it runs and takes no more. */
  draining: boolean;
  /** The jobs posted ahead to it, oldest first, which it starts in that order as it has room. */
  readonly offers: PoolLease<PoolWorker>[];
}

/** What a pool knows of a worker it has just started: starting, with nothing run and nothing offered. */
export function startingWorker(number: number, capacity: number): PoolWorker {
  const now = performance.now();
  return { number, status: 'starting', running: 0, capacity, served: 0, since: now, moved: now, pace: 0, draining: false, offers: [] };
}

/** One job, from its arrival to its end; a kind of pool that keeps more per job extends it. */
export class PoolLease<W extends PoolWorker> {
  /** The worker running it. */
  worker: W | undefined = undefined;
  /** performance.now() of its last sign of progress. */
  since = 0;
  /** Its worker waits for the client (body bytes, credit): not the application's time. */
  waiting = false;
  /** The worker it is offered to, not yet running there. */
  offeredTo: W | undefined = undefined;
  /** Its worker was asked to give it back and has not answered: it may run there or come back. */
  withdrawing = false;
  /** The gateway has called it off. */
  cancelled = false;

  constructor(
    readonly job: Job,
    /** This lease's own outbox, linked to the gateway's replies box. */
    readonly out: Box<PoolReply>,
  ) {}
}

/** What asking a worker to give back an offer came to: it gave it back, it had already started it, or it will say (`withdrawn`). */
export type Withdrawal = 'withdrawn' | 'taken' | 'asked';

/** The figures of a pool at a moment. */
export interface PoolFigures {
  /** Workers alive, starting ones included. */
  readonly workers: number;
  /** Workers running at least one job. */
  readonly busy: number;
  readonly idle: number;
  readonly starting: number;
  /** Jobs running. */
  readonly running: number;
  /** Jobs waiting for a worker. */
  readonly queued: number;
  /** Jobs completed since the pool started. */
  readonly served: number;
}

/** Listens to a worker's events until the returned function is called (a pool stops listening to a worker it has let go). */
export function listenTo(emitter: NodeJS.EventEmitter, handlers: Record<string, (...args: any[]) => void>): () => void {
  for (const [event, handler] of Object.entries(handlers)) emitter.on(event, handler);
  return () => {
    for (const [event, handler] of Object.entries(handlers)) emitter.off(event, handler);
  };
}

/** What a worker says about a job, as the gateway hears it (and errors lines, and waits). */
export type WorkerReply = Head | Chunk | End | Failure | WantInput | Blocked | ErrorsLine;

export const jobPoolBoxes = boxes({
  inboxes: {
    jobs: box<FromGateway>('from every gateway: jobs, then body bytes, credit and cancellations for them'),
  },
  outboxes: {
    log: box<LogRecord>('pool changes on monitor; worker failures and wsgi.errors lines on errors'),
  },
});

/** How a pool names things in its log lines. */
export interface PoolWording {
  /** Starts every line: "wsgi pool". */
  readonly prefix: string;
  /** One worker, and several: "thread", "threads". */
  readonly noun: string;
  readonly nouns: string;
}

export abstract class JobPool<W extends PoolWorker, L extends PoolLease<W> = PoolLease<W>> extends Component<typeof jobPoolBoxes> {
  protected readonly workers = new Set<W>();
  /** Jobs waiting for a worker, oldest first (offered ones are not here). */
  protected readonly queue: L[] = [];
  protected readonly leases = new LeaseTable<L>();
  protected served = 0;
  private numbered = 0;
  /** Jobs offered to busy workers and not yet running. */
  private offered = 0;
  /** Set while jobs are packed onto a moving worker and another is free: when to look again whether it still moves. */
  private packCheck: OwnedTimer | undefined;

  constructor(
    protected readonly scheduling: Scheduling,
    private readonly wording: PoolWording,
  ) {
    super(jobPoolBoxes);
  }

  /** The pool now, as this kind of pool reports it. */
  abstract get status(): object;

  // What a kind of pool does with its kind of worker.

  /** Starts a worker (numbered `number`); it reports `ready` once it can take jobs. */
  protected abstract startWorker(number: number): W;
  /** Stops a worker the pool no longer wants (`now`: it may be stuck; else let it end cleanly). */
  protected abstract stopWorker(worker: W, now: boolean): void;
  /** Hands a job to a worker. */
  protected abstract runJob(worker: W, lease: L): void;
  /** Passes what the gateway says about a job to the worker that holds it. */
  protected abstract forward(worker: W, update: JobUpdate): void;
  /** "thread 3", "process 3 (pid 1234)". */
  protected abstract nameOf(worker: W): string;
  /** Posts a job ahead to a busy worker: it starts it when it has room, unless it is withdrawn first. */
  protected abstract postAhead(worker: W, lease: L): void;
  /**
   * Asks a worker to give back the job offered to it (`why`: another worker
   * is free, the client went away, the worker is due for recycling).
   * "asked" means the answer comes later, as `withdrawn` (given back) or as
   * the job's first message (taken).
   */
  protected abstract withdraw(worker: W, lease: L, why: 'steal' | 'cancel' | 'recycle'): Withdrawal;

  // Hooks, with what a plain pool does.

  /** A refusal of the job before it waits or runs (a 503 when the application cannot run...); undefined to take it. */
  protected admit(_lease: L): Failure | undefined {
    return undefined;
  }

  /**
   * Keeps the process alive until the pool has stopped: its workers are
   * unref'd (a forgotten pool must not hold the process), so a pool that
   * waits for them to drain on a graceful stop holds it itself.
   */
  protected holdProcess(): void {
    const hold = setInterval(() => {}, 1_000);
    this.own(() => clearInterval(hold));
  }

  /** Whether a worker with no job has other work still (an executor's): it is then not idle, and not retired. */
  protected busyBesides(_worker: W): boolean {
    return false;
  }

  /** Whether the pool may start workers now. */
  protected canStart(): boolean {
    return true;
  }

  /** How many jobs a busy worker may hold offered ahead. */
  protected abstract readonly maxOffers: number;

  /**
   * Milliseconds within which a busy worker is expected to start a job
   * packed onto it (from its pace and the offers it holds), and for which
   * it counts as moving after it started or ended one: jobs are packed onto
   * such a worker rather than wake a free one. 0: never packed, a free
   * worker takes each job at once.
   */
  protected readonly packWindow: number = 0;

  /** How many more jobs a busy worker may be offered now: up to maxOffers, never more than it may still serve before recycling. */
  protected offerRoom(worker: W): number {
    const max = this.scheduling.maxRequests;
    const left = max > 0 ? max - worker.served - worker.running : this.maxOffers;
    return Math.min(this.maxOffers, left) - worker.offers.length;
  }

  /** Jobs not yet running: queued, or offered to a busy worker. */
  protected get waiting(): number {
    return this.queue.length + this.offered;
  }

  /** The figures every pool counts. */
  protected figures(): PoolFigures {
    let busy = 0;
    let idle = 0;
    let starting = 0;
    let running = 0;
    for (const worker of this.workers) {
      if (worker.status === 'starting') starting++;
      else if (worker.status === 'ready') {
        running += worker.running;
        if (worker.running > 0) busy++;
        else idle++;
      }
    }
    return { workers: busy + idle + starting, busy, idle, starting, running, queued: this.waiting, served: this.served };
  }

  protected main(): void {
    this.on('jobs', (message) => {
      if (message.type === 'job') this.accept(message);
      else this.update(message);
    });
    // Whatever is still waiting or running when the pool stops is answered; the workers go with it.
    this.own(() => {
      for (const lease of this.leases.values()) this.answer(lease, failure(lease.job.id, 503, 'the server is stopping'));
    });
    this.replenish();
    const { requestTimeout, idleTimeout } = this.scheduling;
    const every = Math.min(1_000, Math.max(10, Math.min(requestTimeout, idleTimeout) / 8));
    const monitor = this.timer(every, () => {
      this.sweep();
      monitor.refresh();
    });
  }

  private accept(request: JobRequest): void {
    // The lease keeps the request as its job: each kind of pool sends its workers the fields they need, never the
    // reply inbox (a box cannot cross to a thread or a process). The link is a plain one: closing the box undoes it.
    const job: Job = request;
    const out = new Box<PoolReply>(this, 'lease', 'out', 'replies for one job');
    out.connect(request.reply);
    const lease = this.lease(job, out);
    this.leases.set(job.id, lease);
    const refusal = this.admit(lease);
    if (refusal) return this.answer(lease, refusal);
    // First come, first served: nothing is packed ahead of a queued job; nor beyond the queue's size, when a worker is free.
    const packed = this.queue.length === 0 && this.waiting < this.scheduling.queueSize ? this.packable() : undefined;
    if (packed) {
      this.offer(packed, lease);
      this.watchPacked();
      return this.grow();
    }
    const free = this.freeWorker();
    if (free) return this.assign(free, lease);
    if (this.waiting >= this.scheduling.queueSize) {
      this.log('monitor', 'warn', `request refused: ${this.waiting} waiting, the queue is full`);
      const { noun, nouns } = this.wording;
      return this.answer(
        lease,
        failure(
          job.id,
          503,
          `all ${this.workers.size} ${this.workers.size === 1 ? noun : nouns} are busy and ${this.waiting} requests wait`,
        ),
      );
    }
    // Offered ahead only when none is queued before it: first come, first served.
    const host = this.queue.length === 0 ? this.offerable() : undefined;
    if (host) this.offer(host, lease);
    else this.queue.push(lease);
    this.grow();
  }

  /** A new lease, of this kind of pool's kind. */
  protected abstract lease(job: Job, out: Box<PoolReply>): L;

  /** What a gateway says about its job while it runs: passed to the worker, or ends a job not yet running. */
  private update(message: JobUpdate): void {
    const lease = this.leases.get(message.id);
    if (!lease) return;
    if (message.type === 'cancel') {
      lease.cancelled = true;
      if (!lease.worker && this.takeBack(lease)) return this.end(lease);
    }
    const worker = lease.worker ?? lease.offeredTo;
    if (!worker) return;
    if (message.type !== 'cancel') this.progress(lease);
    this.forward(worker, message);
  }

  /** A cancelled job not yet running: out of the queue, or its offer withdrawn; false when its worker has it (it hears of the cancellation). */
  private takeBack(lease: L): boolean {
    const host = lease.offeredTo;
    if (!host) {
      const at = this.queue.indexOf(lease);
      if (at >= 0) this.queue.splice(at, 1);
      return true;
    }
    if (lease.withdrawing || this.withdraw(host, lease, 'cancel') !== 'withdrawn') return false;
    this.unoffer(host, lease);
    return true;
  }

  /** What a worker says about one of its jobs. */
  protected fromWorker(worker: W, message: WorkerReply): void {
    const lease = this.leases.get(message.id);
    if (message.type === 'errors') {
      this.log('errors', 'warn', `${lease ? `${lease.job.label}: ` : ''}${message.text}`);
      return;
    }
    if (!lease) return;
    // Word of a job offered to it: the worker has started it (and so did not give it back).
    if (lease.offeredTo === worker) this.promote(worker, lease);
    if (lease.worker !== worker) return;
    lease.withdrawing = false;
    switch (message.type) {
      case 'blocked':
        // Waiting for the client is not the application's time.
        lease.waiting = true;
        return;
      case 'wantInput':
        lease.waiting = true;
        break;
      default:
        this.progress(lease);
    }
    if (!isLast(message)) return lease.out.send(message);
    // The job is over. The worker gets its next job first, and only then does the last word go on its way (the
    // responder writes it to the client, which takes a while): a worker that has its next job in time does not go
    // to sleep, and waking it again costs more than a small request.
    this.leases.delete(lease.job.id);
    this.jobDone(worker, lease);
    lease.out.send(message);
    lease.out.close();
  }

  /** A worker has started and can take jobs. */
  protected ready(worker: W): void {
    if (worker.status !== 'starting') return;
    worker.status = 'ready';
    worker.since = worker.moved = performance.now();
    if (this.workers.size > this.scheduling.minWorkers) this.log('monitor', 'info', `${this.nameOf(worker)} started`);
    this.next(worker);
    this.grow();
  }

  /** A job has ended (its lease is already out of the pool's books, its box still open for the last word). */
  private jobDone(worker: W, lease: L): void {
    lease.worker = undefined;
    worker.running--;
    worker.served++;
    const now = performance.now();
    // Its first job sets the pace at once; later ones move it an eighth of the way each.
    worker.pace = worker.served === 1 ? now - worker.moved : worker.pace + (now - worker.moved - worker.pace) / 8;
    worker.moved = now;
    this.served++;
    const max = this.scheduling.maxRequests;
    if (max > 0 && worker.served >= max && this.mayRecycle(worker)) {
      if (worker.running > 0) return;
      return this.recycle(worker);
    }
    this.next(worker);
  }

  /** A worker due for recycling takes no more jobs, once those offered to it are back; false while one is not. */
  private mayRecycle(worker: W): boolean {
    if (worker.draining) return true;
    // Newest first: a worker starts its offers in order, so once one has been taken, so have those before it.
    const offers = worker.offers as L[];
    while (offers.length > 0) {
      const offer = offers[offers.length - 1]!;
      if (offer.withdrawing || this.withdraw(worker, offer, 'recycle') !== 'withdrawn') return false;
      this.unoffer(worker, offer);
      this.queue.unshift(offer);
    }
    worker.draining = true;
    return true;
  }

  /**
   * A worker has room: it starts the oldest job offered to it, if any (and,
   * full again, is offered the next in line, so it goes on without a
   * pause); else it takes the oldest job waiting, a queued one or one
   * offered to another busy worker (taken back from it, so that no job
   * waits behind a slow one while a worker is free).
   */
  private next(worker: W): void {
    if (worker.status !== 'ready' || worker.draining) return;
    let tookOffer = false;
    while (worker.running < worker.capacity) {
      const own = worker.offers[0] as L | undefined;
      if (own) {
        this.promote(worker, own);
        tookOffer = true;
        continue;
      }
      const offered = this.oldestOffer();
      const queued = this.queue[0];
      if (offered && (!queued || offered.job.id < queued.job.id)) {
        const host = offered.offeredTo!;
        const withdrawal = this.withdraw(host, offered, 'steal');
        if (withdrawal === 'withdrawn') {
          this.unoffer(host, offered);
          this.assign(worker, offered);
          // The worker it was taken from gets the next in line instead.
          const next = this.queue.shift();
          if (next) this.offer(host, next);
          continue;
        }
        // Asked: it comes back (withdrawn) or its host runs it; meanwhile the queue's turn.
        if (withdrawal === 'asked') offered.withdrawing = true;
      }
      const next = this.queue.shift();
      if (!next) break;
      this.assign(worker, next);
    }
    if (worker.running === 0) worker.since = performance.now();
    else if (tookOffer) while (this.queue.length > 0 && this.offerRoom(worker) > 0) this.offer(worker, this.queue.shift()!);
    // Free, with jobs packed onto a worker that moves: it looks again once that one may have stopped.
    if (worker.running < worker.capacity && this.offered > 0) this.watchPacked();
  }

  /**
   * A worker gave back a job offered to it (an asked withdrawal): the job
   * goes to the head of the line, or ends if its client has gone. If the
   * pool had counted it as running there (the worker had room meanwhile),
   * it was not.
   */
  protected withdrawn(worker: W, id: number): void {
    const lease = this.leases.get(id);
    if (!lease?.withdrawing) return;
    lease.withdrawing = false;
    if (lease.offeredTo === worker) this.unoffer(worker, lease);
    else if (lease.worker === worker) {
      worker.running--;
      lease.worker = undefined;
    } else return;
    this.giveBack(lease);
    if (worker.draining && worker.running === 0 && worker.status === 'ready') return this.recycle(worker);
    this.next(worker);
    // The worker that took it is busy now: if more wait, another may be wanted.
    this.grow();
  }

  /** A job that came back without running: it ends if its client has gone, else runs on a free worker or waits at the head of the line. */
  private giveBack(lease: L): void {
    if (lease.cancelled) return this.end(lease);
    const free = this.freeWorker();
    if (free) this.assign(free, lease);
    else this.queue.unshift(lease);
  }

  /** Replaces a worker that has served its maxRequests and finished its last job. */
  private recycle(worker: W): void {
    this.retire(worker, `recycled after ${worker.served} requests`);
    this.replenish();
  }

  /** Gives a worker a job to run now. */
  protected assign(worker: W, lease: L): void {
    this.occupy(worker, lease);
    this.runJob(worker, lease);
  }

  /** Counts a job as running on a worker. */
  private occupy(worker: W, lease: L): void {
    if (worker.running === 0) worker.moved = performance.now();
    worker.running++;
    lease.worker = worker;
    this.progress(lease);
  }

  private offer(worker: W, lease: L): void {
    worker.offers.push(lease as PoolLease<PoolWorker>);
    lease.offeredTo = worker;
    this.offered++;
    this.postAhead(worker, lease);
  }

  private unoffer(worker: W, lease: L): void {
    const offers = worker.offers;
    // Almost always the oldest (started) or the newest (taken back for recycling).
    const at = offers[0] === lease ? 0 : offers.lastIndexOf(lease as PoolLease<PoolWorker>);
    if (at === 0) offers.shift();
    else if (at > 0) offers.splice(at, 1);
    lease.offeredTo = undefined;
    this.offered--;
  }

  /** A job offered to a worker runs there now (the worker has room, and has it already). */
  private promote(worker: W, lease: L): void {
    this.unoffer(worker, lease);
    this.occupy(worker, lease);
  }

  /** A full worker with room for another offer (the one with fewest), to post a job ahead to. */
  private offerable(): W | undefined {
    let best: W | undefined;
    for (const worker of this.workers) {
      if (worker.status !== 'ready' || worker.draining || worker.running < worker.capacity || this.offerRoom(worker) <= 0) continue;
      const offers = worker.offers.length;
      if (offers === 0) return worker;
      if (!best || offers < best.offers.length) best = worker;
    }
    return best;
  }

  /**
   * A busy worker to pack a job onto: one that would likely start it within
   * the pack window, with room for another offer; of those, the one with
   * most offers, so that the others may sleep.
   */
  private packable(): W | undefined {
    if (this.packWindow <= 0) return undefined;
    const now = performance.now();
    let best: W | undefined;
    for (const worker of this.workers) {
      if (worker.status !== 'ready' || worker.draining || worker.running < worker.capacity || this.offerRoom(worker) <= 0) continue;
      // Heard from lately, it ends a job every `pace` ms, and starts its offers in turn.
      if (!this.moving(worker, now) || worker.pace * (worker.offers.length + 1) > this.packWindow) continue;
      if (!best || worker.offers.length > best.offers.length) best = worker;
    }
    return best;
  }

  /** Whether a worker has ended a job (or started one while idle) within the pack window: its offers are left to it. */
  private moving(worker: W, now: number): boolean {
    return now - worker.moved < this.packWindow;
  }

  /** Makes sure that, while jobs are offered and a worker is free, the free ones look again a window from now (see `unpack`). */
  private watchPacked(): void {
    if (this.packWindow <= 0 || this.packCheck || this.offered === 0 || !this.freeWorker()) return;
    this.packCheck = this.timer(this.packWindow, () => {
      // After the replies that came meanwhile have been read (timers run first): a worker late to be heard from may have moved.
      setImmediate(() =>
        this.run(() => {
          this.packCheck = undefined;
          this.unpack();
        }),
      );
    });
  }

  /** The free workers take the offers of workers that have stopped moving (a slow job holds them up). */
  private unpack(): void {
    for (const worker of this.workers) if (worker.running < worker.capacity) this.next(worker);
    this.watchPacked();
    this.grow();
  }

  /** The oldest job offered and not being withdrawn already, of a worker that does not move (in a pool that packs). */
  private oldestOffer(): L | undefined {
    if (this.offered === 0) return undefined;
    const packing = this.packWindow > 0;
    const now = packing ? performance.now() : 0;
    let oldest: L | undefined;
    for (const worker of this.workers) {
      if (packing && this.moving(worker, now)) continue;
      for (const offer of worker.offers as L[]) {
        if (offer.withdrawing) continue;
        if (!oldest || offer.job.id < oldest.job.id) oldest = offer;
        // A worker's offers are in order: the first not being withdrawn is its oldest.
        break;
      }
    }
    return oldest;
  }

  private progress(lease: L): void {
    lease.since = performance.now();
    lease.waiting = false;
  }

  /** The least busy worker with room, if any. */
  private freeWorker(): W | undefined {
    let best: W | undefined;
    for (const worker of this.workers) {
      if (worker.status !== 'ready' || worker.draining || worker.running >= worker.capacity) continue;
      if (worker.running === 0) return worker;
      if (!best || worker.running < best.running) best = worker;
    }
    return best;
  }

  /**
   * The pool's monitor, as Rocket's was: every so often, a job running
   * beyond the time limit without progress (waiting for the client does not
   * count) is answered 504 and its worker replaced, and a worker idle beyond
   * idleTimeout, when there are more than the minimum, is retired. A worker
   * not ready within the time limit (an application that hangs as it loads)
   * is stopped, as one that died while starting. One timer for the pool,
   * rather than one armed and disarmed per request.
   */
  private sweep(): void {
    const now = performance.now();
    const { requestTimeout, idleTimeout, minWorkers } = this.scheduling;
    for (const lease of this.leases.values()) {
      if (lease.worker && !lease.waiting && now - lease.since > requestTimeout) this.overtime(lease);
    }
    for (const worker of this.workers) {
      if (
        worker.status === 'ready' &&
        worker.running === 0 &&
        !this.busyBesides(worker) &&
        this.workers.size > minWorkers &&
        now - worker.since > idleTimeout
      ) {
        this.retire(worker, 'idle');
      } else if (worker.status === 'starting' && now - worker.since > requestTimeout) {
        this.stopWorker(worker, true);
        this.exited(worker, `not ready after ${requestTimeout / 1000} s`);
      }
    }
  }

  private overtime(lease: L): void {
    const worker = lease.worker!;
    if (worker.status === 'stopping') return;
    const seconds = this.scheduling.requestTimeout / 1000;
    this.answer(lease, failure(lease.job.id, 504, `the application ran over its time limit of ${seconds} s`));
    this.retire(worker, `${lease.job.label} ran over ${seconds} s`, true);
    this.replenish();
  }

  /** Starts one more worker when requests wait, none is starting or free, and the limit allows. */
  protected grow(): void {
    if (this.waiting === 0 || !this.running || !this.canStart() || this.freeWorker()) return;
    const { maxWorkers } = this.scheduling;
    if (maxWorkers > 0 && this.workers.size >= maxWorkers) return;
    for (const worker of this.workers) if (worker.status === 'starting') return;
    this.spawn();
    this.log('monitor', 'info', `growing: ${this.waiting} requests wait`);
  }

  /** Keeps the minimum alive, and grows if requests wait. */
  protected replenish(): void {
    while (this.workers.size < this.scheduling.minWorkers && this.running && this.canStart()) this.spawn();
    this.grow();
  }

  private spawn(): void {
    this.workers.add(this.startWorker(++this.numbered));
  }

  /** Stops a worker the pool no longer wants; the jobs it still runs get a 502, those offered to it go back to the queue. */
  protected retire(worker: W, why: string, now = false): void {
    worker.status = 'stopping';
    this.forget(worker, `the application's ${this.wording.noun} was stopped: ${why}`);
    this.stopWorker(worker, now);
    this.log('monitor', 'info', `${this.nameOf(worker)} stopped: ${why}`);
  }

  /**
   * A worker ended that the pool did not stop: its jobs get a 502, and it is
   * replaced. One that died while starting (an application that ends its
   * worker as it loads) is not replaced at once, which would loop: the
   * requests waiting get a 502, and the next request tries again.
   */
  protected exited(worker: W, why: string, stack?: string): void {
    if (worker.status === 'stopping') return;
    const starting = worker.status === 'starting';
    const jobs = this.jobsOf(worker);
    const doing = starting
      ? ' while starting'
      : jobs.length === 1
        ? ` running ${jobs[0]!.job.label}`
        : jobs.length > 1
          ? ` running ${jobs.length} requests`
          : '';
    this.log('errors', 'error', `WSGI ${this.nameOf(worker)} died${doing}: ${why}`, stack ? { stack } : undefined);
    worker.status = 'stopping';
    this.forget(worker, `the application's ${this.wording.noun} died: ${why}`);
    if (!starting) return this.replenish();
    this.refuseWaiting(502, `a ${this.wording.noun} could not start: ${why}`);
  }

  /** Answers every job waiting for a worker. */
  protected refuseWaiting(status: number, message: string): void {
    for (const waiting of this.queue.splice(0)) this.answer(waiting, failure(waiting.job.id, status, message));
  }

  /**
   * Drops a worker from the pool: the jobs it runs are answered 502; those
   * offered to it never ran there, and go back to the head of the queue, in
   * order (or, if it is the last worker, wait for the next to start).
   */
  private forget(worker: W, why: string): void {
    this.workers.delete(worker);
    for (const lease of this.jobsOf(worker)) this.answer(lease, failure(lease.job.id, 502, why));
    const offers = (worker.offers as L[]).slice();
    for (const offer of offers) {
      this.unoffer(worker, offer);
      offer.withdrawing = false;
    }
    // Oldest first to the workers free; the rest back at the head of the line, in order.
    const waiting: L[] = [];
    for (const offer of offers) {
      const free = offer.cancelled ? undefined : this.freeWorker();
      if (offer.cancelled) this.end(offer);
      else if (free) this.assign(free, offer);
      else waiting.push(offer);
    }
    this.queue.unshift(...waiting);
  }

  private jobsOf(worker: W): L[] {
    const jobs: L[] = [];
    if (worker.running === 0) return jobs;
    for (const lease of this.leases.values()) if (lease.worker === worker) jobs.push(lease);
    return jobs;
  }

  /** Answers a lease from the pool itself (refusal, failure) and ends it. */
  protected answer(lease: L, reply: PoolReply): void {
    lease.out.send(reply);
    const worker = lease.worker;
    if (worker) {
      worker.running--;
      lease.worker = undefined;
    }
    const host = lease.offeredTo;
    if (host) this.unoffer(host, lease);
    this.end(lease);
  }

  protected end(lease: L): void {
    this.leases.delete(lease.job.id);
    lease.out.close();
  }

  protected log(channel: 'monitor' | 'errors', level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.send('log', logRecord(channel, level, `${this.wording.prefix}: ${message}`, { ...this.status, ...fields }));
  }
}
