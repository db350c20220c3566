/**
 * Output pushed by a source as a response body: a StreamBody the responder
 * pulls at the socket's pace. The handler pushes what its source gives (a
 * CGI script's stdout, an upstream server's response); once more than
 * `highWater` bytes wait, `push` says so and the handler pauses the source
 * (a script's pipe fills and it blocks in write; an upstream socket stops
 * being read, and its TCP window closes): a slow client costs a few
 * buffers, never the whole output.
 *
 * The hooks tell the handler what the consumer does: it wants more (resume
 * the pipe), it has read everything (the body is done), or it has given up
 * (HEAD, a 204, a client gone): then nobody will read the rest. The hooks
 * are called from the consumer's code; the handler brings them back in
 * through its own boundary.
 */

export interface OutputHooks {
  /** The consumer took bytes and fewer than the high-water mark are left: resume the source. */
  wanted(): void;
  /** The consumer has read to the end. */
  consumed(): void;
  /** The consumer will read no more. */
  abandoned(): void;
}

export class OutputBody implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | undefined;
  private waiting: { resolve(result: IteratorResult<Uint8Array>): void; reject(error: Error): void } | undefined;
  /** The consumer has finished, one way or the other. */
  private over = false;

  constructor(
    private readonly hooks: OutputHooks,
    readonly highWater = 64 * 1024,
  ) {}

  /** Whether the source has said all it will (or failed). */
  get settled(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /** More bytes from the source; false when the buffer is over its high-water mark (pause the source). */
  push(chunk: Uint8Array): boolean {
    if (this.settled || this.over || chunk.length === 0) return true;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve({ done: false, value: chunk });
      return true;
    }
    this.queue.push(chunk);
    this.buffered += chunk.length;
    return this.buffered < this.highWater;
  }

  /** The source has ended. */
  end(): void {
    if (this.settled) return;
    this.ended = true;
    if (this.waiting && this.queue.length === 0) this.finishRead();
  }

  /** The source failed: the consumer's next read rejects (a response cut short, not a truncated one that looks whole). */
  fail(error: Error): void {
    if (this.settled) return;
    this.failure = error;
    this.queue.length = 0;
    this.buffered = 0;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.reject(error);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => this.next(),
      return: () => {
        this.abandon();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private next(): Promise<IteratorResult<Uint8Array>> {
    if (this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      const wasFull = this.buffered >= this.highWater;
      this.buffered -= chunk.length;
      if (wasFull && this.buffered < this.highWater) this.hooks.wanted();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.over) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      if (this.ended) this.finishRead();
    });
  }

  private finishRead(): void {
    const waiting = this.waiting!;
    this.waiting = undefined;
    this.over = true;
    waiting.resolve({ done: true, value: undefined });
    this.hooks.consumed();
  }

  private abandon(): void {
    if (this.over) return;
    this.over = true;
    this.queue.length = 0;
    this.buffered = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ done: true, value: undefined });
    this.hooks.abandoned();
  }
}
