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
 */
import cluster, { type Worker } from 'node:cluster';

export interface WorkerReport {
  readonly type: 'boxwire:listening';
  readonly urls: readonly string[];
}

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
      worker.on('message', (message: WorkerReport) => {
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

    cluster.on('exit', (worker: Worker, code, signal) => {
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
