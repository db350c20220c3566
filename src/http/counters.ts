/**
 * Server-wide figures, kept by the components that do the work: the
 * responder records each response it writes, the TCP server its
 * connections, pools and CGI register gauges for what they hold. One object
 * per server, handed to those components when they are made (no messages,
 * no side channel: a response costs a few increments, and a lookup of its
 * route's figures by name; see `npm run bench -- http`, hello keep-alive).
 */
import { Gauges } from '../core/gauges.js';
import type { Sent } from './messages.js';

/**
 * Durations in a log-scale histogram: buckets a quarter of a power of two
 * wide, from 1 µs to over an hour, so any percentile is within ~19% and the
 * memory is fixed whatever the traffic.
 */
export class Histogram {
  private static readonly perDoubling = 4;
  private readonly counts = new Float64Array(34 * Histogram.perDoubling);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const index = Math.min(this.counts.length - 1, Math.floor(Math.log2(us) * Histogram.perDoubling));
    this.counts[index]!++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The duration (ms) below which a share `p` (0..1) of the recorded ones fall; 0 when there are none. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, 2 ** ((i + 1) / Histogram.perDoubling) / 1000);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Forgets everything recorded (the sampler's window, each second). */
  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }
}

/**
 * The upper bounds (seconds) of the request-duration histogram /metrics
 * serves: Prometheus's usual ones, with 1 ms and 2.5 ms below them for a
 * server whose answers mostly take less than 5 ms.
 */
export const durationBuckets: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Durations counted into fixed buckets, as a Prometheus histogram is: each count is exact. */
export class BucketHistogram {
  /** Observations at most each bound (not cumulative here: /metrics adds them up), and a last one above them all. */
  readonly counts = new Float64Array(durationBuckets.length + 1);
  count = 0;
  /** Seconds. */
  sum = 0;

  record(seconds: number): void {
    let i = 0;
    while (i < durationBuckets.length && seconds > durationBuckets[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += seconds;
  }
}

/** The figures of one route: responses by status class and interface, bytes, durations. */
export class RouteFigures {
  /** Responses by interface (the connection's `listener`) and status class: five numbers an interface. */
  byInterface = new Float64Array(5);
  bytes = 0;
  readonly durations = new BucketHistogram();

  constructor(readonly route: string) {}

  record(listener: number, cls: number, bytes: number, ms: number): void {
    if (listener * 5 + cls >= this.byInterface.length) {
      const grown = new Float64Array((listener + 1) * 5);
      grown.set(this.byInterface);
      this.byInterface = grown;
    }
    this.byInterface[listener * 5 + cls]!++;
    this.bytes += bytes;
    this.durations.record(ms / 1000);
  }
}

/** What a request no route took (the parser's refusals, a stage's answers, 404s) is counted under. */
export const unrouted = '(none)';

/** The old form of a gauge: a number, or named numbers, read at status time (see Gauges for the registry). */
export type Gauge = () => number | Readonly<Record<string, number>>;

export interface StatusSnapshot {
  /** The process that answered (with --workers, each has its own figures). */
  readonly pid: number;
  readonly uptime: number;
  readonly connections: ConnectionFigures;
  readonly requests: {
    readonly total: number;
    readonly perSecond: number;
    readonly byClass: Readonly<Record<StatusClass, number>>;
    readonly cutShort: number;
  };
  readonly bytes: { readonly sent: number };
  readonly time: { readonly mean: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly errors: number;
  /** What the server's parts hold now (pools, CGI, ...), from its gauges: `kind name` to figures. */
  readonly gauges: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
export const statusClasses: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export interface ConnectionFigures {
  readonly open: number;
  readonly total: number;
  readonly refused: number;
}

export class ServerCounters {
  readonly startedAt = Date.now();
  /** Where the connection figures come from: the TCP server keeps them. */
  connections: () => ConnectionFigures = () => ({ open: 0, total: 0, refused: 0 });
  requests = 0;
  readonly byClass = [0, 0, 0, 0, 0];
  cutShort = 0;
  bytesSent = 0;
  /** Error responses and failures (5xx and responses cut short). */
  errors = 0;
  readonly durations = new Histogram();
  /** What the server's parts hold (pools, CGI, gateways), read when someone looks. */
  readonly gauges = new Gauges();
  /**
   * Whether responses are counted by route and interface, and into the
   * sampler's window, as well as in the totals above (the `introspection`
   * option; on by default).
   */
  detailed = true;
  /** Durations since the sampler last looked (it clears them each second, for the plots' percentiles). */
  readonly window = new Histogram();
  /** Each route's figures, by its name (its `name`, or its path). */
  readonly routes = new Map<string, RouteFigures>();
  /** Requests in each of the last 10 seconds, for a rate. */
  private readonly recent = new Array<number>(10).fill(0);
  private recentSecond = 0;

  /** The responder: a response has been written (or cut short). */
  sent(sent: Sent): void {
    this.requests++;
    const cls = Math.floor(sent.status / 100) - 1;
    if (cls >= 0 && cls < 5) this.byClass[cls]!++;
    if (sent.status >= 500 || !sent.complete) this.errors++;
    if (!sent.complete) this.cutShort++;
    this.bytesSent += sent.bytes;
    this.durations.record(sent.duration);
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.recentSecond) this.roll(second);
    this.recent[second % 10]!++;
    if (!this.detailed) return;
    this.window.record(sent.duration);
    const request = sent.request;
    const name = request.route ?? unrouted;
    let route = this.routes.get(name);
    if (route === undefined) this.routes.set(name, (route = new RouteFigures(name)));
    route.record(request.connection.listener ?? 0, cls >= 0 && cls < 5 ? cls : 4, sent.bytes, sent.duration);
  }

  /** Registers a figure to read at status time, under a name: the old form of `gauges.add` (kind `gauge`). */
  gauge(name: string, read: Gauge): () => void {
    return this.gauges.add({
      kind: 'gauge',
      name,
      read: () => {
        const value = read();
        return typeof value === 'number' ? { value } : value;
      },
    });
  }

  snapshot(now = Date.now()): StatusSnapshot {
    const second = Math.floor(now / 1000);
    if (second !== this.recentSecond) this.roll(second);
    // The last 10 whole seconds (the current one is still filling).
    let recent = 0;
    for (let s = second - 10; s < second; s++) if (s >= 0) recent += this.recent[((s % 10) + 10) % 10]!;
    const span = Math.min(10, Math.max(1, Math.floor((now - this.startedAt) / 1000)));
    const gauges: Record<string, Readonly<Record<string, number>>> = {};
    for (const reading of this.gauges.read()) gauges[`${reading.kind} ${reading.name}`] = reading.figures;
    const [c1, c2, c3, c4, c5] = this.byClass as [number, number, number, number, number];
    return {
      pid: process.pid,
      uptime: (now - this.startedAt) / 1000,
      connections: this.connections(),
      requests: {
        total: this.requests,
        perSecond: recent / span,
        byClass: { '1xx': c1, '2xx': c2, '3xx': c3, '4xx': c4, '5xx': c5 },
        cutShort: this.cutShort,
      },
      bytes: { sent: this.bytesSent },
      time: {
        mean: this.durations.mean,
        p50: this.durations.percentile(0.5),
        p90: this.durations.percentile(0.9),
        p99: this.durations.percentile(0.99),
        max: this.durations.max,
      },
      errors: this.errors,
      gauges,
    };
  }

  /** Clears the per-second slots that have passed since the last request. */
  private roll(second: number): void {
    const gap = Math.min(10, second - this.recentSecond);
    for (let i = 1; i <= gap; i++) this.recent[(this.recentSecond + i) % 10] = 0;
    this.recentSecond = second;
  }
}
