/**
 * `wsgi.input` (PEP 3333, "Input and Error Streams"), inside a worker
 * thread: the request body, pulled from the gateway one chunk at a time as
 * the application reads. `read(n)`, `readline()`, `readlines()` and `for
 * (const line of input)` block the thread until the bytes are there (a
 * thread may block; the main thread never does); `for await (const chunk of
 * input)` and `chunk()` wait without blocking, for async applications. Reads
 * past the end return empty buffers (CONTENT_LENGTH is never overrun: the
 * parser ends the body there). A body that cannot be had (too large, too
 * slow, malformed) makes the read that needs it throw a RequestBodyError
 * with its status: a body cut off is never passed off as a short one.
 */
import type { Input, InputEnd, InputError } from './messages.js';

export class RequestBodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RequestBodyError';
  }
}

/** Thrown from reads and writes once the client has gone: the application should stop. */
export class ClientGone extends Error {
  constructor() {
    super('the client went away');
    this.name = 'ClientGone';
  }
}

/** What the input needs of its job: a way to ask for bytes, and to wait for them. */
export interface InputSource {
  readonly cancelled: boolean;
  /** Asks the gateway for the next chunk. */
  ask(): void;
  waitSync(ready: () => boolean): void;
  waitAsync(ready: () => boolean): Promise<void>;
}

const empty = Buffer.alloc(0);
const newline = 0x0a;

export class WsgiInput implements Iterable<Buffer>, AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  /** Bytes buffered, across `chunks`. */
  private size = 0;
  private ended: boolean;
  private failure: RequestBodyError | undefined;
  /** A chunk has been asked for and has not come yet. */
  private asked = false;

  constructor(
    private readonly source: InputSource,
    hasBody: boolean,
  ) {
    this.ended = !hasBody;
  }

  /** From the gateway: bytes, the end, or why there will be none. */
  receive(message: Input | InputEnd | InputError): void {
    this.asked = false;
    if (message.type === 'input') {
      const chunk = Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength);
      if (chunk.length > 0) {
        this.chunks.push(chunk);
        this.size += chunk.length;
      }
    } else if (message.type === 'inputEnd') this.ended = true;
    else this.failure = new RequestBodyError(message.status, message.message);
  }

  /** Up to `size` bytes (all that is left when size is negative or absent); empty at the end. */
  read(size = -1): Buffer {
    if (size === 0) return empty;
    while ((size < 0 || this.size < size) && this.more()) this.fillSync();
    // A body that broke off is never passed off as a short one.
    if (this.failure && (size < 0 || this.size < size)) throw this.failure;
    return this.take(size < 0 ? this.size : Math.min(size, this.size));
  }

  /** One line, with its "\n" (the last may have none); at most `size` bytes when size is given. */
  readline(size = -1): Buffer {
    for (;;) {
      const at = this.indexOfNewline();
      if (at >= 0) return this.take(size >= 0 ? Math.min(at + 1, size) : at + 1);
      if (size >= 0 && this.size >= size) return this.take(size);
      if (this.failure) throw this.failure;
      if (this.ended) return this.take(this.size);
      this.fillSync();
    }
  }

  /** The remaining lines; stops once `hint` bytes have been read, when a positive hint is given. */
  readlines(hint = -1): Buffer[] {
    const lines: Buffer[] = [];
    let total = 0;
    for (;;) {
      const line = this.readline();
      if (line.length === 0) return lines;
      lines.push(line);
      total += line.length;
      if (hint > 0 && total >= hint) return lines;
    }
  }

  /** Iterating the input yields lines, as a Python file does. */
  *[Symbol.iterator](): Iterator<Buffer> {
    for (;;) {
      const line = this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** The next chunk as it arrives, or null at the end; waits without blocking the thread. */
  async chunk(): Promise<Buffer | null> {
    while (this.size === 0 && this.more()) {
      this.ask();
      await this.source.waitAsync(() => !this.asked || this.source.cancelled);
      if (this.source.cancelled) throw new ClientGone();
    }
    if (this.size > 0) return this.take(this.size);
    if (this.failure) throw this.failure;
    return null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const chunk = await this.chunk();
      if (chunk === null) return;
      yield chunk;
    }
  }

  private more(): boolean {
    return !this.ended && !this.failure;
  }

  private ask(): void {
    if (this.asked) return;
    this.asked = true;
    this.source.ask();
  }

  private fillSync(): void {
    this.ask();
    this.source.waitSync(() => !this.asked || this.source.cancelled);
    if (this.source.cancelled) throw new ClientGone();
  }

  private indexOfNewline(): number {
    let offset = 0;
    for (const chunk of this.chunks) {
      const at = chunk.indexOf(newline);
      if (at >= 0) return offset + at;
      offset += chunk.length;
    }
    return -1;
  }

  /** The next n buffered bytes (n <= size): the first chunk itself when it is exactly that. */
  private take(n: number): Buffer {
    if (n === 0) return empty;
    this.size -= n;
    const first = this.chunks[0]!;
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, part);
      filled += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}
