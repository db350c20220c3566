/**
 * `environ['wsgiorg.executor']` inside a worker thread: work an application
 * hands over to run after its response, on the same thread, as Rocket's
 * FuturesMiddleware offered Python applications (wsgiorg.executor, a draft
 * of 2011 after PEP 3148). In JavaScript a future is a promise:
 *
 *   environ['wsgiorg.executor'].submit(sendMail, to, text)  // -> Promise
 *
 * - `submit(fn, ...args)` never runs `fn` in the call: it runs once the
 *   thread's event loop turns (so after a synchronous application has
 *   returned), with at most `concurrency` functions running at once on the
 *   thread, the others waiting in order.
 * - Bounded: with `queue` functions waiting already, `submit` throws an
 *   ExecutorFull error (nothing is taken); once the server has begun to
 *   stop, it throws too.
 * - A function that fails rejects its promise and is logged on the errors
 *   channel (no unhandled rejection can end the thread); the promise need
 *   not be awaited.
 * - The pool is told when the thread has work of this kind and when it has
 *   none: a thread with work left is not retired for being idle, and a
 *   graceful stop waits (up to timeouts.shutdown) until every thread has
 *   drained.
 */

export interface ExecutorLimits {
  /** Functions that may wait to run, per thread; more are refused. */
  readonly queue: number;
  /** Functions running at once, per thread. */
  readonly concurrency: number;
}

/** Thrown by `submit` when the queue is full: the application may retry later, do the work itself, or answer 503. */
export class ExecutorFull extends Error {
  override readonly name = 'ExecutorFull';
}

interface Work {
  readonly fn: (...args: unknown[]) => unknown;
  readonly args: unknown[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class ThreadExecutor {
  /** The draft's flags: whether functions may run on another thread than the one that submits them, or in another process (neither). */
  readonly multithread = false;
  readonly multiprocess = false;
  private readonly waiting: Work[] = [];
  private running = 0;
  private scheduled = false;
  private stopping = false;

  constructor(
    private readonly limits: ExecutorLimits,
    /** Says whether the thread has work of this kind (called when that changes). */
    private readonly busy: (active: boolean) => void,
    /** A function that failed: logged, for nobody may be waiting on its promise. */
    private readonly failed: (error: unknown, name: string) => void,
  ) {}

  /** Functions waiting and running. */
  get pending(): number {
    return this.waiting.length + this.running;
  }

  submit<A extends unknown[], T>(fn: (...args: A) => T, ...args: A): Promise<Awaited<T>> {
    if (typeof fn !== 'function') throw new TypeError(`wsgiorg.executor.submit() takes a function, not ${typeof fn}`);
    if (this.stopping) throw new Error('wsgiorg.executor: the server is stopping, and takes no more work');
    if (this.waiting.length >= this.limits.queue) {
      throw new ExecutorFull(`wsgiorg.executor: ${this.waiting.length} functions wait already, the most this thread takes`);
    }
    let settle!: Pick<Work, 'resolve' | 'reject'>;
    const promise = new Promise<Awaited<T>>((resolve, reject) => (settle = { resolve: resolve as (v: unknown) => void, reject }));
    // Its failure is logged here; an application that never awaits the promise must not end the thread with an unhandled rejection.
    promise.catch(() => {});
    if (this.pending === 0) this.busy(true);
    this.waiting.push({ fn: fn as (...args: unknown[]) => unknown, args, ...settle });
    this.schedule();
    return promise;
  }

  /** The server is stopping: nothing more is taken; what was taken runs to its end, and then the pool hears the thread is done. */
  drain(): void {
    this.stopping = true;
    if (this.pending === 0) this.busy(false);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.limits.concurrency && this.waiting.length > 0) {
      const work = this.waiting.shift()!;
      this.running++;
      let result: Promise<unknown>;
      try {
        result = Promise.resolve(work.fn(...work.args));
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (value) => this.done(() => work.resolve(value)),
        (error: unknown) =>
          this.done(() => {
            this.failed(error, work.fn.name || 'anonymous');
            work.reject(error);
          }),
      );
    }
  }

  private done(settle: () => void): void {
    this.running--;
    settle();
    if (this.waiting.length > 0) this.schedule();
    else if (this.running === 0) this.busy(false);
  }
}
