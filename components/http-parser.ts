/**
 * HttpParser: bytes from the client in, requests out, one per request, in
 * order (RFC 9112). The first stage of the per-connection graph.
 *
 * - A request's body is not read here; it is handed on as a RequestBody that
 *   the handler pulls. The socket is paused while the body's buffer is full,
 *   while as many requests as `pipeline` allows await their responses, and
 *   while a body nobody has finished with stands between us and the next
 *   request; it is resumed when more bytes are needed.
 * - The next request is parsed only once the previous body has been consumed,
 *   or its response has gone (the rest is then read and thrown away if small
 *   enough; otherwise the responder closes the connection).
 * - A request that cannot be accepted is answered on `rejected` with its
 *   status (400, 408, 413, 414, 417, 431, 501, 505) and the reason (the error
 *   page logs it), and the connection closes after it: nothing after a
 *   framing error can be trusted.
 * - A request that asks to upgrade (Upgrade, and "upgrade" in Connection,
 *   RFC 9110 §7.8) is the last one read until its response has gone: what
 *   follows it may be another protocol's bytes. If that response is a 101,
 *   the bytes already read past it go out on `handover`, with the graph the
 *   connection switches to, and the parser waits to be stopped (the server
 *   stops this graph once it has moved the socket); otherwise reading goes
 *   on as HTTP.
 * - Timeouts, as Rocket's monitor kept them: a head must arrive within
 *   `header` ms of its first byte (408), an idle keep-alive connection is
 *   closed after `idle` ms, and a body that stops arriving for `body` ms
 *   while the handler waits fails with 408.
 */
import { box } from '../src/core/box.js';
import { Component, boxes, type OwnedTimer } from '../src/core/component.js';
import type { ConnectionInfo } from '../src/core/connection-info.js';
import { logRecord, type LogRecord } from '../src/core/log.js';
import type { Lifecycle } from '../src/core/signals.js';
import { ByteQueue } from '../src/http/byte-queue.js';
import { ChunkedDecoder } from '../src/http/chunked.js';
import { HttpError } from '../src/http/errors.js';
import { HeaderMap } from '../src/http/headers.js';
import {
  errorResponse,
  makeRequest,
  requestLine,
  type Framing,
  type HttpRequest,
  type HttpResponse,
  type PeerEnded,
  type RequestHead,
  type Sent,
  peerEnded,
} from '../src/http/messages.js';
import { maxMethodLength, parseRequestHead, type BodyFraming, type Refusal } from '../src/http/parse-head.js';
import { isTokenRange } from '../src/http/grammar.js';
import { RequestBody } from '../src/http/request-body.js';
import { hasToken } from '../src/http/headers.js';
import { linger, pause, resume, type FlowControl, type Handover } from './tcp-server/connection.js';

export interface ParserLimits {
  /** Longest request-line, in bytes (414 beyond). */
  readonly requestLine: number;
  /** Largest header section, in bytes (431 beyond). */
  readonly headerSize: number;
  /** Most header fields (431 beyond). */
  readonly headerCount: number;
  /** Largest request body, in bytes (413 beyond). */
  readonly body: number;
  /** Requests read ahead of their responses (pipelining depth). */
  readonly pipeline: number;
  /** Bytes of an unread body worth reading and throwing away to keep the connection. */
  readonly discard: number;
  /** Bytes of body buffered for a slow handler before the socket is paused. */
  readonly bodyBuffer: number;
}

export interface ParserTimeouts {
  /** Milliseconds from a head's first byte to its end (408). */
  readonly header: number;
  /** Milliseconds an idle keep-alive connection is kept. */
  readonly idle: number;
  /** Milliseconds a body may stall while its handler waits (408). */
  readonly body: number;
}

export const defaultParserLimits: ParserLimits = {
  requestLine: 8 * 1024,
  headerSize: 64 * 1024,
  headerCount: 100,
  body: 100 * 1024 * 1024,
  pipeline: 16,
  discard: 256 * 1024,
  bodyBuffer: 64 * 1024,
};

export const defaultParserTimeouts: ParserTimeouts = { header: 10_000, idle: 10_000, body: 10_000 };

export const httpParserBoxes = boxes({
  inboxes: {
    inbox: box<Buffer>('bytes from the client'),
    control: box<Lifecycle>('producerFinished: the client ended its side; shutdown (graceful: finish what was read)'),
    sent: box<Sent>('responses written: room for the next request'),
  },
  outboxes: {
    outbox: box<HttpRequest>('requests, in the order they arrived'),
    rejected: box<HttpResponse>('bodiless error responses to requests refused before routing'),
    framing: box<Framing>('100 Continue when a handler starts reading, and the last response before closing'),
    flow: box<FlowControl>('pause or resume reading the socket'),
    ended: box<PeerEnded>('the client ended its side (a FIN), after the requests it sent before'),
    handover: box<Handover>('after a 101: the graph the connection switches to, with the bytes read past the request'),
    log: box<LogRecord>('refused requests and timeouts'),
  },
});

type Phase = 'head' | 'body' | 'closed';

export class HttpParser extends Component<typeof httpParserBoxes> {
  private readonly bytes = new ByteQueue();
  private phase: Phase = 'head';
  private seq = 0;
  /** Requests emitted whose responses have not been sent. */
  private inFlight = 0;
  /** The request whose body is on the wire, or was last: the next is parsed once it is done with. */
  private current: { request: HttpRequest; body: RequestBody; sent: boolean } | undefined = undefined;
  private remaining = 0;
  private chunked: ChunkedDecoder | undefined = undefined;
  private paused = false;
  private draining = false;
  private peerEnded = false;
  /** The last request read asked to close the connection: read its body, then nothing more. */
  private lastRequest = false;
  private headStarted = false;
  /** How much of a partial head has been checked for bare LFs. */
  private scanned = 0;
  /** Where the partial head's request-line ends, once its CRLF has been seen; -1 before. */
  private lineEnd = -1;
  /** The position of a request that asked to upgrade, until its response has gone: nothing after it is read. */
  private upgrading = -1;
  private idleTimer: OwnedTimer | undefined = undefined;
  private headerTimer: OwnedTimer | undefined = undefined;
  private bodyTimer: OwnedTimer | undefined = undefined;

  constructor(
    private readonly connection: ConnectionInfo,
    private readonly limits: ParserLimits = defaultParserLimits,
    private readonly timeouts: ParserTimeouts = defaultParserTimeouts,
  ) {
    super(httpParserBoxes);
  }

  protected main(): void {
    // Methods as handlers (called with this parser as `this`): no closures per connection (see Component.on).
    this.on('inbox', this.onBytes);
    this.on('sent', this.onSent);
    this.own(this.abandonBody);
    this.armIdle();
  }

  private onBytes(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.bytes.push(chunk);
    if (this.phase === 'body') this.bodyTimer?.refresh();
    this.pump();
  }

  /** However the parser stops, a body still being read fails for its reader. */
  private readonly abandonBody = (): void => {
    this.current?.body.fail(new HttpError(499, 'the connection closed', true));
  };

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'producerFinished') {
      // The client sent all it will: what is queued may still complete a request or a body.
      this.peerEnded = true;
      this.pump();
      // After the requests it completed: the router decides what a half-closed client still gets.
      this.send('ended', peerEnded);
      return;
    }
    if (message.type === 'shutdown' && message.graceful) {
      this.draining = true;
      if (this.inFlight > 0) this.send('framing', { type: 'closeAfter', seq: this.seq - 1 });
      // A body on its way is let in; nothing after it.
      if (this.phase !== 'body') this.close(this.bytes.length > 0);
      return;
    }
    super.onControl(message);
  }

  /** Parses as far as the bytes and the gates allow. */
  private pump(): void {
    for (;;) {
      if (this.phase === 'closed') return;
      if (this.phase === 'body') {
        if (!this.pumpBody()) return;
        continue;
      }
      // Head: wait while the pipeline is full, the last body is still being read, or an upgrade is being answered.
      const current = this.current;
      if (this.inFlight >= this.limits.pipeline || (current && !current.sent && !current.body.complete) || this.upgrading >= 0) {
        return this.setPaused(true);
      }
      if (!this.pumpHead()) return;
    }
  }

  /** Reads one head if it is all there; false when more bytes are needed (or the connection is done). */
  private pumpHead(): boolean {
    let data = this.bytes.view();
    // RFC 9112 §2.2: ignore empty lines before a request-line.
    let skip = 0;
    while (skip + 1 < data.length && data[skip] === 13 && data[skip + 1] === 10 && skip < 8) skip += 2;
    if (skip) {
      this.bytes.consume(skip);
      data = this.bytes.view();
      this.scanned = 0;
      this.lineEnd = -1;
    }
    if (data.length === 0) {
      if (this.peerEnded) return this.close(false);
      this.armIdle();
      this.setPaused(false);
      return false;
    }
    // The bytes scanned before held no CRLF CRLF: search on from where one could still begin.
    // Both searches go on from where the last one stopped, so a head that arrives a byte at a time costs linear time.
    const end = indexOfHeadEnd(data, Math.max(this.scanned - 3, 0));
    const lineEnd = this.lineEnd >= 0 ? this.lineEnd : indexOfCrlf(data, Math.max(this.scanned - 1, 0));
    // A line that is long or not yet whole may be nothing but a method: that is a 501 (RFC 9112 §3), not a long target.
    if (lineEnd < 0 ? data.length > maxMethodLength : lineEnd > this.limits.requestLine) {
      const refusal = methodRefusal(data);
      if (refusal) return this.refuse(refusal);
    }
    // While the line is incomplete, its last byte may be the CR of its CRLF.
    if (lineEnd < 0 ? data.length > this.limits.requestLine + 1 : lineEnd > this.limits.requestLine) {
      return this.refuse({ status: 414, reason: `request-line over ${this.limits.requestLine} bytes` });
    }
    if ((end < 0 ? data.length : end + 4) > this.limits.headerSize) {
      return this.refuse({ status: 431, reason: `header section over ${this.limits.headerSize} bytes` });
    }
    if (end < 0) {
      // RFC 9112 §2.2: a bare LF is not a line end here; refuse it now rather than wait for a CRLF CRLF that may never come.
      for (let i = Math.max(this.scanned, 0); i < data.length; i++) {
        if (data[i] === 10 && (i === 0 || data[i - 1] !== 13)) return this.refuse({ status: 400, reason: 'bare LF in the request head' });
      }
      this.scanned = data.length;
      this.lineEnd = lineEnd;
      if (this.peerEnded) return this.close(false);
      if (!this.headStarted) {
        this.headStarted = true;
        this.headerTimer ??= this.timer(this.timeouts.header, () =>
          this.refuse({ status: 408, reason: 'request head not received in time' }),
        );
        this.headerTimer.refresh();
      }
      this.setPaused(false);
      return false;
    }
    const text = data.toString('latin1', 0, end);
    this.bytes.consume(end + 4);
    this.scanned = 0;
    this.lineEnd = -1;
    if (this.headStarted) {
      this.headStarted = false;
      this.headerTimer!.cancel();
    }
    const parsed = parseRequestHead(text, { maxHeaders: this.limits.headerCount, maxBody: this.limits.body });
    if (!parsed.ok) return this.refuse(parsed);
    const head = parsed.head;
    const seq = this.seq++;
    const body = head.framing.kind === 'none' ? undefined : this.openBody(seq, head.framing, head.expectContinue);
    const request = makeRequest(seq, head, this.connection, body);
    this.inFlight++;
    this.current = body ? { request, body, sent: false } : undefined;
    if (asksToUpgrade(head)) this.upgrading = seq;
    if (!head.keepAlive) {
      this.lastRequest = true;
      if (!body) this.phase = 'closed';
    }
    this.send('outbox', request);
    return this.phase !== 'closed';
  }

  private openBody(seq: number, framing: BodyFraming, expectContinue: boolean): RequestBody {
    this.phase = 'body';
    if (framing.kind === 'length') {
      this.remaining = framing.length;
      this.chunked = undefined;
    } else {
      this.chunked = new ChunkedDecoder({
        maxLine: 4096,
        maxTrailerBytes: this.limits.headerSize,
        maxTrailerFields: this.limits.headerCount,
      });
    }
    let askedForContinue = false;
    this.bodyTimer ??= this.timer(this.timeouts.body, () => this.bodyTimedOut());
    this.bodyTimer.refresh();
    return new RequestBody(
      framing.kind === 'length' ? framing.length : undefined,
      {
        // The reader calls these from its own code: come back in through our boundary.
        started: () =>
          this.run(() => {
            if (expectContinue && !askedForContinue) {
              askedForContinue = true;
              this.send('framing', { type: 'continue', seq });
            }
          }),
        wanted: () => this.run(() => this.bodyWanted()),
      },
      expectContinue,
      this.limits.discard,
    );
  }

  /** Moves body bytes from the queue to the body; false when it must wait. */
  private pumpBody(): boolean {
    const body = this.current!.body;
    if (body.buffered >= this.limits.bodyBuffer) {
      this.bodyTimer?.cancel();
      this.setPaused(true);
      return false;
    }
    const data = this.bytes.view();
    if (data.length === 0) {
      if (this.peerEnded) return this.bodyFailed(body, new HttpError(400, 'the client ended the connection mid-body', true));
      this.setPaused(false);
      return false;
    }
    if (!this.chunked) {
      const n = Math.min(this.remaining, data.length);
      body.push(this.bytes.take(n));
      this.remaining -= n;
      if (this.remaining === 0) this.endBody(body);
      return true;
    }
    const decoder = this.chunked;
    let over = false;
    const used = decoder.feed(data, 0, (chunk) => {
      if (over) return;
      if (body.received + chunk.length > this.limits.body) {
        over = true;
        return;
      }
      body.push(chunk);
    });
    this.bytes.consume(used);
    if (over) return this.bodyFailed(body, new HttpError(413, `chunked body over ${this.limits.body} bytes`, true));
    if (decoder.failed) return this.bodyFailed(body, new HttpError(decoder.failure!.status, decoder.failure!.reason, true));
    if (decoder.done) this.endBody(body, decoder.trailers.size ? decoder.trailers : undefined);
    return true;
  }

  private endBody(body: RequestBody, trailers?: HeaderMap): void {
    body.end(trailers);
    this.bodyTimer?.cancel();
    this.phase = this.draining || this.lastRequest ? 'closed' : 'head';
  }

  /** A broken body: its reader gets the error; the connection closes after the response. */
  private bodyFailed(body: RequestBody, error: HttpError): boolean {
    this.log('warn', `${requestLine(this.current!.request)}: ${error.message}`);
    body.fail(error);
    this.bodyTimer?.cancel();
    return this.close(!this.peerEnded);
  }

  private bodyTimedOut(): void {
    const current = this.current;
    if (this.phase !== 'body' || !current) return;
    this.bodyFailed(current.body, new HttpError(408, 'request body not received in time', true));
  }

  /** The body's reader took bytes or waits for them: read on if we had stopped for it. */
  private bodyWanted(): void {
    if (this.phase === 'body') this.bodyTimer?.refresh();
    if (this.paused) this.pump();
  }

  private onSent(sent: Sent): void {
    if (sent.switchTo) return this.handOver(sent.switchTo);
    if (sent.request.seq === this.upgrading) this.upgrading = -1;
    this.inFlight--;
    const current = this.current;
    if (current && current.request === sent.request) {
      current.sent = true;
      if (!current.body.complete) current.body.discard();
    }
    if (sent.close) {
      // Nothing is written after a response that closes the connection: the
      // requests read behind it (pipelined) will never be answered, so wait for none.
      this.inFlight = 0;
      this.close(this.phase === 'body' || this.bytes.length > 0);
    } else if (this.phase === 'closed') this.finishWhenIdle();
    else this.pump();
  }

  /** A 101 has gone: the bytes read past its request are the new protocol's, and so is the connection. */
  private handOver(protocol: Handover['protocol']): void {
    const bytes = this.bytes;
    const buffered = bytes.length > 0 ? bytes.take(bytes.length) : noBytes;
    this.phase = 'closed';
    this.inFlight = 0;
    this.upgrading = -1;
    // No finishing: what this graph says as it ends must not reach the socket, which the server
    // first moves to the new graph, and then stops this one.
    this.send('handover', { type: 'handover', protocol, buffered, peerEnded: this.peerEnded });
    // The server starts the graph before it stops this one; if the handover never reached it (the socket closed first), it is let go here.
    this.own(() => {
      if (protocol.state === 'created') protocol.askToStop();
    });
  }

  /** Answers a request that cannot be accepted, then reads nothing more. */
  private refuse(refusal: Refusal): false {
    const seq = this.seq++;
    const what: RequestHead = {
      method: refusal.method ?? '-',
      target: refusal.target ?? '-',
      path: '',
      rawPath: '',
      query: '',
      version: refusal.version ?? 'HTTP/1.1',
      headers: new HeaderMap(),
      host: '',
      hostPort: undefined,
      keepAlive: false,
    };
    const request = makeRequest(seq, what, this.connection, undefined);
    this.inFlight++;
    this.headerTimer?.cancel();
    this.close(!this.peerEnded);
    this.send('rejected', errorResponse(request, refusal.status, { close: true, error: refusal.reason }));
    return false;
  }

  /**
   * Reads nothing more (what still arrives is dropped); finishes once the
   * responses in flight have gone. `unread`: the client may still be sending,
   * so the socket should linger when it closes.
   */
  private close(unread: boolean): false {
    if (unread && !this.peerEnded) this.send('flow', linger);
    this.phase = 'closed';
    this.bytes.clear();
    this.finishWhenIdle();
    return false;
  }

  private armIdle(): void {
    if (this.inFlight > 0 || this.phase !== 'head') return;
    this.idleTimer ??= this.timer(this.timeouts.idle, () => {
      if (this.inFlight === 0 && this.bytes.length === 0 && this.phase === 'head') this.finish();
    });
    this.idleTimer.refresh();
  }

  private finishWhenIdle(): void {
    if (this.inFlight === 0) this.finish();
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.send('flow', paused ? pause : resume);
  }

  private log(level: 'warn' | 'error', message: string): void {
    this.send('log', logRecord('errors', level, `${this.connection.remoteAddress}: ${message}`));
  }
}

/**
 * The refusal of a request-line whose first maxMethodLength + 1 bytes hold no
 * space: a method longer than any the server implements (501), or not a
 * method at all (400: bytes that are not a token, such as a TLS handshake on
 * a plain port). Undefined when the method ends in time.
 */
function methodRefusal(bytes: Buffer): Refusal | undefined {
  const start = bytes.toString('latin1', 0, Math.min(bytes.length, maxMethodLength + 1));
  if (start.includes(' ') || start.length <= maxMethodLength) return undefined;
  if (!isTokenRange(start, 0, start.length)) return { status: 400, reason: 'malformed method' };
  return { status: 501, reason: `a method longer than ${maxMethodLength} characters, longer than any this server implements` };
}

const noBytes = Buffer.alloc(0);

/** Whether a request asks to switch protocols (RFC 9110 §7.8): an HTTP/1.0 one may not, and its Upgrade is ignored. */
function asksToUpgrade(head: RequestHead): boolean {
  return head.version === 'HTTP/1.1' && head.headers.has('upgrade') && hasToken(head.headers.get('connection'), 'upgrade');
}

/**
 * The offset of the first CRLF CRLF in `bytes` at or after `from`, or -1. A
 * loop: Buffer.indexOf with a string needle costs more on a short head (see
 * `npm run bench -- http`, hello keep-alive).
 */
function indexOfHeadEnd(bytes: Uint8Array, from: number): number {
  for (let i = from + 3; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) return i - 3;
  }
  return -1;
}

/** The offset of the first CRLF in `bytes` at or after `from`, or -1. */
function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from + 1; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13) return i - 1;
  }
  return -1;
}
