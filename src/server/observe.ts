/**
 * Where the status page and /metrics get their figures: this process's
 * (the introspector and the counters), or, when the server is one of
 * several workers (`--workers N`), every worker's, gathered through the
 * primary (workers.ts) and shown as one server, each worker labelled,
 * instead of whichever worker happened to answer.
 */
import type { StatusSource } from '../../components/status.js';
import type { ServerCounters, StatusSnapshot } from '../http/counters.js';
import { mergedViews, type GraphView, type StatusFeed } from '../http/graph-view.js';
import { mergedHistory } from '../http/history.js';
import { labelled, merged, type MetricFamily } from '../http/metrics.js';
import type { Introspector } from './introspect.js';

/** What one worker is asked for. */
export type FigureRequest =
  | { readonly what: 'snapshot' }
  | { readonly what: 'view' }
  | { readonly what: 'feed'; readonly since: number }
  | { readonly what: 'metrics' };

/** One worker's answer. */
export interface FigureReport {
  /** The cluster worker's id. */
  readonly worker: number;
  readonly pid: number;
  readonly data: unknown;
}

/** Asks every worker (this one included) and resolves with the answers that came in time. */
export type Collector = (request: FigureRequest) => Promise<readonly FigureReport[]>;

/** A snapshot of several workers: totals added up, each worker's own listed. */
export interface ClusterSnapshot extends StatusSnapshot {
  readonly workers: readonly (StatusSnapshot & { readonly worker: number })[];
}

export class Figures implements StatusSource {
  /** Set in a worker: how to reach the others. */
  collector: Collector | undefined = undefined;

  constructor(
    private readonly introspector: Introspector,
    private readonly counters: ServerCounters,
  ) {}

  /** This process's answer to a request (what a worker sends the primary). */
  local(request: FigureRequest): StatusSnapshot | GraphView | StatusFeed | readonly MetricFamily[] {
    switch (request.what) {
      case 'snapshot':
        return this.counters.snapshot();
      case 'view':
        return this.introspector.view();
      case 'feed':
        return { view: this.introspector.view(), history: this.introspector.historySince(request.since) };
      case 'metrics':
        return this.introspector.metrics();
    }
  }

  /** Every worker's answers, or none (not a worker, or the primary did not answer): then this process's alone. */
  private async gather(request: FigureRequest): Promise<readonly FigureReport[] | undefined> {
    if (!this.collector) return undefined;
    try {
      const reports = await this.collector(request);
      return reports.length > 0 ? [...reports].sort((a, b) => a.worker - b.worker) : undefined;
    } catch {
      return undefined;
    }
  }

  async snapshot(): Promise<StatusSnapshot> {
    const reports = await this.gather({ what: 'snapshot' });
    const own = this.counters.snapshot();
    if (!reports) return own;
    return mergedSnapshots(
      own,
      reports.map((r) => ({ ...(r.data as StatusSnapshot), worker: r.worker })),
    );
  }

  async view(): Promise<GraphView> {
    const reports = await this.gather({ what: 'view' });
    return reports ? mergedViews(reports.map((r) => r.data as GraphView)) : this.introspector.view();
  }

  async feed(since: number): Promise<StatusFeed> {
    const reports = await this.gather({ what: 'feed', since });
    if (!reports) return this.local({ what: 'feed', since }) as StatusFeed;
    const feeds = reports.map((r) => r.data as StatusFeed);
    return { view: mergedViews(feeds.map((f) => f.view)), history: mergedHistory(feeds.map((f) => f.history)) };
  }

  async metrics(): Promise<readonly MetricFamily[]> {
    const reports = await this.gather({ what: 'metrics' });
    if (!reports) return this.introspector.metrics();
    return merged(reports.map((r) => labelled(r.data as MetricFamily[], { worker: String(r.worker) })));
  }
}

/**
 * Workers' snapshots as one: counts add up; the time percentiles are the
 * request-weighted mean of the workers' (an estimate; /metrics has the
 * histograms); `pid` stays the answering worker's.
 */
function mergedSnapshots(own: StatusSnapshot, all: readonly (StatusSnapshot & { readonly worker: number })[]): ClusterSnapshot {
  const sum = (pick: (s: StatusSnapshot) => number) => all.reduce((n, s) => n + pick(s), 0);
  const total = sum((s) => s.requests.total);
  const weighted = (pick: (s: StatusSnapshot) => number) => (total === 0 ? 0 : sum((s) => pick(s) * s.requests.total) / total);
  const byClass = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  for (const s of all) for (const k of Object.keys(byClass) as (keyof typeof byClass)[]) byClass[k] += s.requests.byClass[k];
  const gauges: Record<string, Record<string, number>> = {};
  for (const s of all) {
    for (const [name, figures] of Object.entries(s.gauges)) {
      const into = (gauges[name] ??= {});
      for (const [k, v] of Object.entries(figures)) into[k] = (into[k] ?? 0) + v;
    }
  }
  return {
    pid: own.pid,
    uptime: Math.max(...all.map((s) => s.uptime)),
    connections: {
      open: sum((s) => s.connections.open),
      total: sum((s) => s.connections.total),
      refused: sum((s) => s.connections.refused),
    },
    requests: { total, perSecond: sum((s) => s.requests.perSecond), byClass, cutShort: sum((s) => s.requests.cutShort) },
    bytes: { sent: sum((s) => s.bytes.sent) },
    time: {
      mean: weighted((s) => s.time.mean),
      p50: weighted((s) => s.time.p50),
      p90: weighted((s) => s.time.p90),
      p99: weighted((s) => s.time.p99),
      max: Math.max(...all.map((s) => s.time.max)),
    },
    errors: sum((s) => s.errors),
    gauges,
    workers: all,
  };
}
