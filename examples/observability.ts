/**
 * docs/observability.md: a server you can watch (the status page, /metrics,
 * JSON logs), and a part of your own that says what it holds through the
 * server's gauges, so it shows on the page and in the metrics.
 */
import { createServer, type BoxwireServer, type Gauges } from '../src/index.js';

/** Slots for slow work: a handler takes one and gives it back. What it holds is read when someone looks. */
export class WorkSlots {
  busy = 0;
  done = 0;
  /** Takes the slots off the page and out of /metrics. */
  readonly remove: () => void;

  constructor(gauges: Gauges, name: string) {
    this.remove = gauges.add({
      kind: 'slots',
      name,
      role: 'slow work in progress',
      // Read when the page or a scraper asks: `boxwire_slots_busy{slots="reports"}` and `boxwire_slots_done_total`.
      read: () => ({ busy: this.busy, done: this.done }),
      counters: ['done'],
    });
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await work();
    } finally {
      this.busy--;
      this.done++;
    }
  }
}

/** A server with its status page, its metrics and JSON logs, and one route that uses the slots. */
export function watchedServer(port = 8080): { server: BoxwireServer; slots: WorkSlots } {
  let slots: WorkSlots | undefined;
  const server = createServer({
    port,
    root: false,
    status: '/server-status',
    metrics: '/metrics',
    log: { format: 'json' },
    routes: [
      {
        path: '/report',
        name: 'report',
        handler: () => slots!.run(async () => ({ body: 'a report\n' })),
      },
    ],
  });
  slots = new WorkSlots(server.counters.gauges, 'reports');
  return { server, slots };
}

/** What the page draws, in code: the per-connection graph's children, each with its class and live instances. */
export function childrenNow(server: BoxwireServer): string[] {
  return server.introspect().connection.children.map((c) => `${c.name} (${c.className}): ${c.live} live`);
}
