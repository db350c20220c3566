/**
 * Fetch-style applications, inside a worker thread: `fetch(request, env)`
 * answers a Web `Request` with a `Response` (or a promise of one), the
 * convention of Hono and other Web-standard frameworks. `env` is the CGI
 * part of the WSGI environ (REMOTE_ADDR, SCRIPT_NAME...).
 *
 * The Request's URL is the normalised path the router matched, with the
 * query as sent; its body streams from the client as the handler reads it;
 * its signal aborts when the client goes away. The Response's body streams
 * back under the same flow control as WSGI's; a body that is all there at
 * once goes with the head in one message. Hop-by-hop fields a handler copied
 * from elsewhere are dropped, as a proxy would.
 */
import { requestUrl } from '../../src/http/wsgi-environ.js';
import { hopByHopFields } from '../../src/http/wsgi-response.js';
import type { ThreadExecutor } from './thread-executor.js';
import type { ThreadJob } from './thread-job.js';

export type FetchHandler = (request: Request, env: Readonly<Record<string, string>>, context: FetchContext) => Response | Promise<Response>;

/**
 * The third argument of a fetch handler, as the Workers convention has it
 * (Hono's `c.executionCtx`): `waitUntil(promise)` keeps work going after the
 * response, counted by the thread's executor (bounded, drained on a graceful
 * stop); `executor` is the executor itself (thread-executor.ts).
 */
export interface FetchContext {
  waitUntil(promise: PromiseLike<unknown>): void;
  /** There is nothing to pass through to: an exception is a 500, as ever. */
  passThroughOnException(): void;
  readonly executor: ThreadExecutor;
}

const bodiless = new Set(['GET', 'HEAD']);

export async function runFetch(handler: FetchHandler, job: ThreadJob): Promise<void> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    const executor = job.executor;
    const context: FetchContext = {
      waitUntil: (promise) => void executor.submit(() => promise),
      passThroughOnException: () => {},
      executor,
    };
    const response = await handler(requestFor(job), job.job.environ, context);
    if (!(response instanceof Response)) throw new TypeError(`a fetch handler must return a Response, not ${describe(response)}`);
    if (response.status === 0) throw new Error('the fetch handler returned a network error (Response.error())');
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => {
      if (!hopByHopFields.has(name) && name !== 'set-cookie') headers.push([name, value]);
    });
    for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
    job.output.setHead(response.status, headers);
    reader = response.body?.getReader();
    await send(reader, job);
    reader = undefined;
  } catch (error) {
    reader?.cancel().catch(() => {});
    return job.fail(error);
  }
}

/** The request as a Web Request: headers back from the environ's HTTP_* names, the body pulled as read. */
function requestFor(job: ThreadJob): Request {
  const env = job.job.environ;
  const headers = new Headers();
  for (const name in env) {
    if (name.startsWith('HTTP_')) headers.append(name.slice(5).toLowerCase().replace(/_/g, '-'), env[name]!);
  }
  if (env.CONTENT_TYPE !== undefined) headers.set('content-type', env.CONTENT_TYPE);
  if (env.CONTENT_LENGTH !== undefined) headers.set('content-length', env.CONTENT_LENGTH);
  const method = env.REQUEST_METHOD!;
  const withBody = job.job.hasBody && !bodiless.has(method);
  const input = job.input;
  const body = withBody
    ? new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            const chunk = await input.chunk();
            if (chunk === null) controller.close();
            else controller.enqueue(chunk);
          },
        },
        { highWaterMark: 0 },
      )
    : null;
  return new Request(requestUrl(env), { method, headers, body, signal: job.signal, duplex: 'half' } as RequestInit);
}

/** Streams the body; when it is all there at once (the usual small Response), it goes with the head. */
async function send(reader: ReadableStreamDefaultReader<Uint8Array> | undefined, job: ThreadJob): Promise<void> {
  const out = job.output;
  if (!reader) return out.finish([]);
  const first = await reader.read();
  if (first.done) return out.finish([]);
  let pending = reader.read();
  const second = await Promise.race([pending, nextTurn()]);
  if (second?.done) return out.finish([first.value]);
  await out.write(first.value);
  for (;;) {
    if (job.cancelled || out.full) {
      await reader.cancel();
      break;
    }
    const next = await pending;
    if (next.done) break;
    await out.write(next.value);
    pending = reader.read();
  }
  out.end();
}

function nextTurn(): Promise<undefined> {
  return new Promise((resolve) => setImmediate(() => resolve(undefined)));
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? ((value as object).constructor?.name ?? 'an object') : typeof value;
}
