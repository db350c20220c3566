/**
 * The last ten minutes of a server's figures, one sample a second, for the
 * status page's plots: a fixed ring of rows (no growth, whatever the
 * traffic), each row a time and one number per series. Pure: the sampler
 * (src/server/introspect.ts) adds rows; the page reads them.
 */

/** What each row holds, after its time: rates per second, latencies in ms, counts now. */
export const historyColumns = [
  /** Responses per second by status class. */
  '1xx',
  '2xx',
  '3xx',
  '4xx',
  '5xx',
  /** Milliseconds from request head to last byte, over the second. */
  'p50',
  'p90',
  'p99',
  /** Response bytes written per second. */
  'bytes',
  /** Connections open at the end of the second. */
  'open',
  /** Pool threads and processes: busy, idle, and requests waiting for one. */
  'busy',
  'idle',
  'queued',
  /** CGI scripts running and waiting. */
  'cgiRunning',
  'cgiQueued',
] as const;

export type HistoryColumn = (typeof historyColumns)[number];
export type HistoryRow = Readonly<Record<HistoryColumn, number>>;

/** The history as JSON: `rows` are `[time (ms since the epoch), ...one number per column]`, oldest first. */
export interface HistoryView {
  /** Milliseconds between samples. */
  readonly interval: number;
  readonly columns: readonly HistoryColumn[];
  readonly rows: readonly (readonly number[])[];
}

export class History {
  private readonly rows: (number[] | undefined)[];
  private next = 0;

  constructor(
    /** Rows kept: ten minutes of one a second. */
    readonly capacity = 600,
    readonly interval = 1000,
  ) {
    this.rows = new Array(capacity).fill(undefined);
  }

  add(time: number, row: HistoryRow): void {
    const values = [time];
    for (const column of historyColumns) values.push(row[column]);
    this.rows[this.next % this.capacity] = values;
    this.next++;
  }

  /** The rows after `since` (ms since the epoch), oldest first; all of them when it is absent. */
  view(since = 0): HistoryView {
    const rows: number[][] = [];
    const kept = Math.min(this.next, this.capacity);
    for (let i = this.next - kept; i < this.next; i++) {
      const row = this.rows[i % this.capacity]!;
      if (row[0]! > since) rows.push(row);
    }
    return { interval: this.interval, columns: historyColumns, rows };
  }
}

/**
 * Several workers' histories as one, second by second: rates, counts and
 * bytes add up; a latency percentile is the request-weighted mean of the
 * workers' (an estimate: a percentile of the union needs the
 * distributions, which /metrics serves as histograms).
 */
export function mergedHistory(views: readonly HistoryView[]): HistoryView {
  const first = views[0];
  if (!first) return { interval: 1000, columns: historyColumns, rows: [] };
  const interval = first.interval;
  const at = (name: HistoryColumn) => historyColumns.indexOf(name) + 1;
  const requestsOf = (row: readonly number[]) => ['1xx', '2xx', '3xx', '4xx', '5xx'].reduce((n, c) => n + row[at(c as HistoryColumn)]!, 0);
  const latency = new Set<number>([at('p50'), at('p90'), at('p99')]);
  const bySlot = new Map<number, number[][]>();
  for (const view of views) {
    for (const row of view.rows) {
      const slot = Math.round(row[0]! / interval);
      const list = bySlot.get(slot) ?? [];
      list.push(row as number[]);
      bySlot.set(slot, list);
    }
  }
  const rows = [...bySlot.entries()]
    .sort(([a], [b]) => a - b)
    .map(([slot, list]) => {
      const row = [slot * interval];
      const weights = list.map(requestsOf);
      const total = weights.reduce((a, b) => a + b, 0);
      for (let c = 1; c <= historyColumns.length; c++) {
        if (latency.has(c)) row.push(total === 0 ? 0 : list.reduce((n, r, i) => n + r[c]! * weights[i]!, 0) / total);
        else row.push(list.reduce((n, r) => n + r[c]!, 0));
      }
      return row;
    });
  return { interval, columns: historyColumns, rows };
}
