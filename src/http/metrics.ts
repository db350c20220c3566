/**
 * Metrics for monitoring systems: families of samples, and their text
 * exposition in the Prometheus format (version 0.0.4) or in OpenMetrics
 * 1.0 (what a scraper that sends `Accept: application/openmetrics-text`
 * asks for). Pure: families in, text out. Families are plain data so that
 * a worker's can travel to another process and be merged there, each
 * labelled with its worker (see src/server/workers.ts).
 *
 * Written here rather than with prom-client: the figures already live in
 * the server's counters (prom-client would keep a second copy and be fed
 * on every request), and this is all the exposition there is to do.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export type Labels = Readonly<Record<string, string>>;

export interface MetricSample {
  /** Added to the family's name: '' or '_total' (a counter), '_bucket', '_sum', '_count'. */
  readonly suffix: '' | '_total' | '_bucket' | '_sum' | '_count';
  readonly labels: Labels;
  readonly value: number;
}

export interface MetricFamily {
  /** Without `_total` for a counter (OpenMetrics names the family so; the 0.0.4 text names its samples). */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly MetricSample[];
}

export type MetricsFormat = 'prometheus' | 'openmetrics';

export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';
export const openMetricsContentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** A family of one sample per label set: a counter (`_total` added) or a gauge. */
export function family(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  values: readonly (readonly [Labels, number])[],
): MetricFamily {
  const suffix = type === 'counter' ? '_total' : '';
  return { name, help, type, samples: values.map(([labels, value]) => ({ suffix, labels, value })) };
}

/**
 * A histogram's samples for one label set, from counts per bucket (not
 * cumulative: the last is above every bound), their sum and bounds.
 */
export function histogramSamples(labels: Labels, bounds: readonly number[], counts: ArrayLike<number>, sum: number): MetricSample[] {
  const samples: MetricSample[] = [];
  let running = 0;
  for (let i = 0; i < bounds.length; i++) {
    running += counts[i]!;
    samples.push({ suffix: '_bucket', labels: { ...labels, le: number(bounds[i]!) }, value: running });
  }
  running += counts[bounds.length]!;
  samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: running });
  samples.push({ suffix: '_count', labels, value: running });
  samples.push({ suffix: '_sum', labels, value: sum });
  return samples;
}

/** The same families with `extra` labels on every sample (a worker's, say). */
export function labelled(families: readonly MetricFamily[], extra: Labels): MetricFamily[] {
  return families.map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s, labels: { ...extra, ...s.labels } })) }));
}

/** Several lists of families as one: families of the same name are joined (the first one's help and type kept). */
export function merged(lists: readonly (readonly MetricFamily[])[]): MetricFamily[] {
  const byName = new Map<string, { family: MetricFamily; samples: MetricSample[] }>();
  for (const list of lists) {
    for (const f of list) {
      const known = byName.get(f.name);
      if (known) known.samples.push(...f.samples);
      else byName.set(f.name, { family: f, samples: [...f.samples] });
    }
  }
  return [...byName.values()].map(({ family: f, samples }) => ({ ...f, samples }));
}

/** The text exposition of `families`. */
export function exposition(families: readonly MetricFamily[], format: MetricsFormat = 'prometheus'): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    // 0.0.4 names a counter by its samples (`..._total`); OpenMetrics by the family.
    const named = format === 'prometheus' && f.type === 'counter' ? `${f.name}_total` : f.name;
    lines.push(`# HELP ${named} ${escapeHelp(f.help)}`, `# TYPE ${named} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${s.suffix}${labelText(s.labels)} ${number(s.value)}`);
  }
  if (format === 'openmetrics') lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function labelText(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${escapeLabel(labels[name]!)}"`).join(',')}}`;
}

/** Label values escape backslash, double quote and line feed (the same in both formats). */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** A sample value or bound as both formats spell it. */
function number(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

/** Whether a name can name a metric or a label (what the gauges registry and the census feed in). */
export function metricName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name);
}
