/**
 * One request inside a worker thread: its input, its output, its
 * `wsgi.errors`, and what the gateway tells it while it runs (body bytes,
 * credit, cancel). Runners (thread-wsgi.ts, thread-fetch.ts) build on it.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { FromThread, JobStart, JobUpdate } from './messages.js';
import type { ThreadChannel } from './thread-channel.js';
import type { ThreadExecutor } from './thread-executor.js';
import { ClientGone, RequestBodyError, WsgiInput } from './thread-input.js';
import { ResponseWriter } from './thread-output.js';

export class ThreadJob {
  cancelled = false;
  readonly input: WsgiInput;
  readonly output: ResponseWriter;
  readonly errors: ErrorStream;
  /** Made when first asked for: only fetch-style handlers use it. */
  private aborter: AbortController | undefined;

  constructor(
    readonly job: JobStart,
    private readonly channel: ThreadChannel,
    /** The thread's wsgiorg.executor. */
    readonly executor: ThreadExecutor,
  ) {
    this.input = new WsgiInput(this, job.hasBody);
    this.output = new ResponseWriter(this);
    this.errors = new ErrorStream((text) => this.post({ type: 'errors', id: job.id, text }));
  }

  get id(): number {
    return this.job.id;
  }

  /** Aborted when the client goes away (fetch-style handlers see it as request.signal). */
  get signal(): AbortSignal {
    this.aborter ??= new AbortController();
    if (this.cancelled) this.aborter.abort(new ClientGone());
    return this.aborter.signal;
  }

  receive(message: JobUpdate): void {
    switch (message.type) {
      case 'input':
      case 'inputEnd':
      case 'inputError':
        this.input.receive(message);
        return;
      case 'credit':
        this.output.credit(message.bytes, message.chunks);
        return;
      case 'cancel':
        this.cancelled = true;
        this.aborter?.abort(new ClientGone());
        return;
      default:
        message satisfies never;
    }
  }

  post(message: FromThread, transfer?: readonly TransferListItem[]): void {
    this.channel.post(message, transfer);
  }

  ask(): void {
    this.post({ type: 'wantInput', id: this.job.id });
  }

  /** Handles what the pool has said meanwhile, without waiting. */
  poll(): void {
    this.channel.poll();
  }

  waitSync(ready: () => boolean): void {
    this.channel.waitSync(ready);
  }

  waitAsync(ready: () => boolean): Promise<void> {
    return this.channel.waitAsync(ready);
  }

  /**
   * Ends the job after an exception: before the head, with its status (a
   * body that could not be read keeps its own, else 500); after it, the
   * gateway cuts the response short. A client that went away needs nothing.
   */
  fail(error: unknown): void {
    this.errors.flush();
    if (this.cancelled || error instanceof ClientGone) return this.post({ type: 'end', id: this.job.id });
    const status = error instanceof RequestBodyError ? error.status : 500;
    const message = error instanceof Error ? error.message : `the application threw ${String(error)}`;
    const stack = error instanceof Error ? error.stack : undefined;
    this.post({ type: 'failed', id: this.job.id, status, message, stack });
  }
}

/** wsgi.errors: text the application writes, sent on as lines to the server's errors channel. */
export class ErrorStream {
  private partial = '';

  constructor(private readonly line: (text: string) => void) {}

  write(text: string): void {
    const lines = (this.partial + String(text)).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  writelines(lines: Iterable<string>): void {
    for (const line of lines) this.write(line);
  }

  flush(): void {
    if (this.partial === '') return;
    const rest = this.partial;
    this.partial = '';
    this.line(rest);
  }
}
