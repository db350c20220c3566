/**
 * WsgiGateway: the task the router runs for each request to a WSGI (or
 * fetch-style) application. It turns the request into a job for the pool
 * that runs the application (the server's WorkerPool, or a PythonPool),
 * and the pool's replies into the response:
 *
 *   request -> environ -> job ----jobs----> pool -> thread or process
 *   response <- head, chunks <--replies---- pool <- thread or process
 *
 * It feeds the request body to the worker a chunk at a time, as the worker
 * asks (so the parser reads the socket only as fast as the application
 * reads); it hands the response body to the responder as it pulls, and gives
 * the worker credit for what the responder has taken. A failure before the
 * head is answered with its status (500, 502, 503, 504, or the body's 4xx);
 * after it, the response is cut short. When the client goes away, the
 * handler times out, or the responder abandons the body, the job is
 * cancelled: the worker stops and calls the result's close().
 *
 * It is a task, not a component: the router calls it off (`cancel`) and
 * hears of its end, and its one box, where the pool replies, is handled at
 * the router's boundary. A request then costs no component of its own, no
 * boxes but that one, and no links to make and undo (see
 * `npm run bench -- wsgi`, hello world; docs/architecture.md).
 */
import { Box } from '../../src/core/box.js';
import { logRecord } from '../../src/core/log.js';
import { isHttpError } from '../../src/http/errors.js';
import { HeaderMap } from '../../src/http/headers.js';
import { errorResponse, requestLine, respond, type Body, type HttpRequest, type HttpResponse } from '../../src/http/messages.js';
import { wsgiEnviron } from '../../src/http/wsgi-environ.js';
import type { Cancellable, HandlerCall } from '../request-router.js';
import { creditWindow, failure, type Failure, type FromGateway, type Head, type PoolReply } from './messages.js';
import { ResponseStream } from './response-stream.js';

export interface GatewayOptions {
  /** SERVER_SOFTWARE. */
  readonly serverSoftware: string;
}

let jobSerial = 0;

export class WsgiGateway implements Cancellable {
  private readonly id = ++jobSerial;
  /** Where the pool replies: handled at the router's boundary; closed when the gateway ends, which undoes the pool's link to it. */
  private readonly replies: Box<PoolReply>;
  private stream: ResponseStream | undefined;
  private responded = false;
  /** The pool has said its last word on the job (or been told to cancel it). */
  private jobOver = false;
  /** The gateway holds nothing more: the router has been told. */
  private ended = false;
  private reading = false;
  private creditBytes = 0;
  private creditChunks = 0;

  constructor(
    private readonly request: HttpRequest,
    private readonly call: HandlerCall,
    /** The pool's `jobs` inbox. */
    private readonly jobs: Box<FromGateway>,
    /** The application's number in the pool's list. */
    app: number,
    options: GatewayOptions,
  ) {
    this.replies = new Box<PoolReply>(
      this,
      'replies',
      'in',
      'from the pool: the head, body chunks, asks for request body bytes, the end or a failure',
    );
    this.replies.handleWith(call, (reply) => this.reply(reply));
    jobs.send({
      type: 'job',
      id: this.id,
      app,
      environ: wsgiEnviron(request, options),
      hasBody: request.body !== undefined,
      label: requestLine(request),
      reply: this.replies,
    });
  }

  get name(): string {
    return `WsgiGateway#${this.id}`;
  }

  /** The client went away, or the time ran out: a job still running is called off. */
  cancel(): void {
    this.callOff();
    this.end();
  }

  private reply(reply: PoolReply): void {
    switch (reply.type) {
      case 'head':
        return this.head(reply);
      case 'chunk':
        this.stream?.push(reply.chunk);
        if (reply.last) this.bodyEnded();
        return;
      case 'end':
        return this.bodyEnded();
      case 'wantInput':
        return this.feed();
      case 'failed':
        return this.failed(reply);
      default:
        reply satisfies never;
    }
  }

  private head(head: Head): void {
    const headers = new HeaderMap(head.headers);
    if (head.last) {
      this.jobOver = true;
      const body: Body = head.file ? { type: 'file', ...head.file } : head.body;
      this.answer(respond(this.request, { status: head.status, headers, body }));
      return this.end();
    }
    const call = this.call;
    const stream = new ResponseStream({
      taken: (bytes, empty) => call.run(() => this.taken(bytes, empty)),
      finished: () => call.run(() => this.end()),
      abandoned: () => call.run(() => this.cancel()),
    });
    this.stream = stream;
    if (head.body !== undefined) stream.push(head.body);
    this.answer(respond(this.request, { status: head.status, headers, body: stream }));
  }

  private bodyEnded(): void {
    this.jobOver = true;
    if (this.stream) this.stream.end();
    else this.failed(failure(this.id, 502, 'the thread ended the job without a response'));
  }

  private failed(reply: Failure): void {
    this.jobOver = true;
    const error = new Error(reply.message);
    if (reply.stack) error.stack = reply.stack;
    if (!this.responded) {
      const headers = reply.status === 503 ? { 'Retry-After': '1' } : undefined;
      this.answer(errorResponse(this.request, reply.status, { error, headers }));
      return this.end();
    }
    const line = `${requestLine(this.request)}: the application failed after its response began: ${reply.message}`;
    this.call.log(logRecord('errors', 'error', line, reply.stack ? { stack: reply.stack } : undefined));
    this.stream?.fail(error);
  }

  private answer(response: HttpResponse): void {
    this.responded = true;
    this.call.answer(response);
  }

  /** The responder took a chunk: credit the thread in batches, and at once whenever nothing else waits. */
  private taken(bytes: number, empty: boolean): void {
    this.creditBytes += bytes;
    this.creditChunks++;
    if (!empty && this.creditBytes < creditWindow.bytes / 4 && this.creditChunks < creditWindow.chunks / 4) return;
    if (!this.jobOver) this.jobs.send({ type: 'credit', id: this.id, bytes: this.creditBytes, chunks: this.creditChunks });
    this.creditBytes = 0;
    this.creditChunks = 0;
  }

  /** The thread wants request body bytes: one chunk, read when the parser has it. */
  private feed(): void {
    const body = this.request.body;
    if (!body) return this.jobs.send({ type: 'inputEnd', id: this.id });
    if (this.reading) return;
    this.reading = true;
    body.read().then(
      (chunk) =>
        this.call.run(() => {
          this.reading = false;
          if (!this.jobOver) this.jobs.send(chunk ? { type: 'input', id: this.id, chunk } : { type: 'inputEnd', id: this.id });
        }),
      (error: unknown) =>
        this.call.run(() => {
          this.reading = false;
          const status = isHttpError(error) ? error.status : 400;
          const message = error instanceof Error ? error.message : String(error);
          if (!this.jobOver) this.jobs.send({ type: 'inputError', id: this.id, status, message });
        }),
    );
  }

  /** Tells the pool to call off a job it has not finished. */
  private callOff(): void {
    if (this.jobOver) return;
    this.jobOver = true;
    this.jobs.send({ type: 'cancel', id: this.id });
  }

  /** The gateway holds nothing more: its box closes, and the router hears of it (once). */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.replies.close();
    this.call.end();
  }
}
