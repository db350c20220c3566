/**
 * Server-wide figures, kept by the components that do the work: the
 * responder records each response it writes, the TCP server its
 * connections, pools and CGI register gauges for what they hold. One object
 * per server, handed to those components when they are made (no messages,
 * no side channel: a response costs a few increments; see
 * `npm run bench -- http`, hello keep-alive).
 */
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
}

/** A figure read when the status is asked for: threads busy, processes running, ... */
export type Gauge = () => number | Readonly<Record<string, number>>;

export interface StatusSnapshot {
  /** The process that answered (with --workers, each has its own figures). */
  readonly pid: number;
  readonly uptime: number;
  readonly connections: ConnectionFigures;
  readonly requests: {
    readonly total: number;
    readonly perSecond: number;
    readonly byClass: Readonly<Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>>;
    readonly cutShort: number;
  };
  readonly bytes: { readonly sent: number };
  readonly time: { readonly mean: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly errors: number;
  readonly gauges: Readonly<Record<string, number | Readonly<Record<string, number>>>>;
}

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
  private readonly gauges = new Map<string, Gauge>();
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
  }

  /** Registers a figure to read at status time, under a name ("wsgi", "cgi", ...). */
  gauge(name: string, read: Gauge): () => void {
    this.gauges.set(name, read);
    return () => {
      if (this.gauges.get(name) === read) this.gauges.delete(name);
    };
  }

  snapshot(now = Date.now()): StatusSnapshot {
    const second = Math.floor(now / 1000);
    if (second !== this.recentSecond) this.roll(second);
    // The last 10 whole seconds (the current one is still filling).
    let recent = 0;
    for (let s = second - 10; s < second; s++) if (s >= 0) recent += this.recent[((s % 10) + 10) % 10]!;
    const span = Math.min(10, Math.max(1, Math.floor((now - this.startedAt) / 1000)));
    const gauges: Record<string, number | Readonly<Record<string, number>>> = {};
    for (const [name, read] of this.gauges) gauges[name] = read();
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
