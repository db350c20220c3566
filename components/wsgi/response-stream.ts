/**
 * A WSGI response body as the responder pulls it: chunks from the worker
 * thread wait here until the responder asks for them, which it does at the
 * socket's pace. The hooks tell the gateway when a chunk has been taken (so
 * it can give the thread credit), when the body has been read to its end,
 * and when the responder gave up on it.
 */
export interface ResponseStreamHooks {
  /** A chunk of `bytes` was handed to the responder; `empty`: nothing else is waiting. */
  taken(bytes: number, empty: boolean): void;
  /** The end was handed to the responder. */
  finished(): void;
  /** The responder stopped reading before the end (the client went away, a HEAD response, a failure). */
  abandoned(): void;
}

type Piece = string | Uint8Array;

export class ResponseStream implements AsyncIterable<Piece> {
  private readonly queue: Piece[] = [];
  private ended = false;
  private failure: Error | undefined;
  private waiting: { resolve(step: IteratorResult<Piece>): void; reject(error: Error): void } | undefined;
  private over = false;

  constructor(private readonly hooks: ResponseStreamHooks) {}

  push(chunk: Piece): void {
    if (this.over) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve(this.hand(chunk, true));
    } else this.queue.push(chunk);
  }

  end(): void {
    this.ended = true;
    if (this.waiting && this.queue.length === 0) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve(this.finish());
    }
  }

  /** The body cannot be completed: the responder's next read fails, and it cuts the response short. */
  fail(error: Error): void {
    this.failure = error;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.reject(error);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Piece> {
    return {
      next: () => {
        const chunk = this.queue.shift();
        if (chunk !== undefined) return Promise.resolve(this.hand(chunk, this.queue.length === 0));
        if (this.failure) return Promise.reject(this.failure);
        if (this.ended) return Promise.resolve(this.finish());
        if (this.over) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
      },
      return: () => {
        if (!this.over) {
          this.over = true;
          this.queue.length = 0;
          this.hooks.abandoned();
        }
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private hand(chunk: Piece, empty: boolean): IteratorResult<Piece> {
    this.hooks.taken(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength, empty);
    return { done: false, value: chunk };
  }

  private finish(): IteratorResult<Piece> {
    if (!this.over) {
      this.over = true;
      this.hooks.finished();
    }
    return { done: true, value: undefined };
  }
}
