/**
 * HashLane: the thread slow password checks run on (bcrypt, MD5-crypt; see
 * src/http/password-hash.ts), so a check that takes a hundred milliseconds
 * never holds up the event loop, and every other connection with it.
 *
 * One thread for the process, shared by every authentication stage, made
 * when the first slow check comes and ended after `idle` ms with nothing to
 * do; while it has nothing to do it does not keep the process alive. Checks queue in order; at
 * most `queue` wait, and a check beyond that is refused at once ('busy':
 * the stage answers 503), so a flood of guesses costs a bounded queue, not
 * unbounded memory and latency. A thread that dies fails the checks it
 * held (the stage answers 500) and the next check starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { StoredHash } from '../../src/http/htpasswd.js';
import type { CheckAnswer, CheckJob } from './hash-thread.js';

export interface HashLaneOptions {
  /** Checks waiting at most. */
  readonly queue: number;
  /** Milliseconds without work after which the thread ends. */
  readonly idle: number;
}

const threadScript = new URL(
  import.meta.url.endsWith('.ts') ? '../../dist/components/auth/hash-thread.js' : './hash-thread.js',
  import.meta.url,
);

interface Waiting {
  readonly resolve: (ok: boolean) => void;
  readonly reject: (error: Error) => void;
}

export class HashLane {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Threads started, and checks sent to them, so far (for tests and the curious). */
  started = 0;
  checks = 0;

  constructor(private readonly options: HashLaneOptions = { queue: 64, idle: 10_000 }) {}

  /** Checks queued or running. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Whether the thread is running. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Whether `password` matches `stored`, worked out on the thread; 'busy' when the queue is full. */
  verify(password: Uint8Array, stored: StoredHash): Promise<boolean> | 'busy' {
    if (this.waiting.size >= this.options.queue) return 'busy';
    const worker = this.thread();
    const id = ++this.nextId;
    this.checks++;
    const job: CheckJob = { id, password: Uint8Array.from(password), stored: { kind: stored.kind, text: stored.text } };
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Held while it has work; let go (unref) once it has none, so it never keeps the process alive idle.
      worker.ref();
      worker.postMessage(job);
    });
  }

  /** Ends the thread now; checks it held fail. */
  close(): void {
    const worker = this.worker;
    if (!worker) return;
    this.forget(worker, new Error('the password-check thread was stopped'));
    void worker.terminate();
  }

  private thread(): Worker {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.worker) return this.worker;
    const worker = new Worker(threadScript);
    this.started++;
    worker.on('message', (answer: CheckAnswer) => {
      const waiting = this.waiting.get(answer.id);
      if (!waiting) return;
      this.waiting.delete(answer.id);
      if (answer.error !== undefined) waiting.reject(new Error(`password check failed: ${answer.error}`));
      else waiting.resolve(answer.ok);
      if (this.waiting.size === 0) this.idleLater();
    });
    worker.on('error', (error) => this.forget(worker, error));
    worker.on('exit', (code) => this.forget(worker, new Error(`the password-check thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private idleLater(): void {
    this.worker?.unref();
    this.idleTimer = setTimeout(() => this.close(), this.options.idle);
    this.idleTimer.unref();
  }

  /** The thread has gone: whatever it held fails. */
  private forget(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(error);
  }
}

/** The process's lane, shared by every authentication stage. */
export const hashLane = new HashLane();
