/**
 * Responder: the one place responses are put on the wire. Responses arrive
 * in any order (a later handler may finish first) and leave in request
 * order. Each gets its status line, Date, Server and framing (see
 * src/http/serialize.ts); then its body is written:
 *
 * - strings and bytes at once (with the head, in one write, when small);
 * - files, parts and streams pulled one chunk at a time, each only once the
 *   socket has taken the last (a file reads one chunk ahead, so disk and
 *   socket overlap): a client that stops reading holds up the pull, so it
 *   costs a few buffers, never the whole body.
 *
 * A raw response (an nph- CGI script's output) is the whole message already:
 * its body is written as it is, with no head of ours, and the connection
 * closes after it.
 *
 * A 101 (RFC 9110 §7.8) carries the graph the connection switches to
 * (`switchTo`): its head is the last thing written here, and `sent` hands
 * that graph to the parser, which hands over the socket. A 101 with no
 * graph is a handler's mistake (500); a graph with any other status is let go.
 *
 * A body that fails after its head has gone cannot be taken back: the
 * connection is dropped so the client sees a truncated response, never a
 * wrong one. Each response written is reported on `sent` (for the parser,
 * which reads the next request, and for the access log).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import { logRecord, type LogRecord } from '../src/core/log.js';
import type { Lifecycle } from '../src/core/signals.js';
import { endsInput } from '../src/core/signals.js';
import { httpDateNow } from '../src/http/date.js';
import type { HeaderMap } from '../src/http/headers.js';
import {
  bodyLength,
  isFileBody,
  isPartsBody,
  requestLine,
  respond,
  type Body,
  type FileBody,
  type Framing,
  type HttpResponse,
  type Sent,
  type StreamBody,
} from '../src/http/messages.js';
import { applyResponseFields } from '../src/http/response-fields.js';
import { continueHead, frameResponse, lastChunk, unframed, type Framed } from '../src/http/serialize.js';
import type { ServerCounters } from '../src/http/counters.js';
import type { Writable } from './tcp-server/connection.js';

export interface ResponderOptions {
  /** The Server field; false to send none. */
  readonly server?: string | false;
  /** Bodies up to this size are joined to their head in a single write. */
  readonly joinLimit?: number;
  /**
   * The most bytes read from a file per write, for a client that keeps up
   * (default 512 KiB; a slow one gets 64 KiB): few, large writes for a fast
   * client, where fixed small chunks cost a read and a write each (see
   * `npm run bench -- static`, the 10 MiB download).
   */
  readonly fileChunk?: number;
  /** Server-wide figures; each response written is recorded there. */
  readonly counters?: ServerCounters;
}

export const responderBoxes = boxes({
  inboxes: {
    inbox: box<HttpResponse>('responses to write, in any order'),
    framing: box<Framing>('from the parser: 100 Continue, and the last response before closing'),
    writable: box<Writable>('from the socket: whether it takes more bytes now'),
  },
  outboxes: {
    outbox: box<string | Uint8Array>('bytes for the client'),
    sent: box<Sent>('each response, once written or abandoned'),
    log: box<LogRecord>('responses that could not be written'),
  },
});

const crlf = Buffer.from('\r\n');
/** The smallest file chunk: what a slow client gets. */
const minFileChunk = 64 * 1024;
const lastChunkBytes = Buffer.from('0\r\n\r\n');

export class Responder extends Component<typeof responderBoxes> {
  private nextSeq = 0;
  /** Responses ready before their turn (made when the first comes: most connections never need it). */
  private waiting: Map<number, HttpResponse> | undefined = undefined;
  /** Requests owed a 100 Continue, by position. */
  private continues: Set<number> | undefined = undefined;
  private closeAfter = Infinity;
  /** A body is being streamed; nothing else may be written until it is done. */
  private writing: HttpResponse | undefined = undefined;
  /** A response that closes the connection has been written. */
  private closing = false;
  private upstreamFinished = false;
  private writableNow = true;
  private drained: (() => void) | undefined = undefined;
  /**
   * The head of a streamed response, kept back until its first chunk so the
   * two leave in one write (a CGI or WSGI reply is often head, one chunk and
   * the end, all at once: see `npm run bench -- wsgi` and `-- cgi`); sent on
   * its own at the next turn of the event loop if no chunk has come by then,
   * so a slow stream's client hears at once.
   */
  private heldHead: { readonly head: string; readonly ascii: boolean } | undefined = undefined;
  private readonly server: string | undefined;
  private readonly joinLimit: number;
  private readonly fileChunk: number;
  private readonly counters: ServerCounters | undefined;

  constructor(options: ResponderOptions = {}) {
    super(responderBoxes);
    this.server = options.server === false ? undefined : (options.server ?? 'boxwire');
    this.joinLimit = options.joinLimit ?? 16 * 1024;
    this.fileChunk = options.fileChunk ?? 512 * 1024;
    this.counters = options.counters;
  }

  protected main(): void {
    // Methods as handlers (called with this responder as `this`): no closures per connection (see Component.on).
    this.on('inbox', this.onResponse);
    this.on('framing', this.onFraming);
    this.on('writable', this.onWritable);
    this.own(() => {
      if (this.waiting) for (const response of this.waiting.values()) release(response);
      this.waiting?.clear();
      this.drained?.();
    });
  }

  private onResponse(given: HttpResponse): void {
    // Fields a request stage asked for on this request's response (CORS): whoever answered, they go on here.
    const response = given.request.responseFields === undefined ? given : applyResponseFields(given);
    const seq = response.request.seq;
    if (this.closing || seq < this.nextSeq) return release(response);
    // The usual case, the response that is next in line and nothing being written: straight out.
    if (seq === this.nextSeq && !this.writing && !this.continues?.has(seq)) this.write(response);
    else (this.waiting ??= new Map()).set(seq, response);
    this.flush();
  }

  private onFraming(message: Framing): void {
    if (message.type === 'closeAfter') this.closeAfter = Math.min(this.closeAfter, message.seq);
    else if (message.seq >= this.nextSeq) (this.continues ??= new Set()).add(message.seq);
    this.flush();
  }

  private onWritable(message: Writable): void {
    this.writableNow = message.writable;
    if (message.writable && this.drained) {
      const resume = this.drained;
      this.drained = undefined;
      resume();
    }
  }

  protected override onControl(message: Lifecycle): void {
    if (endsInput(message)) {
      this.upstreamFinished = true;
      this.flush();
      return;
    }
    // The connection is going: the response in progress is reported as cut short.
    if (this.writing) this.report(this.writing, 0, false, true, this.writing.headers);
    super.onControl(message);
  }

  /** Writes what can be written now, in order. */
  private flush(): void {
    while (!this.writing && !this.closing && this.running) {
      const seq = this.nextSeq;
      const response = this.waiting?.get(seq);
      if (!response) {
        if (this.continues?.delete(seq)) this.send('outbox', continueHead);
        break;
      }
      this.waiting!.delete(seq);
      this.continues?.delete(seq);
      this.write(response);
    }
    if (this.writing || !this.running) return;
    if (this.closing || (this.upstreamFinished && !this.waiting?.size)) this.finish();
  }

  private write(response: HttpResponse): void {
    const request = response.request;
    const body = response.body;
    const switchTo = response.switchTo;
    if (response.status === 101 && !switchTo) {
      this.send('log', logRecord('errors', 'error', `500 ${requestLine(request)}: a 101 with no protocol to switch to`));
      return this.write(internalError(response));
    }
    // A graph to switch to goes with a 101 only: any other status keeps the connection HTTP.
    if (switchTo && response.status !== 101) switchTo.askToStop();
    const keepAlive = request.keepAlive && !response.close && request.seq < this.closeAfter && (!request.body || request.body.reusable);
    const framing = response.raw
      ? unframed
      : frameResponse({
          status: response.status,
          headers: response.headers,
          bodyLength: bodyLength(body),
          method: request.method,
          version: request.version,
          keepAlive,
          date: httpDateNow(),
          server: this.server,
        });
    if (!framing.ok) {
      this.send('log', logRecord('errors', 'error', `500 ${requestLine(request)}: the handler's response was refused: ${framing.reason}`));
      release(response);
      return this.write(internalError(response));
    }
    const framed = framing.framed;
    // After a 101 the connection belongs to another protocol: nothing more of ours is written.
    if (framed.close || response.status === 101) this.closing = true;
    if (!framed.hasBody || body === undefined) {
      this.send('outbox', framed.head);
      releaseBody(body);
      return this.written(response, 0, framed);
    }
    if (typeof body === 'string') {
      if (framed.ascii && body.length <= this.joinLimit) this.send('outbox', framed.head + body);
      else {
        this.send('outbox', Buffer.from(framed.head, 'latin1'));
        this.send('outbox', body);
      }
      return this.written(response, framed.contentLength!, framed);
    }
    if (body instanceof Uint8Array) {
      const head = framed.head;
      if (body.length <= this.joinLimit) {
        // Head and body in one buffer, one write (one syscall, one segment; see `npm run bench -- http`, hello
        // keep-alive): the head is latin1, one byte a character.
        const joined = Buffer.allocUnsafe(head.length + body.length);
        joined.write(head, 0, 'latin1');
        joined.set(body, head.length);
        this.send('outbox', joined);
      } else {
        this.send('outbox', Buffer.from(head, 'latin1'));
        this.send('outbox', body);
      }
      return this.written(response, body.length, framed);
    }
    this.writing = response;
    if (framed.head && !isFileBody(body) && !isPartsBody(body)) this.holdHead(framed);
    else if (framed.head) this.send('outbox', Buffer.from(framed.head, 'latin1'));
    this.task(async () => {
      const progress: Progress = { written: 0, limit: framed.contentLength };
      try {
        await this.pull(body, framed, progress, response.trailers);
        if (framed.contentLength !== undefined && progress.written !== framed.contentLength) {
          throw new Error(`body was ${progress.written} bytes, Content-Length said ${framed.contentLength}`);
        }
      } catch (error) {
        if (!this.running) return;
        return this.run(() => this.cutShort(response, progress.written, error));
      }
      if (!this.running) return;
      this.run(() => {
        this.writing = undefined;
        this.written(response, progress.written, framed);
        this.flush();
      });
    });
  }

  /** Writes a file, parts or stream body, pulling each chunk only when the socket has room. */
  private async pull(
    body: Exclude<Body, string | Uint8Array | undefined>,
    framed: Framed,
    progress: Progress,
    trailers: HttpResponse['trailers'],
  ): Promise<void> {
    if (isFileBody(body)) return this.pullFile(body, progress);
    if (isPartsBody(body)) {
      for (const part of body.parts) {
        if (isFileBody(part)) await this.pullFile(part, progress);
        else await this.chunk(part, false, progress);
      }
      return;
    }
    await this.pullStream(body, framed.chunked, progress);
    if (!this.running) return;
    if (framed.chunked) this.send('outbox', this.withHeldHead(trailers ? Buffer.from(lastChunk(trailers()), 'latin1') : lastChunkBytes));
    else this.sendHeldHead();
  }

  private holdHead(framed: Framed): void {
    const held = { head: framed.head, ascii: framed.ascii };
    this.heldHead = held;
    setImmediate(() => {
      if (this.heldHead === held) this.run(() => this.sendHeldHead());
    });
  }

  /** Sends the held head, if any, on its own. */
  private sendHeldHead(): void {
    const held = this.heldHead;
    if (!held) return;
    this.heldHead = undefined;
    this.send('outbox', Buffer.from(held.head, 'latin1'));
  }

  /** `piece`, with the held head (if any) in front of it. */
  private withHeldHead(piece: string | Uint8Array): string | Uint8Array {
    const held = this.heldHead;
    if (!held) return piece;
    this.heldHead = undefined;
    if (typeof piece === 'string' && held.ascii) return held.head + piece;
    return Buffer.concat([Buffer.from(held.head, 'latin1'), typeof piece === 'string' ? Buffer.from(piece) : piece]);
  }

  /**
   * Sends a file range a chunk at a time. One chunk is read ahead: the next
   * read runs while the socket drains the last write, so disk and socket
   * overlap, and at most two chunks are held. Chunks start small and double
   * (up to `fileChunk`) while the socket takes each one without making us
   * wait, and halve when it does not: a fast client gets few, large writes,
   * while a slow or stalled one holds no more than two small buffers.
   */
  private async pullFile(file: FileBody, progress: Progress): Promise<void> {
    let handle: FileHandle | undefined;
    let ahead: Promise<Buffer> | undefined;
    const smallest = Math.min(minFileChunk, this.fileChunk);
    let size = smallest;
    try {
      handle = await open(file.path, 'r');
      const read = (from: number): Promise<Buffer> => {
        const length = Math.min(size, file.end - from);
        return handle!.read(Buffer.allocUnsafe(length), 0, length, from).then(({ bytesRead, buffer }) => {
          if (bytesRead === 0) throw new Error(`${file.path} ended early: it changed while being sent`);
          return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
        });
      };
      let position = file.start;
      ahead = read(position);
      while (ahead && this.running) {
        const chunk = await ahead;
        position += chunk.length;
        ahead = position < file.end ? read(position) : undefined;
        const waited = await this.chunk(chunk, false, progress);
        size = waited ? Math.max(size >> 1, smallest) : Math.min(size << 1, this.fileChunk);
      }
    } finally {
      // A read still in flight is awaited (its failure no longer matters) before the handle closes.
      await ahead?.catch(() => undefined);
      await handle?.close();
    }
  }

  private async pullStream(stream: StreamBody, chunked: boolean, progress: Progress): Promise<void> {
    const iterator = stream[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          finished = true;
          return;
        }
        if (!this.running) return;
        await this.chunk(next.value, chunked, progress);
      }
    } finally {
      if (!finished) await iterator.return?.();
    }
  }

  /** Writes one chunk, then waits until the socket has room for more; says whether it had to wait. */
  private async chunk(bytes: string | Uint8Array, chunked: boolean, progress: Progress): Promise<boolean> {
    const length = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
    if (length === 0 || !this.running) return false;
    // Never send more than the head promised.
    if (progress.limit !== undefined && progress.written + length > progress.limit) {
      throw new Error(`body is longer than its Content-Length of ${progress.limit}`);
    }
    if (length <= this.joinLimit) {
      // A small chunk leaves in one write: its size line, the bytes and the CRLF (and a held head) together.
      const size = `${length.toString(16)}\r\n`;
      let piece: string | Uint8Array = bytes;
      if (chunked) piece = typeof bytes === 'string' ? `${size}${bytes}\r\n` : Buffer.concat([Buffer.from(size, 'latin1'), bytes, crlf]);
      this.send('outbox', this.withHeldHead(piece));
    } else {
      this.sendHeldHead();
      if (chunked) this.send('outbox', `${length.toString(16)}\r\n`);
      this.send('outbox', bytes);
      if (chunked) this.send('outbox', crlf);
    }
    progress.written += length;
    if (this.writableNow) return false;
    await new Promise<void>((resolve) => (this.drained = resolve));
    return true;
  }

  /** The body failed after its head went out: drop the connection so the client sees it is cut short. */
  private cutShort(response: HttpResponse, written: number, error: unknown): void {
    // As ever, the head goes out and the connection is then dropped: the client sees the response cut short.
    this.sendHeldHead();
    const why = error instanceof Error ? error.message : String(error);
    this.send('log', logRecord('errors', 'error', `${requestLine(response.request)}: response cut short after ${written} bytes: ${why}`));
    this.report(response, written, false, true, response.headers);
    this.writing = undefined;
    this.fail(error instanceof Error ? error : new Error(why));
  }

  private written(response: HttpResponse, bytes: number, framed: Framed): void {
    this.nextSeq = response.request.seq + 1;
    this.report(response, bytes, true, framed.close, response.headers);
  }

  private report(response: HttpResponse, bytes: number, complete: boolean, close: boolean, headers: HeaderMap): void {
    const sent: Sent = {
      type: 'sent',
      request: response.request,
      status: response.status,
      bytes,
      duration: performance.now() - response.request.received,
      complete,
      close,
      headers,
      switchTo: complete && response.status === 101 ? response.switchTo : undefined,
    };
    this.counters?.sent(sent);
    this.send('sent', sent);
  }
}

/** The response sent instead of one whose head could not be written. */
function internalError(response: HttpResponse): HttpResponse {
  return respond(response.request, {
    status: 500,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: '500 Internal Server Error\n',
    close: response.close,
  });
}

interface Progress {
  written: number;
  /** Content-Length, when the head gave one. */
  readonly limit: number | undefined;
}

/** A response that will not be written: its body and any graph it would have switched to let go of what they hold. */
function release(response: HttpResponse): void {
  releaseBody(response.body);
  response.switchTo?.askToStop();
}

/** Lets a stream body that will not be read release what it holds. */
function releaseBody(body: Body): void {
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array || isFileBody(body) || isPartsBody(body)) return;
  const iterator = body[Symbol.asyncIterator]();
  iterator.return?.().catch(() => {});
}
