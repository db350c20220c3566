/**
 * PEP 3333 in JavaScript, inside a worker thread: calls
 * `app(environ, startResponse)` and sends what it returns.
 *
 * - `startResponse(status, headers, excInfo?)` checks its arguments (see
 *   src/http/wsgi-response.ts), may be called again only with `excInfo`
 *   (which is thrown back if the head has gone), and returns `write`.
 * - The result is an iterable or async iterable of strings or bytes (or a
 *   promise of one). A whole array goes in one message with its head; other
 *   iterables stream chunk by chunk, as the client takes them.
 * - The result's `close()` is always called, before the job is reported
 *   done: after the last chunk, after an exception, and when the client
 *   goes away. An iteration stopped early has its iterator's `return()`
 *   called too (a generator's `finally` runs).
 */
import { headersProblem, statusCode, statusProblem } from '../../src/http/wsgi-response.js';
import { FileWrapper, type FileLike } from './file-wrapper.js';
import { ClientGone } from './thread-input.js';
import type { ThreadJob } from './thread-job.js';
import type { Chunk } from './thread-output.js';
import { isThenable } from '../../src/core/thenable.js';

export type StartResponse = (status: string, headers: [string, string][], excInfo?: unknown) => (data: Chunk) => void;
export type WsgiApplication = (environ: Record<string, unknown>, startResponse: StartResponse) => unknown;

/** What the iteration came to: the whole body (an array), a file for the responder, or a body already streamed. */
type Outcome =
  | { readonly kind: 'whole'; readonly chunks: Chunk[] }
  | { readonly kind: 'file'; readonly file: FileWrapper }
  | { readonly kind: 'streamed' };

/**
 * Runs the application on the job. The usual small response (an array, or a
 * file) is done when this returns; otherwise it returns the promise of the
 * job's end. Either way the job is over by then: answered, or failed.
 */
export function runWsgi(app: WsgiApplication, job: ThreadJob): Promise<void> | undefined {
  const out = job.output;
  const write = (data: unknown): void => {
    if (!out.hasHead) throw new Error('write() called before startResponse() (PEP 3333)');
    out.writeSync(chunkOf(data));
  };
  const startResponse: StartResponse = (status, headers, excInfo) => {
    if (excInfo !== undefined && excInfo !== null) {
      // PEP 3333: with the head already sent, the error can only be raised again.
      if (out.headSent) throw excInfo;
    } else if (out.hasHead) {
      throw new Error('startResponse() called a second time without excInfo (PEP 3333)');
    }
    const problem = statusProblem(status) ?? headersProblem(headers);
    if (problem) throw new TypeError(problem);
    out.setHead(
      statusCode(status),
      headers.map(([name, value]) => [name, value] as const),
    );
    return write;
  };

  let result: unknown;
  try {
    result = app(environFor(job), startResponse);
  } catch (error) {
    return conclude(job, undefined, { error });
  }
  if (isThenable(result)) return resultLater(result, job);
  return iterate(result, job);
}

/** An application that returned a promise of its result (an async function). */
async function resultLater(promise: PromiseLike<unknown>, job: ThreadJob): Promise<void> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    return close(promise, job, undefined, { error });
  }
  return iterate(result, job);
}

/** Sends the result, then calls its close(), then ends the job. */
function iterate(result: unknown, job: ThreadJob): Promise<void> | undefined {
  let outcome: Outcome | Promise<Outcome>;
  try {
    outcome = consume(result, job);
  } catch (error) {
    return close(result, job, undefined, { error });
  }
  if (!isThenable<Outcome>(outcome)) return close(result, job, outcome, undefined);
  return outcome.then(
    (sent) => close(result, job, sent, undefined),
    (error: unknown) => close(result, job, undefined, { error }),
  );
}

/** The result's close(), which PEP 3333 says is always called; then the job ends. */
function close(
  result: unknown,
  job: ThreadJob,
  outcome: Outcome | undefined,
  failure: { error: unknown } | undefined,
): Promise<void> | undefined {
  let closing: unknown;
  try {
    const close = (result as { close?: unknown } | null | undefined)?.close;
    closing = typeof close === 'function' ? close.call(result) : undefined;
  } catch (error) {
    failure ??= { error };
  }
  if (!isThenable(closing)) return conclude(job, outcome, failure);
  return Promise.resolve(closing).then(
    () => conclude(job, outcome, failure),
    (error: unknown) => conclude(job, outcome, failure ?? { error }),
  );
}

/** Ends the job: its failure, or the rest of its response. */
function conclude(job: ThreadJob, outcome: Outcome | undefined, failure: { error: unknown } | undefined): undefined {
  if (failure) {
    job.fail(failure.error);
    return undefined;
  }
  const out = job.output;
  job.errors.flush();
  if (outcome!.kind === 'whole') out.finish(outcome!.chunks);
  else if (outcome!.kind === 'file') out.sendFile(outcome!.file.spec());
  else out.end();
  return undefined;
}

/**
 * The environ: the CGI variables from the main thread, with the wsgi.*
 * entries added to the same object (it arrived as a fresh copy, so it is
 * this job's own; copying it into another object would cost more than the
 * rest of a small job: see `npm run bench -- wsgi`, hello world).
 */
function environFor(job: ThreadJob): Record<string, unknown> {
  const environ: Record<string, unknown> = job.job.environ;
  environ['wsgi.version'] = [1, 0];
  environ['wsgi.url_scheme'] = environ.HTTPS === 'on' ? 'https' : 'http';
  environ['wsgi.input'] = job.input;
  environ['wsgi.errors'] = job.errors;
  environ['wsgi.multithread'] = true;
  environ['wsgi.multiprocess'] = false;
  environ['wsgi.run_once'] = false;
  // The input ends where the body does, chunked or not: an application may read to the end.
  environ['wsgi.input_terminated'] = true;
  environ['wsgi.file_wrapper'] = fileWrapper;
  // Rocket's futures: work that outlives the response, on this thread (thread-executor.ts).
  environ['wsgiorg.executor'] = job.executor;
  return environ;
}

function fileWrapper(file: FileLike, blockSize?: number): FileWrapper {
  return new FileWrapper(file, blockSize);
}

/** What the application returned, as an Outcome: at once for a whole body or a file, later for a stream. */
function consume(result: unknown, job: ThreadJob): Outcome | Promise<Outcome> {
  const out = job.output;
  if (result instanceof FileWrapper && !out.headSent) {
    requireHead(job);
    return { kind: 'file', file: result };
  }
  if (result === null || typeof result !== 'object' || result instanceof Uint8Array || result instanceof ArrayBuffer) {
    throw new TypeError(
      `the application must return an iterable of strings or bytes (an array, a generator...), not ${result === null ? 'null' : typeof result === 'object' ? result.constructor.name : typeof result}; wrap a single body in an array`,
    );
  }
  if (Array.isArray(result) && !out.headSent) {
    const chunks = result.map(chunkOf);
    requireHead(job);
    return { kind: 'whole', chunks };
  }
  return stream(result, job);
}

/** Any other iterable, or an async one: chunk by chunk, as the client takes them. */
async function stream(result: object, job: ThreadJob): Promise<Outcome> {
  const out = job.output;
  const asyncIterable = Symbol.asyncIterator in result;
  if (!asyncIterable && !(Symbol.iterator in result)) throw new TypeError('the application returned an object that is not iterable');
  const iterator = asyncIterable
    ? (result as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (result as Iterable<unknown>)[Symbol.iterator]();
  let finished = false;
  try {
    for (;;) {
      // A synchronous iteration never lets the event loop run: the pool's word (a call-off) is looked for here.
      if (!asyncIterable) job.poll();
      if (job.cancelled) break;
      const step = iterator.next();
      const next = isThenable(step) ? await step : step;
      if (next.done) {
        finished = true;
        break;
      }
      const chunk = chunkOf(next.value);
      if (chunk.length === 0) continue;
      requireHead(job);
      const waiting = out.write(chunk);
      if (waiting) await waiting;
      if (out.full || job.cancelled) break;
    }
  } finally {
    if (!finished) {
      const stopped = iterator.return?.();
      if (isThenable(stopped)) await stopped;
    }
  }
  if (job.cancelled) throw new ClientGone();
  requireHead(job);
  return { kind: 'streamed' };
}

function requireHead(job: ThreadJob): void {
  if (!job.output.hasHead) throw new Error('the application sent a body without calling startResponse() (PEP 3333)');
}

/** A chunk as the writer takes it: strings and bytes; anything else is the application's mistake. */
function chunkOf(value: unknown): Chunk {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`body chunks must be strings or bytes, not ${value === null ? 'null' : typeof value}`);
}
