/**
 * The messages of the WSGI path. Three parties, one job per request:
 *
 *   gateway --JobRequest, JobUpdate--> pool --Job, JobUpdate (postMessage)--> thread
 *   gateway <--------PoolReply-------- pool <-----FromThread (postMessage)---- thread
 *
 * A gateway (one per request, a task of the router's) sends its job to the
 * pool's `jobs` inbox. The job carries its reply address, the gateway's
 * `replies` box, as Axon's services took a (component, inbox) pair: the
 * pool links an outbox of its own, made for that one lease, to it, and
 * undoes the link when the job ends. Neither side ever calls the other.
 * Everything after the job carries the job's `id`.
 *
 * Bytes flow both ways under flow control: the thread asks for request body
 * bytes (`wantInput`) one chunk at a time, and sends response bytes only
 * while the gateway's credit allows (`creditWindow`), so a slow client or a
 * slow application costs a bounded buffer.
 */
import type { Box } from '../../src/core/box.js';
import type { CgiVariables } from '../../src/http/wsgi-environ.js';

/** Response bytes a thread may send ahead of what the client has taken. */
export const creditWindow = { bytes: 512 * 1024, chunks: 64 } as const;

// gateway -> pool -> thread

/** What a worker runs: application number `app` (its place in the server's list) on one request. */
export interface JobStart {
  readonly type: 'job';
  readonly id: number;
  readonly app: number;
  readonly environ: CgiVariables;
  /** Whether the request has a body to read. */
  readonly hasBody: boolean;
  /** Posted ahead to a busy thread: the slot of its token, which the thread must win to run it (see WorkerPool.postAhead). */
  readonly slot?: number;
}

/** A job as the pool keeps it: with the request line, for log lines about it. */
export interface Job extends JobStart {
  readonly label: string;
}

/** A job as the gateway sends it to the pool: with the inbox to answer on. */
export interface JobRequest extends Job {
  readonly reply: Box<PoolReply>;
}

/** Request body bytes the thread asked for. */
export interface Input {
  readonly type: 'input';
  readonly id: number;
  readonly chunk: Uint8Array;
}

/** The request body has ended (or there is none). */
export interface InputEnd {
  readonly type: 'inputEnd';
  readonly id: number;
}

/** The request body cannot be had: its status (400, 408, 413) and why. */
export interface InputError {
  readonly type: 'inputError';
  readonly id: number;
  readonly status: number;
  readonly message: string;
}

/** The client has taken this many response bytes (and chunks): the thread may send as many more. */
export interface Credit {
  readonly type: 'credit';
  readonly id: number;
  readonly bytes: number;
  readonly chunks: number;
}

/** The client has gone: stop, and call the result's close(). */
export interface Cancel {
  readonly type: 'cancel';
  readonly id: number;
}

export type JobUpdate = Input | InputEnd | InputError | Credit | Cancel;

/** The server is stopping, or the thread retiring: its executor takes no more work, and says when it has none left. */
export interface Drain {
  readonly type: 'drain';
}
export const drain: Drain = Object.freeze({ type: 'drain' });

export type ToThread = JobStart | JobUpdate | Drain;
export type FromGateway = JobRequest | JobUpdate;

/**
 * A job as posted to a thread: id, application, whether it has a body, the
 * slot of its offer token (0: not offered ahead), how many of the environ's
 * first names are `cgiNames` in that order, their values, then the rest of
 * the environ as name, value pairs. A flat array of strings is cheaper to
 * clone across threads than the object, and the names every request has
 * cross once, in the code, rather than once per request (see
 * `npm run bench -- wsgi`, hello world).
 */
export type WireJob = [id: number, app: number, hasBody: boolean, slot: number, named: number, ...environ: string[]];

/** The variables wsgiEnviron always gives first, in this order (src/http/wsgi-environ.ts). */
const cgiNames = [
  'REQUEST_METHOD',
  'SCRIPT_NAME',
  'PATH_INFO',
  'QUERY_STRING',
  'REQUEST_URI',
  'SERVER_NAME',
  'SERVER_PORT',
  'SERVER_PROTOCOL',
  'SERVER_SOFTWARE',
  'REMOTE_ADDR',
  'REMOTE_PORT',
] as const;

/** What a thread is posted: at the end of each of the pool's turns, everything for it, in order. */
export type ToThreadBatch = readonly (WireJob | JobUpdate | Drain)[];

/** A job as posted to a thread. */
export function wireJob(job: JobStart, slot: number): WireJob {
  const wire: WireJob = [job.id, job.app, job.hasBody, slot, 0];
  const environ = job.environ;
  let named = 0;
  for (const name in environ) {
    if (named === wire.length - 5 && name === cgiNames[named]) {
      wire.push(environ[name]!);
      named++;
    } else wire.push(name, environ[name]!);
  }
  wire[4] = named;
  return wire;
}

/** A job as a thread reads it: the environ with its names in the order they were given. */
export function jobFromWire(wire: WireJob): JobStart {
  const named = wire[4];
  const at = 5 + named;
  let environ: CgiVariables;
  if (named === cgiNames.length) {
    const v = wire as unknown as string[];
    environ = {
      REQUEST_METHOD: v[5]!,
      SCRIPT_NAME: v[6]!,
      PATH_INFO: v[7]!,
      QUERY_STRING: v[8]!,
      REQUEST_URI: v[9]!,
      SERVER_NAME: v[10]!,
      SERVER_PORT: v[11]!,
      SERVER_PROTOCOL: v[12]!,
      SERVER_SOFTWARE: v[13]!,
      REMOTE_ADDR: v[14]!,
      REMOTE_PORT: v[15]!,
    };
  } else {
    environ = {};
    for (let i = 0; i < named; i++) environ[cgiNames[i]!] = wire[5 + i] as string;
  }
  for (let i = at; i < wire.length; i += 2) environ[wire[i] as string] = wire[i + 1] as string;
  const slot = wire[3];
  return { type: 'job', id: wire[0], app: wire[1], environ, hasBody: wire[2], slot: slot === 0 ? undefined : slot };
}

// thread -> pool -> gateway

/** A file (or part of one) the responder sends itself: wsgi.file_wrapper. */
export interface FileSpec {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** The response head, with the whole body when `last` (or the first of it). */
export interface Head {
  readonly type: 'head';
  readonly id: number;
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string | Uint8Array;
  readonly file?: FileSpec;
  /** Nothing follows: the job is over. */
  readonly last: boolean;
}

export interface Chunk {
  readonly type: 'chunk';
  readonly id: number;
  readonly chunk: string | Uint8Array;
  readonly last: boolean;
}

/** The body is complete and the job over. */
export interface End {
  readonly type: 'end';
  readonly id: number;
}

/** The job failed: before the head, `status` is the answer; after it, the response is cut short. */
export interface Failure {
  readonly type: 'failed';
  readonly id: number;
  readonly status: number;
  readonly message: string;
  readonly stack?: string;
}

/** The thread waits for request body bytes. */
export interface WantInput {
  readonly type: 'wantInput';
  readonly id: number;
}

/** The thread waits for credit: the client is reading slowly, which is not the application's time. */
export interface Blocked {
  readonly type: 'blocked';
  readonly id: number;
}

/** A line the application wrote to wsgi.errors. */
export interface ErrorsLine {
  readonly type: 'errors';
  readonly id: number;
  readonly text: string;
}

/** A new thread has loaded the applications (those it could). */
export interface Ready {
  readonly type: 'ready';
  readonly failures: readonly { readonly app: number; readonly message: string; readonly stack?: string }[];
}

/** The thread's executor has work (functions waiting or running), or has none any more. */
export interface Background {
  readonly type: 'background';
  readonly active: boolean;
}

export type FromThread = Ready | Head | Chunk | End | Failure | WantInput | Blocked | ErrorsLine | Background;

/**
 * A head as a thread posts it, unless it names a file: id, status, whether
 * it is the last word, the body (or its first part), then the header fields
 * as name, value pairs. Most responses are a head and nothing else, and a
 * flat array clones in about half the time of the object.
 */
export type WireHead = [id: number, status: number, last: boolean, body: string | Uint8Array | undefined, ...headers: string[]];

/** What a thread posts: its messages, a head as a WireHead. */
export type FromThreadWire = Exclude<FromThread, Head> | Head | WireHead;

/** A thread's message as it posts it. */
export function toWire(message: FromThread): FromThreadWire {
  if (message.type !== 'head' || message.file) return message;
  const wire: WireHead = [message.id, message.status, message.last, message.body];
  for (const [name, value] of message.headers) wire.push(name, value);
  return wire;
}

/** A thread's message as the pool reads it. */
export function fromWire(message: FromThreadWire): FromThread {
  if (!Array.isArray(message)) return message;
  const headers: [string, string][] = [];
  for (let i = 4; i < message.length; i += 2) headers.push([message[i] as string, message[i + 1] as string]);
  const body = message[3];
  return body === undefined
    ? { type: 'head', id: message[0], status: message[1], headers, last: message[2] }
    : { type: 'head', id: message[0], status: message[1], headers, body, last: message[2] };
}
export type PoolReply = Head | Chunk | End | Failure | WantInput;

/** Whether a thread's message ends its job. */
export function isLast(message: FromThread): boolean {
  switch (message.type) {
    case 'head':
    case 'chunk':
      return message.last;
    case 'end':
    case 'failed':
      return true;
    default:
      return false;
  }
}

/** A failure made on the main thread (queue full, thread died, time limit). */
export function failure(id: number, status: number, message: string): Failure {
  return { type: 'failed', id, status, message };
}

/** The token of a job offered ahead of time: its id as a non-zero Int32. */
export function offerToken(id: number): number {
  return id % 0x7fffffff || 1;
}

/** What a thread is started with. */
export interface ThreadData {
  readonly apps: readonly AppModule[];
  /**
   * Shared Int32s. [0], the bell: bumped (and notified) after every
   * message posted to the thread, so a thread blocked in Atomics.wait
   * wakes. [1] on, offers: the tokens of jobs posted ahead of time, each
   * cleared by the thread when it takes the job, or by the pool when it
   * takes it back.
   */
  readonly slots: SharedArrayBuffer;
  /** The bounds of its wsgiorg.executor. */
  readonly executor: { readonly queue: number; readonly concurrency: number };
}

/** Which module a thread loads for an application, and how it calls it. */
export interface AppModule {
  /** Absolute path of the module. */
  readonly module: string;
  /** The export to use; by default `default`, then `application`, `app`, or the module's `fetch`. */
  readonly export?: string;
  /** How to call it; by default a function is a WSGI application and an object with `fetch` is fetch-style. */
  readonly interface?: AppInterface;
}

export type AppInterface = 'wsgi' | 'fetch';
