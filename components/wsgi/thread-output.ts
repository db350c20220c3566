/**
 * The response as a worker thread sends it (runs inside the thread).
 *
 * - The head waits for the first non-empty chunk, or the end (PEP 3333:
 *   "the server must not transmit headers until the first non-empty string
 *   is yielded"), so an application may still replace it with excInfo.
 * - A declared Content-Length is honoured: bytes past it are never sent and
 *   iteration stops there; `write()` past it throws (PEP 3333, "Handling the
 *   Content-Length Header"). Too few bytes reach the responder as a short
 *   body, which it reports and cuts short.
 * - Flow control: at most `creditWindow` bytes (and chunks) are in flight
 *   beyond what the client has taken; past that the thread waits for credit,
 *   blocking in `write()`, without blocking in an iteration the thread drives.
 * - Bytes cross to the main thread by transfer, not copy: strings are
 *   encoded here and bytes copied here (the application may reuse its own
 *   buffers), into a buffer of their own that is then moved. Short strings
 *   go as they are: the responder joins them to the head in one write.
 */
import type { TransferListItem } from 'node:worker_threads';
import { declaredLength } from '../../src/http/wsgi-response.js';
import { creditWindow, type FileSpec, type FromThread } from './messages.js';
import { ClientGone } from './thread-input.js';

/** What the writer needs of its job. */
export interface OutputSink {
  readonly id: number;
  readonly cancelled: boolean;
  post(message: FromThread, transfer?: readonly TransferListItem[]): void;
  waitSync(ready: () => boolean): void;
  waitAsync(ready: () => boolean): Promise<void>;
}

export type Chunk = string | Uint8Array;

/** Strings up to this many UTF-16 units travel as strings; longer ones are encoded here. */
const shortString = 1024;
const encoder = new TextEncoder();

export class ResponseWriter {
  private status = 0;
  private headers: readonly (readonly [string, string])[] = [];
  private started = false;
  headSent = false;
  /** The declared Content-Length, if any. */
  private limit: number | undefined;
  private sent = 0;
  private unackedBytes = 0;
  private unackedChunks = 0;
  private toldBlocked = false;

  constructor(private readonly sink: OutputSink) {}

  /** Whether startResponse has been called. */
  get hasHead(): boolean {
    return this.started;
  }

  /** Whether the declared Content-Length has been sent: nothing more may follow. */
  get full(): boolean {
    return this.limit !== undefined && this.sent >= this.limit;
  }

  /** Sets (or, before it has gone, replaces) the head. */
  setHead(status: number, headers: readonly (readonly [string, string])[]): void {
    this.status = status;
    this.headers = headers;
    this.started = true;
    this.limit = declaredLength(headers);
  }

  /** From the gateway: the client has taken this much. */
  credit(bytes: number, chunks: number): void {
    this.unackedBytes -= bytes;
    this.unackedChunks -= chunks;
    this.toldBlocked = false;
  }

  /** `write()`: sends a chunk now, blocking the thread while the window is full. */
  writeSync(chunk: Chunk): void {
    if (this.full && byteLength(chunk) > 0) throw new Error(`write() past the declared Content-Length of ${this.limit} (PEP 3333)`);
    if (!this.mustWait(chunk)) return this.send(chunk);
    this.blocked();
    this.sink.waitSync(() => !this.mustWait(chunk) || this.sink.cancelled);
    this.send(chunk);
  }

  /** A chunk of the iteration; returns a promise only when it has to wait for credit. */
  write(chunk: Chunk): Promise<void> | undefined {
    if (!this.mustWait(chunk)) {
      this.send(chunk);
      return undefined;
    }
    this.blocked();
    return this.sink.waitAsync(() => !this.mustWait(chunk) || this.sink.cancelled).then(() => this.send(chunk));
  }

  /** The whole body at once, ending the job: one message for the usual small response. */
  finish(chunks: readonly Chunk[]): void {
    if (this.headSent) {
      for (const chunk of chunks) this.writeSync(chunk);
      return this.end();
    }
    let body = join(chunks);
    let length = byteLength(body);
    if (this.limit !== undefined && length > this.limit) {
      body = truncate(body, this.limit);
      length = this.limit;
    }
    const short = this.limit !== undefined && length < this.limit;
    this.headSent = true;
    this.sink.post({ type: 'head', id: this.sink.id, status: this.status, headers: this.headers, body, last: !short }, transferOf(body));
    // A body shorter than its Content-Length goes as a stream, so the responder sees it end short and says so.
    if (short) this.end();
  }

  /** wsgi.file_wrapper: the responder sends the file itself; ends the job. */
  sendFile(file: FileSpec): void {
    const end = this.limit !== undefined ? Math.min(file.end, file.start + this.limit) : file.end;
    this.headSent = true;
    this.sink.post({ type: 'head', id: this.sink.id, status: this.status, headers: this.headers, file: { ...file, end }, last: true });
  }

  /** The end of a streamed body: the head alone if nothing was sent. Ends the job. */
  end(): void {
    if (!this.headSent) return this.finish([]);
    this.sink.post({ type: 'end', id: this.sink.id });
  }

  private mustWait(chunk: Chunk): boolean {
    if (this.unackedBytes === 0 && this.unackedChunks === 0) return false;
    return this.unackedBytes + byteLength(chunk) > creditWindow.bytes || this.unackedChunks + 1 > creditWindow.chunks;
  }

  /** Tells the pool the thread waits on the client, not on the application. */
  private blocked(): void {
    if (this.toldBlocked) return;
    this.toldBlocked = true;
    this.sink.post({ type: 'blocked', id: this.sink.id });
  }

  private send(chunk: Chunk): void {
    if (this.sink.cancelled) throw new ClientGone();
    let data = chunk;
    let length = byteLength(data);
    if (length === 0 || this.full) return;
    if (this.limit !== undefined && this.sent + length > this.limit) {
      data = truncate(data, this.limit - this.sent);
      length = this.limit - this.sent;
    }
    data = movable(data);
    this.sent += length;
    this.unackedBytes += length;
    this.unackedChunks++;
    const id = this.sink.id;
    const transfer = transferOf(data);
    if (this.headSent) {
      this.sink.post({ type: 'chunk', id, chunk: data, last: false }, transfer);
      return;
    }
    this.headSent = true;
    this.sink.post({ type: 'head', id, status: this.status, headers: this.headers, body: data, last: false }, transfer);
  }
}

export function byteLength(chunk: Chunk): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
}

/** The chunk in a form that can cross threads without a copy on the other side. */
function movable(chunk: Chunk): Chunk {
  if (typeof chunk === 'string') return chunk.length <= shortString ? chunk : encoder.encode(chunk);
  // The application's buffer may be reused by it, or share its memory with others: copy it here, then move the copy.
  return new Uint8Array(chunk);
}

function transferOf(data: Chunk): TransferListItem[] | undefined {
  return typeof data === 'string' ? undefined : [data.buffer as ArrayBuffer];
}

/** Chunks as one body: a string while they are short strings, else bytes in a buffer of their own. */
function join(chunks: readonly Chunk[]): Chunk {
  if (chunks.length === 1 && typeof chunks[0] === 'string' && chunks[0].length <= shortString) return chunks[0];
  let text = true;
  let units = 0;
  for (const chunk of chunks) {
    if (typeof chunk !== 'string') text = false;
    else units += chunk.length;
  }
  if (text && units <= shortString) return chunks.join('');
  const parts = chunks.map((chunk) => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk));
  let total = 0;
  for (const part of parts) total += part.byteLength;
  const body = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.byteLength;
  }
  return body;
}

function truncate(chunk: Chunk, bytes: number): Uint8Array {
  const data = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
  return data.subarray(0, bytes);
}
