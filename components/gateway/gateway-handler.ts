/**
 * GatewayHandler: answers one request by running a program through a
 * gateway backend (CGI, FastCGI; see backend.ts), the way the router runs
 * every handler component: one request in on `inbox`, one response (or a
 * Reroute, for a local redirect) out on `outbox`, stderr and the rest on
 * `log`.
 *
 *   request -> find the script (the target's locate: cgi-script-path) ->
 *   read a chunked body in full (spooled-body) -> the meta-variables
 *   (cgi-env) -> the backend runs it -> parse the header section
 *   (cgi-response) -> answer, the body being the rest of the output, pulled
 *   by the responder (OutputBody)
 *
 * The handler lives until the run has ended and its output has been read or
 * given up; then it finishes. On every other way out it stops the run: a
 * time limit (504 if nothing was answered yet, otherwise the response is cut
 * short), a bad header section (502), the client going away (`shutdown`),
 * the responder giving up on the body.
 */
import { logRecord, type LogLevel } from '../../src/core/log.js';
import { cgiEnvironment } from '../../src/http/cgi-env.js';
import { CgiHeadParser, parseNphStatusLine } from '../../src/http/cgi-response.js';
import { HttpError, isHttpError } from '../../src/http/errors.js';
import type { HeaderMap } from '../../src/http/headers.js';
import { errorResponse, requestLine, respond, type HttpRequest, type HttpResponse, type Reroute } from '../../src/http/messages.js';
import { parseTarget } from '../../src/http/target.js';
import { HttpHandler, handlerBoxes } from '../http-handler.js';
import type { GatewayBackend, GatewayScript, Run, RunEvents, RunOutcome } from './backend.js';
import { OutputBody } from './output-body.js';
import { SpooledBody } from './spooled-body.js';
import { StderrLines } from './stderr-lines.js';

/** What a request runs, as its target finds it. */
export type Located =
  | { readonly kind: 'script'; readonly script: GatewayScript; readonly backend: GatewayBackend }
  /** No script on the path (a document root): the target serves it as a document. */
  | { readonly kind: 'document' }
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string };

/** Where a route's requests go: how to find the script, and (in a document root) how to serve what is not one. */
export interface GatewayTarget {
  /** What the logs call it before a backend is known. */
  readonly kind: string;
  locate(request: HttpRequest): Located | Promise<Located>;
  document?(request: HttpRequest): HttpResponse | Promise<HttpResponse>;
}

/** Where the program's output goes at this point. */
type OutputState =
  | 'head' // parsing the header section
  | 'nph' // reading an nph- script's status line
  | 'hold' // held for a moment with the head: the whole output may be here already
  | 'body' // into the response body
  | 'discard'; // nowhere: a local redirect, or an answer given without it

/** The longest status line an nph- script may write. */
const nphLineLimit = 8 * 1024;
/** Most output held with the head before it goes out as a stream anyway. */
const holdLimit = 256 * 1024;

/** A response whose head is parsed, held until the output read with it has been handled. */
interface Held {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly chunks: Uint8Array[];
  bytes: number;
  /** The output has ended: the body is all here. */
  complete: boolean;
}

export class GatewayHandler extends HttpHandler {
  private request!: HttpRequest;
  private backend: GatewayBackend | undefined;
  private script: GatewayScript | undefined;
  private active: Run | undefined;
  /** Where it runs (a pid, a connection), for the log lines. */
  private where: Readonly<Record<string, unknown>> = {};
  private output: OutputBody | undefined;
  private stage: OutputState = 'head';
  private head: CgiHeadParser | undefined;
  private stderr: StderrLines | undefined;
  private nphLine: Buffer[] = [];
  private nphBytes = 0;
  /** A response or a reroute has gone out. */
  private answered = false;
  private ended = false;
  /** Nothing more is wanted of the output. */
  private outputDone = false;
  /** Set once we have stopped the run, so its end is not reported as its failure. */
  private stopped = false;
  private headTimer: { cancel(): void } | undefined;
  private held: Held | undefined;

  constructor(private readonly target: GatewayTarget) {
    super(handlerBoxes);
  }

  protected main(): void {
    this.on('inbox', (request) => {
      this.request = request;
      this.task(() => this.prepare(request));
    });
  }

  /** Finds the script and reads what must be read before it can start. */
  private async prepare(request: HttpRequest): Promise<void> {
    const located = await this.target.locate(request);
    if (located.kind === 'refused') return this.run(() => this.refuse(located.status, located.reason));
    if (located.kind === 'document') {
      const response = await this.target.document!(request);
      return this.run(() => {
        this.answer(response);
        this.finish();
      });
    }
    const { script, backend } = located;
    const refusal = backend.refusal?.(script);
    if (refusal) return this.run(() => this.refuse(403, refusal));
    this.run(() => this.startTimers(script, backend));
    let bodyLength: number | undefined;
    let input: AsyncIterable<Uint8Array> | undefined = request.body;
    if (request.body && request.body.length === undefined) {
      try {
        const spooled = await SpooledBody.read(request.body, backend.settings.spillAt, (release) => this.own(release));
        bodyLength = spooled.length;
        input = spooled;
      } catch (error) {
        return this.run(() => this.bodyFailed(error));
      }
    }
    this.run(() => this.launch(input, bodyLength));
  }

  private startTimers(script: GatewayScript, backend: GatewayBackend): void {
    this.script = script;
    this.backend = backend;
    const { timeLimit, headTimeout } = backend.settings;
    if (timeLimit !== undefined) this.timer(timeLimit, () => this.timedOut(`over its time limit of ${timeLimit} ms`));
    if (headTimeout !== undefined) {
      this.headTimer = this.timer(headTimeout, () => {
        if (!this.answered) this.timedOut(`no response head within ${headTimeout} ms`);
      });
    }
  }

  private launch(input: AsyncIterable<Uint8Array> | undefined, bodyLength: number | undefined): void {
    if (this.answered) return; // timed out while the body was read
    const script = this.script!;
    const backend = this.backend!;
    const request = this.request;
    const settings = backend.settings;
    const identity = settings.authenticate?.(request);
    const env = cgiEnvironment(request, script, { bodyLength, identity }, settings.env, settings.serverEnv);
    this.stage = settings.nph && script.name.startsWith('nph-') ? 'nph' : 'head';
    this.head = new CgiHeadParser(settings.headerLimit);
    this.stderr = new StderrLines((line) =>
      this.log('errors', 'warn', `${script.scriptName}: ${line}`, { script: script.filename, ...this.where }),
    );
    const events: RunEvents = {
      started: (where) => this.run(() => (this.where = where)),
      stdout: (chunk) => this.run(() => this.onStdout(chunk)),
      stdoutEnd: () => this.run(() => this.onStdoutEnd()),
      stderr: (chunk) => this.run(() => this.stderr!.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))),
      inputFailed: (error) => this.run(() => this.bodyFailed(error)),
      log: (channel, level, message) => this.run(() => this.log(channel, level, `${script.scriptName}: ${message}`)),
      ended: (outcome) => this.run(() => this.onEnded(outcome)),
    };
    const replayable = input === undefined || input instanceof SpooledBody;
    const run = backend.start({ request, script, env, input, replayable }, events);
    this.active = run;
    // The client going away (shutdown) ends the run too.
    this.own(() => run.stop());
  }

  private onStdout(chunk: Uint8Array): void {
    switch (this.stage) {
      case 'body':
        if (!this.output!.push(chunk)) this.active!.pause();
        return;
      case 'hold': {
        const held = this.held!;
        held.chunks.push(chunk);
        held.bytes += chunk.length;
        if (held.bytes > holdLimit) this.releaseHeld();
        return;
      }
      case 'head': {
        const result = this.head!.push(chunk);
        if (!result) return;
        if (!result.ok) return this.badGateway(result.reason);
        const head = result.head;
        if (head.kind === 'local-redirect') return this.redirect(head.location);
        // bench/scenarios/fastcgi.mjs: a FastCGI response usually comes whole, head, body and
        // FCGI_END_REQUEST in one read (settings.wholeReads). Held until that read has been handled, it goes out as
        // bytes: Content-Length and one write, not a chunked stream of three. Not for HEAD (its
        // length is GET's, unknown here), nor where the program gave a Content-Length itself.
        if (this.backend!.settings.wholeReads && this.request.method !== 'HEAD' && !head.headers.has('content-length')) {
          this.stage = 'hold';
          this.held = {
            status: head.status,
            headers: head.headers,
            chunks: result.rest.length > 0 ? [result.rest] : [],
            bytes: result.rest.length,
            complete: false,
          };
          queueMicrotask(() => this.run(() => this.releaseHeld()));
          return;
        }
        this.respondWith(
          { type: 'response', request: this.request, status: head.status, headers: head.headers, body: this.openOutput() },
          result.rest,
        );
        return;
      }
      case 'nph':
        return this.onNphOutput(chunk);
      case 'discard':
        return;
    }
  }

  /** An nph- script's output goes out as it is; its status line is read for the logs, and must be there. */
  private onNphOutput(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.nphLine.push(bytes);
    this.nphBytes += bytes.length;
    // The chunks before this one held no line end: only this one can, and they are joined once, when it does.
    if (bytes.indexOf(10) < 0) {
      if (this.nphBytes > nphLineLimit) this.badGateway('no status line from an nph- script');
      return;
    }
    const all = Buffer.concat(this.nphLine, this.nphBytes);
    const lf = all.indexOf(10);
    const status = parseNphStatusLine(all.toString('latin1', 0, lf).replace(/\r$/, ''));
    if (status === undefined) return this.badGateway('an nph- script must begin with a status line');
    // The connection stays the server's: a script reads only the request body, so it cannot speak a protocol it switched to.
    if (status === 101) return this.badGateway('an nph- script cannot switch protocols (101)');
    this.nphLine = [];
    this.respondWith({ ...respond(this.request, { status, body: this.openOutput() }), raw: true }, all);
  }

  /** The held response goes out: as bytes when the output has ended, else as a stream of the rest. */
  private releaseHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (!held || this.stage !== 'hold') return;
    const response = { type: 'response', request: this.request, status: held.status, headers: held.headers } as const;
    if (held.complete) {
      this.stage = 'discard';
      this.answer({ ...response, body: held.chunks.length === 1 ? held.chunks[0]! : Buffer.concat(held.chunks, held.bytes) });
      return this.outputFinished();
    }
    const output = this.openOutput();
    this.stage = 'body';
    let room = true;
    for (const chunk of held.chunks) room = output.push(chunk);
    this.answer({ ...response, body: output });
    if (!room) this.active?.pause();
  }

  private openOutput(): OutputBody {
    this.output = new OutputBody({
      wanted: () => this.run(() => this.active?.resume()),
      consumed: () => this.run(() => this.outputFinished()),
      abandoned: () =>
        this.run(() => {
          // Nobody will read the rest (HEAD, 204, a client gone): the program has no more to do.
          this.stopRun();
          this.finishIfDone();
        }),
    });
    return this.output;
  }

  private respondWith(response: HttpResponse, first: Uint8Array): void {
    this.stage = 'body';
    if (first.length > 0) this.output!.push(first);
    this.answer(response);
  }

  /** A local Location (RFC 3875 §6.2.2): the router serves that path instead, as a GET. */
  private redirect(location: string): void {
    const hash = location.indexOf('#');
    const local = hash < 0 ? location : location.slice(0, hash);
    const target = /\s/.test(local) ? undefined : parseTarget('GET', local);
    if (!target?.ok) return this.badGateway(`a local Location that is not a path: ${JSON.stringify(location.slice(0, 80))}`);
    const headers = this.request.headers.clone();
    for (const name of ['content-length', 'content-type', 'transfer-encoding', 'expect']) headers.delete(name);
    this.stage = 'discard';
    this.answer({
      type: 'reroute',
      request: {
        ...this.request,
        // HEAD stays HEAD, so that no body goes to a client that asked for none.
        method: this.request.method === 'HEAD' ? 'HEAD' : 'GET',
        target: local,
        path: target.path,
        rawPath: target.rawPath,
        query: target.query,
        headers,
        body: undefined,
        mount: undefined,
        params: undefined,
      },
    });
    // The output is read to its end and dropped, as Apache does: the program may still have work to finish.
  }

  private onStdoutEnd(): void {
    switch (this.stage) {
      case 'head': {
        const result = this.head!.end();
        return this.badGateway(result.ok ? 'unexpected end' : result.reason);
      }
      case 'nph':
        return this.badGateway('the output of an nph- script ended before its status line');
      case 'hold':
        this.held!.complete = true;
        return;
      case 'body':
        // The responder reads the rest and then says it is consumed.
        this.output!.end();
        return;
      case 'discard':
        return this.outputFinished();
    }
  }

  private onEnded(outcome: RunOutcome): void {
    if (this.ended) return;
    this.ended = true;
    this.stderr?.end();
    const name = this.script!.scriptName;
    const fields = { script: this.script!.filename, ...this.where };
    switch (outcome.kind) {
      case 'exited':
        // A death by the signal we sent is no news; any other failure is.
        if (outcome.signal ? !this.stopped : outcome.code !== 0) {
          const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with status ${outcome.code}`;
          this.log('errors', 'warn', `${name} ${how}`, fields);
        }
        break;
      case 'completed':
        // (stdoutEnd came first: a backend says the output has ended before it says the run has.)
        if (outcome.appStatus !== 0 && !this.stopped) this.log('errors', 'warn', `${name} ended with status ${outcome.appStatus}`, fields);
        break;
      case 'refused':
        this.answer(
          errorResponse(this.request, outcome.status, {
            headers: outcome.status === 503 ? { 'Retry-After': '1' } : undefined,
            error: `${name}: ${outcome.reason}`,
          }),
        );
        this.discardOutput();
        break;
      case 'broken':
        if (!this.answered) this.answer(errorResponse(this.request, outcome.status, { error: `${name}: ${outcome.reason}` }));
        else if (this.output && !this.output.settled) this.output.fail(new Error(`${name}: ${outcome.reason}`));
        this.discardOutput();
        break;
      case 'stopped':
        break;
      default:
        return outcome satisfies never;
    }
    this.finishIfDone();
  }

  private discardOutput(): void {
    this.stage = 'discard';
    this.outputDone = true;
  }

  private outputFinished(): void {
    this.outputDone = true;
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if ((this.ended || !this.active) && this.outputDone && this.answered) this.finish();
  }

  /** Ends the run now; the handler finishes once it has ended. */
  private stopRun(): void {
    this.stopped = true;
    this.discardOutput();
    this.active?.stop();
    this.finishIfDone();
  }

  private timedOut(why: string): void {
    const name = this.script?.scriptName ?? this.request.path;
    const where = typeof this.where.pid === 'number' ? `: killing process group ${this.where.pid}` : '';
    this.log('monitor', 'warn', `${name}: ${why}${where}`);
    if (!this.answered) this.answer(errorResponse(this.request, 504, { error: `${name}: ${why}` }));
    else if (this.output && !this.output.settled) this.output.fail(new Error(`${name} ran ${why}`));
    this.stopRun();
  }

  /** The output cannot be a response: 502, and the run ends. */
  private badGateway(reason: string): void {
    this.answer(errorResponse(this.request, 502, { error: `${this.script?.scriptName ?? this.request.path}: ${reason}` }));
    this.stopRun();
  }

  /** The request body could not be read (timeout, malformed chunk, too large, client gone). */
  private bodyFailed(error: unknown): void {
    const status = isHttpError(error) ? error.status : 500;
    if (!this.answered) this.answer(errorResponse(this.request, status, { error, close: true }));
    else if (this.output && !this.output.settled) this.output.fail(error instanceof Error ? error : new HttpError(status));
    this.stopRun();
  }

  /** Refused before anything ran. */
  private refuse(status: number, reason: string): void {
    this.answer(errorResponse(this.request, status, { error: reason }));
    this.finish();
  }

  /** The one answer to the request: the first one given counts. */
  private answer(message: HttpResponse | Reroute): void {
    if (this.answered) return;
    this.answered = true;
    this.headTimer?.cancel();
    this.send('outbox', message);
  }

  private log(channel: 'errors' | 'monitor', level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.send(
      'log',
      logRecord(channel, level, `${this.backend?.kind ?? this.target.kind} ${requestLine(this.request)}: ${message}`, fields),
    );
  }
}
