/**
 * WsgiGateway: the handler the router runs for each request to a WSGI (or
 * fetch-style) application. It turns the request into a job for the
 * server's WorkerPool, and the pool's replies into the response:
 *
 *   request -> environ -> job ----jobs----> pool -> thread
 *   response <- head, chunks <--replies---- pool <- thread
 *
 * It feeds the request body to the thread a chunk at a time, as the thread
 * asks (so the parser reads the socket only as fast as the application
 * reads); it hands the response body to the responder as it pulls, and gives
 * the thread credit for what the responder has taken. A failure before the
 * head is answered with its status (500, 502, 503, 504, or the body's 4xx);
 * after it, the response is cut short. When the client goes away, or the
 * responder abandons the body, the job is cancelled: the thread stops and
 * calls the result's close().
 */
import { box } from '../../src/core/box.js';
import { boxes } from '../../src/core/component.js';
import { logRecord, type LogRecord } from '../../src/core/log.js';
import { isHttpError } from '../../src/http/errors.js';
import { HeaderMap } from '../../src/http/headers.js';
import { errorResponse, requestLine, respond, type Body, type HttpRequest, type HttpResponse, type Reroute } from '../../src/http/messages.js';
import { wsgiEnviron } from '../../src/http/wsgi-environ.js';
import { HttpHandler } from '../http-handler.js';
import { creditWindow, failure, type Failure, type FromGateway, type Head, type PoolReply } from './messages.js';
import { ResponseStream } from './response-stream.js';

export interface GatewayOptions {
  /** SERVER_SOFTWARE. */
  readonly serverSoftware: string;
}

export const wsgiGatewayBoxes = boxes({
  inboxes: {
    inbox: box<HttpRequest>('the request to run the application on'),
    replies: box<PoolReply>('from the pool: the head, body chunks, asks for request body bytes, the end or a failure'),
  },
  outboxes: {
    outbox: box<HttpResponse | Reroute>('the response'),
    log: box<LogRecord>('applications that failed after their response began'),
    jobs: box<FromGateway>('to the pool: the job, then request body bytes, credit for response bytes taken, or cancel'),
  },
});

let jobSerial = 0;

export class WsgiGateway extends HttpHandler<typeof wsgiGatewayBoxes> {
  private readonly id = ++jobSerial;
  private request: HttpRequest | undefined;
  private stream: ResponseStream | undefined;
  private responded = false;
  /** The pool has said its last word on the job. */
  private jobOver = false;
  private reading = false;
  private creditBytes = 0;
  private creditChunks = 0;

  constructor(
    /** The application's number in the server's list. */
    private readonly app: number,
    private readonly options: GatewayOptions,
  ) {
    super(wsgiGatewayBoxes);
  }

  protected main(): void {
    this.on('inbox', (request) => this.begin(request));
    this.on('replies', (reply) => this.reply(reply));
    // However the gateway stops (the client went away, say), a job still running is called off.
    this.own(() => this.cancel());
  }

  private begin(request: HttpRequest): void {
    this.request = request;
    this.send('jobs', {
      type: 'job',
      id: this.id,
      app: this.app,
      environ: wsgiEnviron(request, this.options),
      hasBody: request.body !== undefined,
      label: requestLine(request),
      reply: this.inboxes.replies,
    });
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
      this.answer(respond(this.request!, { status: head.status, headers, body }));
      return this.finish();
    }
    const stream = new ResponseStream({
      taken: (bytes, empty) => this.run(() => this.taken(bytes, empty)),
      finished: () => this.run(() => this.finish()),
      abandoned: () =>
        this.run(() => {
          this.cancel();
          this.finish();
        }),
    });
    this.stream = stream;
    if (head.body !== undefined) stream.push(head.body);
    this.answer(respond(this.request!, { status: head.status, headers, body: stream }));
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
      this.answer(errorResponse(this.request!, reply.status, { error, headers }));
      return this.finish();
    }
    const line = `${requestLine(this.request!)}: the application failed after its response began: ${reply.message}`;
    this.send('log', logRecord('errors', 'error', line, reply.stack ? { stack: reply.stack } : undefined));
    this.stream?.fail(error);
  }

  private answer(response: HttpResponse): void {
    this.responded = true;
    this.send('outbox', response);
  }

  /** The responder took a chunk: credit the thread in batches, and at once whenever nothing else waits. */
  private taken(bytes: number, empty: boolean): void {
    this.creditBytes += bytes;
    this.creditChunks++;
    if (!empty && this.creditBytes < creditWindow.bytes / 4 && this.creditChunks < creditWindow.chunks / 4) return;
    if (!this.jobOver) this.send('jobs', { type: 'credit', id: this.id, bytes: this.creditBytes, chunks: this.creditChunks });
    this.creditBytes = 0;
    this.creditChunks = 0;
  }

  /** The thread wants request body bytes: one chunk, read when the parser has it. */
  private feed(): void {
    const body = this.request!.body;
    if (!body) return this.send('jobs', { type: 'inputEnd', id: this.id });
    if (this.reading) return;
    this.reading = true;
    body.read().then(
      (chunk) =>
        this.run(() => {
          this.reading = false;
          this.send('jobs', chunk ? { type: 'input', id: this.id, chunk } : { type: 'inputEnd', id: this.id });
        }),
      (error: unknown) =>
        this.run(() => {
          this.reading = false;
          const status = isHttpError(error) ? error.status : 400;
          const message = error instanceof Error ? error.message : String(error);
          this.send('jobs', { type: 'inputError', id: this.id, status, message });
        }),
    );
  }

  private cancel(): void {
    if (this.jobOver || !this.request) return;
    this.jobOver = true;
    this.send('jobs', { type: 'cancel', id: this.id });
  }
}
