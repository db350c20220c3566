/**
 * ProxyExchange: the task the router runs for each request under a proxied
 * prefix. It sends the request to an upstream server over a pooled
 * connection and turns the server's response into ours:
 *
 *   request -> choose an upstream -> a connection (idle, new, or wait) ->
 *   head (forwarding fields, Via) and body (pulled from the client as the
 *   upstream socket takes it) -> response head (parse-response-head's
 *   strictness) -> body (pushed to an OutputBody the responder pulls; the
 *   upstream socket is paused while it is full) -> the connection back to
 *   the pool, or closed.
 *
 * - Bodies stream both ways with backpressure, in either framing: the
 *   client's body is read only as fast as the upstream socket drains, and
 *   the upstream's only as fast as the client takes it.
 * - `Expect: 100-continue` is passed on: the client's body is not read (so
 *   the client hears no 100) until the upstream says 100 Continue, or a
 *   second has gone by (RFC 9110 §10.1.1), or it answers at once.
 * - Trailers come through in both directions.
 * - Failures: a connection refused, reset, closed or timed out before the
 *   server said a word is retried once, on another upstream where there is
 *   one, for idempotent methods (RFC 9110 §9.2.2) whose body nobody has
 *   started reading; otherwise 502 (504 for a timeout). A malformed
 *   response is 502 and its connection is closed. No response head within
 *   the response timeout: 504. After the head has gone to the client, a
 *   failure cuts the response short (the client's connection is dropped).
 * - The router calls it off when the client goes away or its handler
 *   timeout passes: whatever connection it holds mid-exchange is closed.
 *
 * Every outside event (the socket's, the pool's, the body's promises and
 * hooks) comes in through the router's boundary (`call.run`,
 * `call.dispatchTo`), so the exchange's own code never runs re-entrantly.
 */
import { logRecord } from '../../src/core/log.js';
import { ChunkedDecoder } from '../../src/http/chunked.js';
import { HttpError, isHttpError } from '../../src/http/errors.js';
import { downstreamResponseFields, upstreamRequestHead, upstreamTarget } from '../../src/http/forwarding.js';
import type { HeaderMap } from '../../src/http/headers.js';
import { errorResponse, requestLine, type Body, type HttpRequest, type HttpResponse, type StreamBody } from '../../src/http/messages.js';
import { lastChunk } from '../../src/http/serialize.js';
import { ResponseHeadReader, type ResponseFraming, type ResponseHead } from '../../src/http/parse-response-head.js';
import type { RequestBody } from '../../src/http/request-body.js';
import { OutputBody } from '../gateway/output-body.js';
import type { Cancellable, HandlerCall } from '../request-router.js';
import type { ResolvedProxyOptions } from './options.js';
import type { Upstream, Waiter } from './upstream.js';
import type { ConnectionUser, UpstreamConnection } from './upstream-connection.js';

/** RFC 9110 §9.2.2: the methods a retry cannot make happen twice. */
const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** How long to wait for a 100 Continue before sending the body anyway (RFC 9110 §10.1.1). */
const continueWait = 1_000;
/** Interim responses taken before a final one. */
const maxInterim = 8;
const crlf = Buffer.from('\r\n');
/** The body of a response that has none, but whose declared length must reach the client (HEAD): a stream with nothing in it. */
const emptyStream: StreamBody = { async *[Symbol.asyncIterator]() {} };

/** What an exchange needs of its ReverseProxy: the options, and an upstream to go to. */
export interface UpstreamGroup {
  readonly options: ResolvedProxyOptions;
  choose(avoid?: Upstream): Upstream;
}

type Phase =
  | 'waiting' // for a connection from the pool
  | 'connecting' // the connection is being made
  | 'head' // the request is written (its body may still be going); waiting for the response head
  | 'body' // reading the response body
  | 'done'; // the upstream's part is over

export class ProxyExchange implements Cancellable, ConnectionUser, Waiter {
  private phase: Phase = 'waiting';
  private upstream: Upstream | undefined = undefined;
  private connection: UpstreamConnection | undefined = undefined;
  private reused = false;
  private attempts = 0;
  private reader: ResponseHeadReader | undefined = undefined;
  private interim = 0;
  /** Bytes of response received on this attempt: a retry is only safe while there are none. */
  private received = 0;
  private answered = false;
  /** The task holds nothing more and the router has been told. */
  private over = false;
  private framing: ResponseFraming | undefined = undefined;
  private remaining = 0;
  private decoder: ChunkedDecoder | undefined = undefined;
  private output: OutputBody | undefined = undefined;
  /** The client has finished with the response body (read it all, or given up). */
  private outputDone = true;
  /** The upstream may carry another request once this exchange is over. */
  private keepAlive = false;
  /** The request, head and body, has all been written upstream. */
  private requestSent = false;
  /** The request body is no longer being sent (the response came first, or it failed). */
  private sendingStopped = false;
  /** The client's body has been read from (so the request can no longer be sent again). */
  private bodyTouched = false;
  /** Waiting for 100 Continue before the body goes. */
  private awaitingContinue = false;
  /** Waiting for the upstream socket to drain before the next chunk. */
  private awaitingDrain = false;
  private timer: NodeJS.Timeout | undefined = undefined;
  private trailers: HeaderMap | undefined = undefined;
  /** This attempt is counted in its upstream's requests in flight. */
  private counted = false;

  constructor(
    private readonly request: HttpRequest,
    private readonly call: HandlerCall,
    private readonly proxy: UpstreamGroup,
  ) {
    if (request.method === 'CONNECT') {
      this.answer(errorResponse(request, 501, { error: 'CONNECT is not proxied' }));
      this.finish();
      return;
    }
    this.attempt(undefined);
  }

  /** Starts (or retries) the exchange on an upstream. */
  private attempt(avoid: Upstream | undefined): void {
    const upstream = this.proxy.choose(avoid);
    this.upstream = upstream;
    upstream.inFlight++;
    this.counted = true;
    this.attempts++;
    this.received = 0;
    this.interim = 0;
    this.phase = 'waiting';
    const got = upstream.acquire(this);
    if (got === 'full') {
      this.leaveUpstream();
      this.answer(
        errorResponse(this.request, 503, {
          headers: { 'Retry-After': '1' },
          error: `proxy: ${upstream.spec.url} has ${this.proxy.options.connections} connections busy and its queue is full`,
        }),
      );
      return this.finish();
    }
    if (got === 'queued') {
      const wait = this.proxy.options.timeouts.connect;
      this.arm(wait, () => {
        upstream.cancelWait(this);
        this.leaveUpstream();
        this.answer(
          errorResponse(this.request, 503, {
            headers: { 'Retry-After': '1' },
            error: `proxy: no connection to ${upstream.spec.url} came free within ${wait} ms`,
          }),
        );
        this.finish();
      });
      return;
    }
    this.use(got.connection, got.reused);
  }

  /** From the pool, outside any component: a connection came free for us. */
  granted(connection: UpstreamConnection, reused: boolean): void {
    this.call.run(() => {
      if (this.over || this.phase !== 'waiting') return this.upstream!.release(connection, true);
      this.disarm();
      this.use(connection, reused);
    });
  }

  private use(connection: UpstreamConnection, reused: boolean): void {
    this.connection = connection;
    this.reused = reused;
    connection.user = this;
    if (connection.connected) this.send();
    else this.phase = 'connecting';
  }

  /** Writes the request head, and starts the body. */
  private send(): void {
    const o = this.proxy.options;
    const request = this.request;
    const upstream = this.upstream!;
    const body = request.body;
    const host =
      o.host === 'pass'
        ? (request.headers.get('host') ?? upstream.spec.authority)
        : o.host === 'upstream'
          ? upstream.spec.authority
          : o.host.value;
    const head = upstreamRequestHead(request, {
      target: upstreamTarget(request, upstream.spec.base, o.keepPrefix),
      host,
      via: o.via,
      forwarding: o,
      framing: body === undefined ? undefined : (body.length ?? 'chunked'),
    });
    this.phase = 'head';
    this.reader = new ResponseHeadReader({ method: request.method, maxHeaders: 100, maxBytes: o.maxResponseHead });
    const connection = this.connection!;
    connection.timeout(o.timeouts.response);
    connection.socket.write(head, 'latin1');
    if (!body) {
      this.requestSent = true;
      return;
    }
    if (body.expectsContinue && !body.started) {
      this.awaitingContinue = true;
      this.arm(continueWait, () => this.continueBody());
      return;
    }
    this.readBody();
  }

  /** 100 Continue came, or we waited long enough: the body goes. */
  private continueBody(): void {
    if (!this.awaitingContinue) return;
    this.awaitingContinue = false;
    this.disarm();
    if (!this.sendingStopped) this.readBody();
  }

  /** Asks the client's body for its next chunk. */
  private readBody(): void {
    this.bodyTouched = true;
    (this.request.body as RequestBody).read().then(this.bodyChunk, this.bodyFailed);
  }

  private readonly bodyChunk = (chunk: Uint8Array | null): void => this.call.dispatchTo(this.onBodyChunk, chunk);
  private readonly bodyFailed = (error: unknown): void => this.call.dispatchTo(this.onBodyFailed, error);

  private readonly onBodyChunk = (chunk: unknown): void => {
    if (this.over || this.sendingStopped || !this.connection) return;
    const socket = this.connection.socket;
    const chunked = this.request.body!.length === undefined;
    if (chunk === null) {
      if (chunked) socket.write(lastChunk(this.request.body!.trailers), 'latin1');
      this.requestSent = true;
      return this.settleIfDone();
    }
    const bytes = chunk as Uint8Array;
    let room: boolean;
    if (chunked) {
      socket.cork();
      socket.write(`${bytes.length.toString(16)}\r\n`, 'latin1');
      socket.write(bytes);
      room = socket.write(crlf);
      socket.uncork();
    } else room = socket.write(bytes);
    if (room) this.readBody();
    else this.awaitingDrain = true;
  };

  /** The client's body failed (it timed out, was malformed or too large, or the client went): so does the exchange. */
  private readonly onBodyFailed = (error: unknown): void => {
    // A body no longer being sent (the upstream answered first) may fail as it likes: the answer stands.
    if (this.over || this.sendingStopped) return;
    this.sendingStopped = true;
    const status = isHttpError(error) ? error.status : 500;
    this.dropConnection();
    if (!this.answered) this.answer(errorResponse(this.request, status, { error, close: true }));
    else this.output?.fail(error instanceof Error ? error : new HttpError(status));
    this.finish();
  };

  // The connection's events (ConnectionUser): each comes in through the router's boundary.

  connected(): void {
    this.call.dispatchTo(this.onConnected, undefined);
  }
  data(chunk: Buffer): void {
    this.call.dispatchTo(this.onData, chunk);
  }
  ended(): void {
    this.call.dispatchTo(this.onEnded, undefined);
  }
  closed(error: Error | undefined): void {
    this.call.dispatchTo(this.onClosed, error);
  }
  drained(): void {
    this.call.dispatchTo(this.onDrained, undefined);
  }
  timedOut(): void {
    this.call.dispatchTo(this.onTimedOut, undefined);
  }

  private readonly onConnected = (): void => {
    if (this.phase === 'connecting') this.send();
  };

  private readonly onDrained = (): void => {
    if (!this.awaitingDrain) return;
    this.awaitingDrain = false;
    if (!this.sendingStopped && !this.over) this.readBody();
  };

  private readonly onData = (chunk: unknown): void => this.take(chunk as Buffer);

  /** Bytes from the upstream, in whatever phase. */
  private take(bytes: Buffer): void {
    if (this.over) return;
    this.received += bytes.length;
    if (this.phase === 'head') return this.takeHead(bytes);
    if (this.phase === 'body') return this.takeBody(bytes);
    // After the response: bytes it was not asked for. The connection cannot be trusted again.
    this.keepAlive = false;
  }

  private takeHead(bytes: Buffer): void {
    const result = this.reader!.push(bytes);
    if (!result) return;
    if (!result.ok) return this.badGateway(result.reason);
    const head = result.head;
    if (head.status < 200) {
      // A 101 to a request that asked for no upgrade (we pass none on) is not a response we can give.
      if (head.status === 101) return this.badGateway('101 Switching Protocols to a request that asked for no upgrade');
      if (++this.interim > maxInterim) return this.badGateway(`more than ${maxInterim} interim responses`);
      if (head.status === 100) this.continueBody();
      this.reader = new ResponseHeadReader({ method: this.request.method, maxHeaders: 100, maxBytes: this.proxy.options.maxResponseHead });
      if (result.rest.length > 0) this.takeHead(result.rest);
      return;
    }
    this.respond(head, result.rest);
  }

  /** The final response head: the body's framing decided, what came with it decoded, the answer given. */
  private respond(head: ResponseHead, rest: Buffer): void {
    const o = this.proxy.options;
    this.phase = 'body';
    this.framing = head.framing;
    this.keepAlive = head.keepAlive;
    this.awaitingContinue = false;
    this.disarm();
    if (!this.requestSent) {
      // The upstream answered before it had the whole request (a 413, a redirect): the rest is not sent,
      // and the connection, with a request cut short on it, is not reused.
      this.sendingStopped = true;
      this.keepAlive = false;
    }
    this.connection!.timeout(o.timeouts.idle);
    const headers = downstreamResponseFields(head.headers, head.version, o.via);
    const response = (body: Body): HttpResponse => ({
      type: 'response',
      request: this.request,
      status: head.status,
      headers,
      body,
      trailers: head.framing.kind === 'chunked' ? () => this.trailers : undefined,
    });
    if (head.framing.kind === 'none') {
      // A response to HEAD keeps the length the upstream declared: a stream of nothing leaves it to the responder as it is.
      this.answer(response(this.request.method === 'HEAD' ? emptyStream : undefined));
      return this.upstreamDone();
    }
    if (head.framing.kind === 'length') this.remaining = head.framing.length;
    else if (head.framing.kind === 'chunked')
      this.decoder = new ChunkedDecoder({ maxLine: 4096, maxTrailerBytes: o.maxResponseHead, maxTrailerFields: 100 });
    // The usual small response arrives with its head: decoded here, it goes as one buffer, head and body in one write.
    const pieces: Buffer[] = [];
    const complete = this.decode(rest, pieces);
    if (complete === 'bad') return this.badGateway(this.decoder!.failure!.reason);
    // (Not with trailers: those need the chunked framing a stream gets.)
    if (complete && !this.trailers) {
      this.answer(response(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces)));
      return this.upstreamDone();
    }
    this.outputDone = false;
    this.output = new OutputBody({
      wanted: () => this.call.dispatchTo(this.onWanted, undefined),
      consumed: () => this.call.dispatchTo(this.onOutputDone, true),
      abandoned: () => this.call.dispatchTo(this.onOutputDone, false),
    });
    for (const piece of pieces) this.push(piece);
    this.answer(response(this.output));
    if (complete) {
      this.output.end();
      this.upstreamDone();
    }
  }

  /**
   * Decodes body bytes into `into` as the framing says; whether the body is
   * complete, or 'bad' when its chunked framing is broken.
   */
  private decode(bytes: Buffer, into: Buffer[]): boolean | 'bad' {
    const framing = this.framing!;
    if (framing.kind === 'close') {
      if (bytes.length > 0) into.push(bytes);
      return false;
    }
    if (framing.kind === 'length') {
      const n = Math.min(this.remaining, bytes.length);
      if (n > 0) into.push(n === bytes.length ? bytes : bytes.subarray(0, n));
      this.remaining -= n;
      // More than the length said: whatever it is, the connection cannot carry another exchange.
      if (n < bytes.length) this.keepAlive = false;
      return this.remaining === 0;
    }
    const decoder = this.decoder!;
    const used = decoder.feed(bytes, 0, (piece) => into.push(piece));
    if (decoder.failed) return 'bad';
    if (decoder.done) {
      this.trailers = decoder.trailers.size > 0 ? decoder.trailers : undefined;
      if (used < bytes.length) this.keepAlive = false;
      return true;
    }
    return false;
  }

  private takeBody(bytes: Buffer): void {
    const pieces: Buffer[] = [];
    const complete = this.decode(bytes, pieces);
    for (const piece of pieces) this.push(piece);
    if (complete === 'bad') return this.cutShort(`bad chunked framing from the upstream: ${this.decoder!.failure!.reason}`);
    if (complete) {
      this.output!.end();
      this.upstreamDone();
    }
  }

  /** Hands body bytes to the client's side; a full buffer stops the upstream socket (and its idle timeout, as the wait is the client's). */
  private push(piece: Buffer): void {
    if (this.output!.push(piece)) return;
    const connection = this.connection;
    if (!connection) return;
    connection.socket.pause();
    connection.timeout(0);
  }

  private readonly onWanted = (): void => {
    const connection = this.connection;
    if (!connection || this.phase !== 'body') return;
    connection.timeout(this.proxy.options.timeouts.idle);
    connection.socket.resume();
  };

  private readonly onOutputDone = (consumed: unknown): void => {
    this.outputDone = true;
    // Nobody will read the rest (the client went, or asked with HEAD): the upstream's response is abandoned with its connection.
    if (!consumed && this.phase === 'body') this.dropConnection();
    this.finishIfIdle();
  };

  private readonly onEnded = (): void => {
    if (this.over) return;
    if (this.phase === 'body' && this.framing?.kind === 'close') {
      this.output?.end();
      this.keepAlive = false;
      return this.upstreamDone();
    }
    this.lost('the upstream closed the connection', true);
  };

  private readonly onClosed = (error: unknown): void => {
    this.connection = undefined;
    if (this.over || this.phase === 'done') return;
    if (error instanceof Error) this.lost(error.message, false);
    else this.lost('the upstream closed the connection', true);
  };

  private readonly onTimedOut = (): void => {
    if (this.over) return;
    const t = this.proxy.options.timeouts;
    switch (this.phase) {
      case 'connecting':
        return this.failedBeforeAnswer(`could not connect within ${t.connect} ms`, 504, true);
      case 'head':
        this.dropConnection();
        this.answer(
          errorResponse(this.request, 504, { error: `proxy: ${this.upstream!.spec.url} sent no response within ${t.response} ms` }),
        );
        return this.finish();
      case 'body':
        return this.cutShort(`the upstream's body stalled for ${t.idle} ms`);
      default:
        return;
    }
  };

  /**
   * The connection ended before the exchange did: `clean` when the server
   * closed it (a FIN), not when it failed (refused, reset). A clean close of
   * a reused connection before any answer is no sign of trouble: the server
   * may have closed it, idle, just as we sent the request.
   */
  private lost(reason: string, clean: boolean): void {
    if (this.phase === 'body') return this.cutShort(`${reason} in the middle of the body`);
    if (this.phase === 'done') return;
    if (this.phase === 'head' && this.received > 0) return this.badGateway(`${reason} in the middle of the response head`);
    this.failedBeforeAnswer(reason, 502, this.phase === 'connecting' || !this.reused || !clean);
  }

  /**
   * The connection failed before the upstream said a word: a fresh
   * connection's failure marks the upstream down (a reused one may just
   * have been closed by the server as we sent); an idempotent request whose
   * body nobody has read is tried once more, on another upstream where
   * there is one; anything else is answered `status`.
   */
  private failedBeforeAnswer(reason: string, status: 502 | 504, upstreamsFault: boolean): void {
    const upstream = this.upstream!;
    const where = `proxy: ${upstream.spec.url}: ${reason}`;
    if (upstreamsFault) upstream.markDown(reason);
    this.dropConnection();
    this.leaveUpstream();
    if (this.attempts < 2 && idempotent.has(this.request.method) && !this.bodyTouched && !this.answered) {
      this.call.log(logRecord('monitor', 'warn', `${requestLine(this.request)}: ${where}; trying again`));
      this.requestSent = false;
      return this.attempt(upstream);
    }
    this.answer(errorResponse(this.request, status, { error: where }));
    this.finish();
  }

  /** A response we cannot pass on: 502, and its connection closed. */
  private badGateway(reason: string): void {
    this.dropConnection();
    this.answer(errorResponse(this.request, 502, { error: `proxy: ${this.upstream!.spec.url} sent ${reason}` }));
    this.finish();
  }

  /** The response broke after its head went to the client: it is cut short (the client's connection dropped). */
  private cutShort(reason: string): void {
    this.dropConnection();
    this.output?.fail(new Error(`proxy: ${this.upstream!.spec.url}: ${reason}`));
    this.finish();
  }

  /** The upstream's response is all here. */
  private upstreamDone(): void {
    this.phase = 'done';
    this.upstream!.served++;
    this.upstream!.markUp('it answered');
    this.settleIfDone();
  }

  /** Once the response is in and the request is out (or will not be), the connection goes back, clean or not. */
  private settleIfDone(): void {
    if (this.phase !== 'done' || !(this.requestSent || this.sendingStopped)) return;
    const connection = this.connection;
    if (connection) {
      this.connection = undefined;
      connection.socket.resume();
      this.upstream!.release(connection, this.keepAlive && this.requestSent);
    }
    this.leaveUpstream();
    this.finishIfIdle();
  }

  /** Closes the connection now: it is mid-exchange, so never to be reused. */
  private dropConnection(): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    connection.user = undefined;
    this.upstream!.release(connection, false);
  }

  /** Counts this exchange off its upstream, once per attempt. */
  private leaveUpstream(): void {
    if (!this.counted) return;
    this.counted = false;
    this.upstream!.inFlight--;
  }

  /** The router calls it off: the client went away, or it ran out of time. */
  cancel(): void {
    if (this.over) return;
    if (this.phase === 'waiting') this.upstream?.cancelWait(this);
    this.dropConnection();
    this.output?.fail(new Error('the exchange was called off'));
    this.finish();
  }

  private answer(response: HttpResponse): void {
    if (this.answered) return;
    this.answered = true;
    this.call.answer(response);
  }

  private finishIfIdle(): void {
    if (this.outputDone && !this.connection) this.finish();
  }

  /** Holds nothing more: timers off, the upstream counted off, the router told. */
  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.disarm();
    this.leaveUpstream();
    this.call.end();
  }

  private arm(ms: number, fire: () => void): void {
    this.disarm();
    this.timer = setTimeout(() => this.call.run(fire), ms);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
