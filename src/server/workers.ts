/**
 * Several server processes on the same listening sockets, with Node's
 * `cluster` (`boxwire --workers N`, or `auto` for one per core). The primary
 * only supervises: it forks the workers (each runs the same command and
 * builds its own server), prints the address once they all listen,
 * respawns a worker that
 * dies (backing off if one keeps dying at once), passes SIGHUP on, and on
 * SIGTERM or SIGINT asks every worker to stop gracefully and exits when they
 * have. Connections are handed to the workers round-robin by the primary.
 * Workers share nothing but the sockets: keep state out of the process.
 *
 * One thing more travels between them: figures. The worker that answers a
 * request for the status page or /metrics asks the primary, which asks
 * every worker (that one too) and hands back what came within a second, so
 * the page and the metrics show the whole server, each worker labelled.
 */
import cluster, { type Worker } from 'node:cluster';
import type { FigureReport, FigureRequest, Figures } from './observe.js';

export interface WorkerReport {
  readonly type: 'boxwire:listening';
  readonly urls: readonly string[];
}

/** The figures protocol: a worker asks (collect), the primary asks everyone (ask), each answers (report), the primary replies (collected). */
type FigureMessage =
  | { readonly type: 'boxwire:collect'; readonly id: number; readonly request: FigureRequest }
  | { readonly type: 'boxwire:ask'; readonly id: string; readonly request: FigureRequest }
  | { readonly type: 'boxwire:report'; readonly id: string; readonly data: unknown }
  | { readonly type: 'boxwire:collected'; readonly id: number; readonly reports: readonly FigureReport[] };

/** How long the primary waits for the workers' figures. */
const collectTimeout = 1000;

/**
 * Runs the primary; resolves with the exit status once every worker has
 * gone. `announce` makes what is printed once every worker listens, from
 * their addresses (undefined: nothing).
 */
export function supervise(
  count: number,
  print: (line: string) => void,
  announce: (urls: readonly string[]) => string | undefined = (urls) => `boxwire listening on ${urls.join(', ')}`,
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    let printed = false;
    const listening = new Set<number>();
    const started = new Map<number, number>();
    let quickDeaths = 0;

    const fork = (): void => {
      const worker = cluster.fork();
      started.set(worker.id, Date.now());
      worker.on('message', (message: WorkerReport | FigureMessage) => {
        if (message?.type === 'boxwire:collect') return collect(worker, message.id, message.request);
        if (message?.type === 'boxwire:report') return reported(worker, message.id, message.data);
        if (message?.type !== 'boxwire:listening') return;
        listening.add(worker.id);
        // Ready once every first worker listens; a replacement says when it has joined.
        if (printed) print(`boxwire: worker ${worker.process.pid} is listening`);
        else if (listening.size >= count) {
          printed = true;
          const said = announce(message.urls);
          if (said !== undefined) print(`${said} (${count} workers)`);
        }
      });
    };

    // Requests for figures in flight: who asked, what has come, who has yet to answer.
    const asks = new Map<string, { from: Worker; id: number; reports: FigureReport[]; waiting: Set<number>; timer: NodeJS.Timeout }>();
    const answer = (key: string): void => {
      const ask = asks.get(key);
      if (!ask) return;
      asks.delete(key);
      clearTimeout(ask.timer);
      safeSend(ask.from, { type: 'boxwire:collected', id: ask.id, reports: ask.reports });
    };
    const collect = (from: Worker, id: number, request: FigureRequest): void => {
      const key = `${from.id}:${id}`;
      const targets = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && listening.has(w.id) && w.isConnected());
      const timer = setTimeout(() => answer(key), collectTimeout);
      timer.unref();
      asks.set(key, { from, id, reports: [], waiting: new Set(targets.map((w) => w.id)), timer });
      for (const target of targets)
        if (!safeSend(target, { type: 'boxwire:ask', id: key, request })) asks.get(key)?.waiting.delete(target.id);
      if (asks.get(key)?.waiting.size === 0) answer(key);
    };
    const reported = (worker: Worker, key: string, data: unknown): void => {
      const ask = asks.get(key);
      if (!ask?.waiting.delete(worker.id)) return;
      if (data !== undefined) ask.reports.push({ worker: worker.id, pid: worker.process.pid ?? 0, data });
      if (ask.waiting.size === 0) answer(key);
    };

    cluster.on('exit', (worker: Worker, code, signal) => {
      listening.delete(worker.id);
      // A worker gone is not waited for.
      for (const [key, ask] of asks) if (ask.waiting.delete(worker.id) && ask.waiting.size === 0) answer(key);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) finish();
        return;
      }
      const lived = Date.now() - (started.get(worker.id) ?? 0);
      quickDeaths = lived < 1000 ? quickDeaths + 1 : 0;
      print(`boxwire: worker ${worker.process.pid} ${signal ? `was killed by ${signal}` : `exited with ${code}`}; starting another`);
      // A worker that dies at once every time (cannot listen, bad options) is not restarted forever.
      if (quickDeaths >= 5) {
        print('boxwire: workers keep dying at start; giving up');
        stop(1);
        return;
      }
      setTimeout(fork, Math.min(2000, 50 * 2 ** quickDeaths)).unref();
    });

    let status = 0;
    const finish = (): void => {
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(s, handlers[s]);
      resolve(status);
    };
    const stop = (exitStatus: number): void => {
      if (stopping) return;
      stopping = true;
      status = exitStatus;
      const workers = Object.values(cluster.workers ?? {});
      if (workers.length === 0) return finish();
      for (const worker of workers) worker?.process.kill('SIGTERM');
    };
    const handlers = {
      SIGTERM: () => stop(0),
      SIGINT: () => stop(0),
      SIGHUP: () => {
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
      },
    };
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, handlers[s]);
    for (let i = 0; i < count; i++) fork();
  });
}

/** In a worker: tells the primary where it listens (the primary prints it once). */
export function reportListening(urls: readonly string[]): void {
  if (cluster.isWorker && process.send) process.send({ type: 'boxwire:listening', urls } satisfies WorkerReport);
}

function safeSend(worker: Worker, message: FigureMessage): boolean {
  try {
    if (!worker.isConnected()) return false;
    worker.send(message);
    return true;
  } catch {
    return false;
  }
}

/**
 * In a worker: answers the primary's requests for this process's figures,
 * and has `figures` gather every worker's through the primary.
 */
export function shareFigures(figures: Figures): void {
  if (!cluster.isWorker || !process.send) return;
  const send = (message: FigureMessage): void => void process.send?.(message);
  let serial = 0;
  const waiting = new Map<number, (reports: readonly FigureReport[]) => void>();
  process.on('message', (message: FigureMessage) => {
    if (message?.type === 'boxwire:ask') {
      let data: unknown;
      try {
        data = figures.local(message.request);
      } catch {
        data = undefined;
      }
      send({ type: 'boxwire:report', id: message.id, data });
    } else if (message?.type === 'boxwire:collected') {
      waiting.get(message.id)?.(message.reports);
      waiting.delete(message.id);
    }
  });
  figures.collector = (request) =>
    new Promise((resolve, reject) => {
      const id = ++serial;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer'));
      }, 2 * collectTimeout);
      timer.unref();
      waiting.set(id, (reports) => {
        clearTimeout(timer);
        resolve(reports);
      });
      send({ type: 'boxwire:collect', id, request });
    });
}
