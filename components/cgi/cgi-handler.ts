/**
 * CgiHandler: answers one request by running a CGI script (RFC 3875), the
 * way the router runs every handler component: one request in on `inbox`,
 * one response (or a Reroute, for a local redirect) out on `outbox`, stderr
 * and the rest on `log`.
 *
 *   request -> find the script (cgi-script-path) -> read a chunked body in
 *   full (request-input) -> wait for a slot (CgiProcesses) -> spawn it in
 *   its own process group with the environment from cgi-env -> stream the
 *   body to stdin -> parse the header section (cgi-response) -> answer, the
 *   body being the rest of stdout, pulled by the responder (OutputBody)
 *
 * The handler lives until the script has exited and its output has been
 * read or given up; then it finishes. On every other way out it kills the
 * script's process group: the time limit (504 if nothing was answered yet,
 * otherwise the response is cut short), a bad header section (502), the
 * client going away (`shutdown`), the responder giving up on the body.
 */
import { basename, dirname } from 'node:path';
import { logRecord, type LogLevel } from '../../src/core/log.js';
import { cgiEnvironment, type CgiEnvSettings, type CgiScript } from '../../src/http/cgi-env.js';
import { CgiHeadParser, parseNphStatusLine } from '../../src/http/cgi-response.js';
import { resolveScript, type ScriptFs } from '../../src/http/cgi-script-path.js';
import { CachedScriptFs } from './script-fs.js';
import { HttpError, isHttpError } from '../../src/http/errors.js';
import { errorResponse, requestLine, respond, type HttpRequest, type HttpResponse, type Reroute } from '../../src/http/messages.js';
import { parseTarget } from '../../src/http/target.js';
import { HttpHandler, handlerBoxes } from '../http-handler.js';
import { commandFor, type ResolvedCgiMapping, type ResolvedCgiOptions } from './options.js';
import { OutputBody } from '../output-body.js';
import type { CgiProcesses, Lease } from './processes.js';
import type { ScriptChild } from './spawner.js';
import { SpooledBody, feedStdin } from './request-input.js';
import { StderrLines } from './stderr-lines.js';

/** Lives with the interpreters it reads (options.ts); still exported from here, as before. */
export { commandFor } from './options.js';

/** What the server tells every CGI handler. */
export interface CgiContext {
  readonly options: ResolvedCgiOptions;
  readonly processes: CgiProcesses;
  /** SERVER_SOFTWARE. */
  readonly serverSoftware: string;
}

/** The script a request runs, found. */
interface Found extends CgiScript {
  /** The name it was asked for by ("nph-..." writes its own status line). */
  readonly name: string;
  /** Command and arguments. */
  readonly argv: readonly string[];
}

/** Where the script's stdout goes at this point. */
type OutputState =
  | 'head' // parsing the header section
  | 'nph' // reading an nph- script's status line
  | 'body' // into the response body
  | 'discard'; // nowhere: a local redirect, or an answer given without it

/** The longest status line an nph- script may write. */
const nphLineLimit = 8 * 1024;

/** Script lookups, shared by every CGI handler of the process: a short memory of the disk (see script-fs.ts). */
const scriptFs: ScriptFs = new CachedScriptFs();

export class CgiHandler extends HttpHandler {
  private request!: HttpRequest;
  private script: Found | undefined;
  private lease: Lease | undefined;
  private child: ScriptChild | undefined;
  private output: OutputBody | undefined;
  private stage: OutputState = 'head';
  private head: CgiHeadParser | undefined;
  private nphLine: Buffer[] = [];
  private nphBytes = 0;
  /** A response or a reroute has gone out. */
  private answered = false;
  private exited = false;
  /** Nothing more is wanted from stdout. */
  private outputDone = false;

  constructor(
    private readonly mapping: ResolvedCgiMapping,
    private readonly context: CgiContext,
  ) {
    super(handlerBoxes);
  }

  protected main(): void {
    this.on('inbox', (request) => {
      this.request = request;
      this.timer(this.context.options.timeLimit, () => this.timedOut());
      this.task(() => this.prepare(request));
    });
  }

  /** Finds the script and reads what must be read before it can start. */
  private async prepare(request: HttpRequest): Promise<void> {
    const found = await this.locate(request);
    if (typeof found === 'string' || 'status' in found) {
      const [status, reason] = typeof found === 'string' ? [403, found] : [found.status, found.reason];
      return this.run(() => this.refuse(status, reason));
    }
    let bodyLength: number | undefined;
    let input: AsyncIterable<Uint8Array> | undefined = request.body;
    if (request.body && request.body.length === undefined) {
      try {
        const spooled = await SpooledBody.read(request.body, this.context.options.spillAt, (release) => this.own(release));
        bodyLength = spooled.length;
        input = spooled;
      } catch (error) {
        return this.run(() => this.bodyFailed(error));
      }
    }
    this.run(() => this.waitForSlot(found, input, bodyLength));
  }

  private async locate(request: HttpRequest): Promise<Found | string | { status: number; reason: string }> {
    const rest = request.params?.['*'] ?? '';
    const mount = request.mount ?? this.mapping.mount;
    const { interpreters } = this.context.options;
    if (this.mapping.kind === 'program') {
      const program = await scriptFs.stat(this.mapping.path);
      if (!program) return { status: 404, reason: `${this.mapping.path} is gone` };
      const mode = program.mode;
      const script = { scriptName: mount, pathInfo: rest, filename: this.mapping.path, name: basename(this.mapping.path) };
      const argv = commandFor(script.filename, (mode & 0o111) !== 0, interpreters);
      return argv ? { ...script, argv } : `${script.filename} is not executable`;
    }
    const lookup = await resolveScript(this.mapping.path, mount, rest, scriptFs);
    if (!lookup.ok) return lookup;
    const argv = commandFor(lookup.filename, lookup.executable, interpreters);
    // Never shown as text: a file that cannot be run is refused.
    if (!argv) return `${lookup.filename} is not executable and no interpreter is set for its extension`;
    return { scriptName: lookup.scriptName, pathInfo: lookup.pathInfo, filename: lookup.filename, name: lookup.name, argv };
  }

  /** Waits for a slot, or answers 503 when the queue is full too. */
  private waitForSlot(found: Found, input: AsyncIterable<Uint8Array> | undefined, bodyLength: number | undefined): void {
    this.script = found;
    const ticket = this.context.processes.acquire((lease) => {
      // Owned at once, so that a handler that has stopped meanwhile gives the slot straight back.
      this.own(() => lease.end());
      this.run(() => this.launch(lease, input, bodyLength));
    });
    if (!ticket) {
      this.log(
        'monitor',
        'warn',
        `${found.scriptName}: ${this.context.processes.running} scripts running and ${this.context.processes.queued} waiting: refused`,
      );
      this.answer(errorResponse(this.request, 503, { headers: { 'Retry-After': '1' }, error: 'too many CGI scripts running and waiting' }));
      return this.finish();
    }
    this.own(() => ticket.cancel());
  }

  private launch(lease: Lease, input: AsyncIterable<Uint8Array> | undefined, bodyLength: number | undefined): void {
    this.lease = lease;
    const script = this.script!;
    const request = this.request;
    const { options } = this.context;
    const settings: CgiEnvSettings = {
      serverSoftware: this.context.serverSoftware,
      documentRoot: options.documentRoot,
      passAuthorization: options.passAuthorization,
      inherit: options.inherit,
      extra: options.env,
    };
    const env = cgiEnvironment(request, script, { bodyLength, identity: options.authenticate?.(request) }, settings, options.serverEnv);
    let child: ScriptChild;
    try {
      // RFC 3875 §7.2: run in the script's directory. No arguments from the
      // request (§4.4's "indexed" query): "?-s" once made php-cgi show source.
      child = lease.spawn(script.argv[0]!, script.argv.slice(1), {
        cwd: dirname(script.filename),
        env,
        input: input !== undefined,
        spawner: options.spawner,
      });
    } catch (error) {
      return this.cannotStart(error);
    }
    this.child = child;
    this.stage = script.name.startsWith('nph-') ? 'nph' : 'head';
    this.head = new CgiHeadParser(options.headerLimit);
    const stderr = new StderrLines((line) =>
      this.log('errors', 'warn', `${script.scriptName}: ${line}`, { script: script.filename, pid: child.pid }),
    );
    this.listen(child, 'error', (error: Error) => {
      if (child.pid === undefined) this.cannotStart(error);
    });
    this.listen(child, 'exit', (code: number | null, signal: NodeJS.Signals | null) => this.onExit(code, signal));
    this.listen(child.stdout, 'data', (chunk: Buffer) => this.onStdout(chunk));
    this.listen(child.stdout, 'end', () => this.onStdoutEnd());
    this.listen(child.stderr, 'data', (chunk: Buffer) => stderr.push(chunk));
    this.listen(child.stderr, 'end', () => stderr.end());
    // No request body: the script's stdin is /dev/null.
    const stdin = child.stdin;
    if (!stdin) return;
    this.task(async () => {
      try {
        await feedStdin(stdin, input);
      } catch (error) {
        this.run(() => this.bodyFailed(error));
      }
    });
  }

  private onStdout(chunk: Buffer): void {
    switch (this.stage) {
      case 'body':
        if (!this.output!.push(chunk)) this.child!.stdout.pause();
        return;
      case 'head': {
        const result = this.head!.push(chunk);
        if (!result) return;
        if (!result.ok) return this.badGateway(result.reason);
        const head = result.head;
        if (head.kind === 'local-redirect') return this.redirect(head.location);
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
  private onNphOutput(chunk: Buffer): void {
    this.nphLine.push(chunk);
    this.nphBytes += chunk.length;
    // The chunks before this one held no line end: only this one can, and they are joined once, when it does.
    if (chunk.indexOf(10) < 0) {
      if (this.nphBytes > nphLineLimit) this.badGateway('no status line from an nph- script');
      return;
    }
    const bytes = Buffer.concat(this.nphLine, this.nphBytes);
    const lf = bytes.indexOf(10);
    const status = parseNphStatusLine(bytes.toString('latin1', 0, lf).replace(/\r$/, ''));
    if (status === undefined) return this.badGateway('an nph- script must begin with a status line');
    this.nphLine = [];
    this.respondWith({ ...respond(this.request, { status, body: this.openOutput() }), raw: true }, bytes);
  }

  private openOutput(): OutputBody {
    this.output = new OutputBody({
      wanted: () => this.run(() => this.child?.stdout.resume()),
      consumed: () => this.run(() => this.outputFinished()),
      abandoned: () =>
        this.run(() => {
          // Nobody will read the rest (HEAD, 204, a client gone): the script has no more to do.
          this.kill();
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
    // The script's output is read to its end and dropped, as Apache does: it may still have work to finish.
  }

  private onStdoutEnd(): void {
    switch (this.stage) {
      case 'head': {
        const result = this.head!.end();
        return this.badGateway(result.ok ? 'unexpected end' : result.reason);
      }
      case 'nph':
        return this.badGateway('the output of an nph- script ended before its status line');
      case 'body':
        // The responder reads the rest and then says it is consumed.
        this.output!.end();
        return;
      case 'discard':
        return this.outputFinished();
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    // A death by the signal we sent is no news; any other failure is.
    if (signal ? !this.killed : code !== 0) {
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      this.log('errors', 'warn', `${this.script!.scriptName} ${how}`, { script: this.script!.filename, pid: this.child!.pid });
    }
    this.finishIfDone();
  }

  private outputFinished(): void {
    this.outputDone = true;
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.exited && this.outputDone && this.answered) this.finish();
  }

  /** Set once we have killed the script, so its death is not reported as its failure. */
  private killed = false;

  /** Ends the script's run now (killing its process group); the handler finishes once it has exited. */
  private kill(): void {
    this.killed = true;
    this.stage = 'discard';
    this.outputDone = true;
    this.lease?.end();
    if (!this.lease || this.exited) this.finishIfDone();
  }

  private timedOut(): void {
    const name = this.script?.scriptName ?? this.request.path;
    const limit = this.context.options.timeLimit;
    this.log(
      'monitor',
      'warn',
      `${name}: over its time limit of ${limit} ms${this.child?.pid !== undefined ? `: killing process group ${this.child.pid}` : ''}`,
    );
    if (!this.answered) {
      this.answer(errorResponse(this.request, 504, { error: `${name} did not answer within ${limit} ms` }));
    } else if (this.output && !this.output.settled) {
      this.output.fail(new Error(`${name} ran over its time limit of ${limit} ms`));
    }
    this.kill();
    if (!this.lease) this.finish();
  }

  /** The script's output cannot be a response: 502, and its run ends. */
  private badGateway(reason: string): void {
    this.answer(errorResponse(this.request, 502, { error: `${this.script?.scriptName ?? this.request.path}: ${reason}` }));
    this.kill();
  }

  private cannotStart(error: unknown): void {
    const why = error instanceof Error ? error.message : String(error);
    this.answer(errorResponse(this.request, 500, { error: `${this.script!.scriptName} could not be started: ${why}` }));
    this.exited = true;
    this.kill();
  }

  /** The request body could not be read (timeout, malformed chunk, too large, client gone). */
  private bodyFailed(error: unknown): void {
    const status = isHttpError(error) ? error.status : 500;
    if (!this.answered) this.answer(errorResponse(this.request, status, { error, close: true }));
    else if (this.output && !this.output.settled) this.output.fail(error instanceof Error ? error : new HttpError(status));
    this.kill();
    if (!this.lease) this.finish();
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
    this.send('outbox', message);
  }

  private log(channel: 'errors' | 'monitor', level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.send('log', logRecord(channel, level, `cgi ${requestLine(this.request)}: ${message}`, fields));
  }
}
