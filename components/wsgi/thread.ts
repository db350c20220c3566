/**
 * The script each worker thread of the pool runs. It loads every
 * application module once, says it is ready, and then runs the jobs the
 * pool gives it, one at a time, until the pool terminates it.
 *
 * A function export is a WSGI application; an object with a `fetch` method
 * (or a module's `fetch` export) is a fetch-style one, unless the server
 * was told which. An application that fails to load is reported once, at
 * start, and its requests are answered 500 with the reason.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { offerToken, type AppModule, type JobStart, type ThreadData, type ToThread } from './messages.js';
import { ThreadChannel } from './thread-channel.js';
import { runFetch, type FetchHandler } from './thread-fetch.js';
import { ThreadExecutor } from './thread-executor.js';
import { ThreadJob } from './thread-job.js';
import { runWsgi, type WsgiApplication } from './thread-wsgi.js';

type Loaded =
  | { readonly kind: 'wsgi'; readonly run: WsgiApplication }
  | { readonly kind: 'fetch'; readonly run: FetchHandler }
  | { readonly kind: 'broken'; readonly message: string; readonly stack?: string };

const data = workerData as ThreadData;
const slots = new Int32Array(data.slots);
/** The job running, and those posted while it runs (in order). */
let current: ThreadJob | undefined;
const pending: JobStart[] = [];
/** Jobs called off before they started: they end at once. */
const cancelledEarly = new Set<number>();

const channel = new ThreadChannel(parentPort!, slots, (message: ToThread) => {
  if (message.type === 'job') {
    pending.push(message);
    if (!current) next();
  } else if (message.type === 'drain') executor.drain();
  else if (current && current.id === message.id) current.receive(message);
  else if (message.type === 'cancel' && pending.some((job) => job.id === message.id)) cancelledEarly.add(message.id);
});

/** The thread's wsgiorg.executor, shared by its jobs: it tells the pool when it has work, and logs what fails. */
const executor = new ThreadExecutor(
  data.executor,
  (active) => channel.post({ type: 'background', active }),
  (error, name) =>
    channel.post({
      type: 'errors',
      id: 0,
      text: `wsgiorg.executor: ${name}() failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    }),
);

const apps = await Promise.all(data.apps.map(load));
channel.post({
  type: 'ready',
  failures: apps.flatMap((app, i) => (app.kind === 'broken' ? [{ app: i, message: app.message, stack: app.stack }] : [])),
});

/** Starts the next job, and the next while they end at once; one offered ahead is run only if the pool has not taken it back. */
function next(): void {
  while (!current) {
    const job = pending.shift();
    if (!job) return;
    const token = offerToken(job.id);
    if (job.slot !== undefined && Atomics.compareExchange(slots, job.slot, token, 0) !== token) continue;
    if (cancelledEarly.delete(job.id)) {
      channel.post({ type: 'end', id: job.id });
      continue;
    }
    const thread = new ThreadJob(job, channel, executor);
    current = thread;
    const running = run(job, thread);
    // The usual small response is over already; a longer one starts the next job when it ends.
    if (running)
      running.then(
        () => ended(),
        (error: unknown) => ended(thread, error),
      );
    else current = undefined;
  }
}

/** A job that took longer has ended (`error`: its runner failed, which it does not mean to). */
function ended(thread?: ThreadJob, error?: unknown): void {
  if (thread) thread.fail(error);
  current = undefined;
  next();
}

/** Runs the job's application: the job is over when this returns, or when the promise it returns settles. */
function run(job: JobStart, thread: ThreadJob): Promise<void> | undefined {
  const app = apps[job.app];
  try {
    if (!app) throw new Error(`no application number ${job.app}`);
    if (app.kind === 'broken') throw new Error(`the application could not be loaded: ${app.message}`);
    return app.kind === 'wsgi' ? runWsgi(app.run, thread) : runFetch(app.run, thread);
  } catch (error) {
    thread.fail(error);
    return undefined;
  }
}

async function load(spec: AppModule): Promise<Loaded> {
  try {
    const module = (await import(pathToFileURL(spec.module).href)) as Record<string, unknown>;
    return pick(module, spec);
  } catch (error) {
    return {
      kind: 'broken',
      message: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    };
  }
}

function pick(module: Record<string, unknown>, spec: AppModule): Loaded {
  const named = spec.export;
  const value =
    named !== undefined
      ? module[named]
      : (module.default ?? module.application ?? module.app ?? (typeof module.fetch === 'function' ? module : undefined));
  if (value === undefined) {
    const which = named !== undefined ? `no export named "${named}"` : 'no default, application, app or fetch export';
    return { kind: 'broken', message: `${spec.module} has ${which}` };
  }
  const fetchMethod = typeof value === 'object' && value !== null ? (value as { fetch?: unknown }).fetch : undefined;
  const kind =
    spec.interface ??
    (typeof value === 'function' ? (named === 'fetch' ? 'fetch' : 'wsgi') : typeof fetchMethod === 'function' ? 'fetch' : undefined);
  if (kind === 'wsgi' && typeof value === 'function') return { kind, run: value as WsgiApplication };
  if (kind === 'fetch' && typeof value === 'function') return { kind, run: value as FetchHandler };
  if (kind === 'fetch' && typeof fetchMethod === 'function')
    return { kind, run: (request, env, context) => fetchMethod.call(value, request, env, context) as Response };
  return {
    kind: 'broken',
    message: `${spec.module}${named !== undefined ? `#${named}` : ''} is not a WSGI application (a function) nor a fetch handler (an object with fetch())`,
  };
}
