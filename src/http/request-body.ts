/**
 * A request body, pulled by whoever handles the request. The parser pushes
 * the bytes it decodes off the wire; the consumer reads them with `read()` or
 * `for await`. The parser stops reading the socket while `buffered` is above
 * its high-water mark and starts again when the consumer has taken enough
 * (the `wanted` hook), so a slow consumer costs a bounded buffer, not the body.
 *
 * The first read is also the moment to send `100 Continue` to a client that
 * asked for it (RFC 9110 §10.1.1): the `started` hook.
 */
import type { HeaderMap } from './headers.js';
import { HttpError } from './errors.js';

export interface RequestBodyHooks {
  /** The consumer asked for bytes for the first time. */
  started?(): void;
  /** The consumer took bytes, or is waiting for some. */
  wanted?(): void;
}

export class RequestBody implements AsyncIterable<Uint8Array> {
  /** Bytes pushed by the parser so far. */
  received = 0;
  /** Bytes handed to the consumer so far. */
  consumed = 0;
  /** Bytes pushed and not yet read. */
  buffered = 0;
  /** Whether the whole body has arrived. */
  ended = false;
  /** Whether a consumer has asked for the body. */
  started = false;
  /** Trailer fields of a chunked body, once it has ended. */
  trailers: HeaderMap | undefined = undefined;
  failure: Error | undefined = undefined;

  private readonly queue: Uint8Array[] = [];
  private waiting: { resolve(chunk: Uint8Array | null): void; reject(error: Error): void } | undefined = undefined;

  /** Set once the response has gone: later bytes are counted and dropped. */
  private dropping = false;

  constructor(
    /** The declared Content-Length; undefined for a chunked body. */
    readonly length: number | undefined,
    private readonly hooks: RequestBodyHooks = {},
    /** The client asked for 100 Continue before sending the body. */
    readonly expectsContinue = false,
    /** Most unread bytes worth reading and throwing away to keep the connection. */
    private readonly discardLimit = 256 * 1024,
  ) {}

  /**
   * Whether the connection can carry another request once this one has been
   * answered, whether or not anyone reads the rest of this body: yes when the
   * body has all arrived, or when the rest is known and small enough to read
   * and throw away; no when it failed, is chunked and unfinished, or was
   * never sent because the client is still waiting for 100 Continue.
   */
  get reusable(): boolean {
    if (this.failure) return false;
    if (this.ended) return true;
    if (this.expectsContinue && !this.started && this.received === 0) return false;
    return this.length !== undefined && this.length - this.received <= this.discardLimit;
  }

  /** Bytes still to come off the wire, when the length is known. */
  get remaining(): number | undefined {
    return this.length === undefined ? undefined : this.length - this.received;
  }

  /** Whether the consumer has read everything there will be. */
  get complete(): boolean {
    return this.ended && this.buffered === 0;
  }

  /** Whether a consumer is waiting for bytes now. */
  get pending(): boolean {
    return this.waiting !== undefined;
  }

  /** The next chunk, or null at the end. Rejects with an HttpError when the body cannot be had. */
  read(): Promise<Uint8Array | null> {
    if (!this.started) {
      this.started = true;
      this.hooks.started?.();
    }
    if (this.queue.length > 0) return Promise.resolve(this.take());
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(null);
    if (this.waiting) return Promise.reject(new Error('RequestBody: one read at a time'));
    const promise = new Promise<Uint8Array | null>((resolve, reject) => (this.waiting = { resolve, reject }));
    this.hooks.wanted?.();
    return promise;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return;
      yield chunk;
    }
  }

  /** The parser: more bytes of the body. */
  push(chunk: Uint8Array): void {
    if (this.ended || this.failure || chunk.length === 0) return;
    this.received += chunk.length;
    if (this.dropping) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      this.consumed += chunk.length;
      waiting.resolve(chunk);
      return;
    }
    this.queue.push(chunk);
    this.buffered += chunk.length;
  }

  /** The parser: the body is complete. */
  end(trailers?: HeaderMap): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    this.trailers = trailers;
    const waiting = this.waiting;
    if (waiting && this.queue.length === 0) {
      this.waiting = undefined;
      waiting.resolve(null);
    }
  }

  /** The parser: the body cannot be completed (timeout, bad framing, client gone). */
  fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.reject(error);
    }
  }

  /** Throws away what is buffered and what is still to come (the response has gone; nobody will read it). */
  discard(): void {
    this.dropping = true;
    this.queue.length = 0;
    this.consumed += this.buffered;
    this.buffered = 0;
  }

  private take(): Uint8Array {
    const chunk = this.queue.shift()!;
    this.buffered -= chunk.length;
    this.consumed += chunk.length;
    this.hooks.wanted?.();
    return chunk;
  }
}

/**
 * Reads a whole body into one buffer, refusing more than `limit` bytes with
 * a 413. An absent body reads as empty.
 */
export async function readBody(body: RequestBody | undefined, limit = 16 * 1024 * 1024): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  if (body.length !== undefined && body.length > limit) throw new HttpError(413, `request body over ${limit} bytes`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Reads a whole body as UTF-8 text. */
export async function readText(body: RequestBody | undefined, limit?: number): Promise<string> {
  return (await readBody(body, limit)).toString('utf8');
}
