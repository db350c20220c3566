/** Metrics parsed by prometheus_client's own parsers (Debian's python3-prometheus-client, for /usr/bin/python3). */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const parser = fileURLToPath(new URL('../fixtures/metrics/parse.py', import.meta.url));
export const hasParser =
  existsSync('/usr/bin/python3') && existsSync('/usr/lib/python3/dist-packages/prometheus_client/openmetrics/parser.py');
if (!hasParser)
  console.warn('metrics tests: no python3-prometheus-client here (apt-get install python3-prometheus-client); .ci/run installs it');

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly samples: readonly [string, Record<string, string>, number][];
}

/** Parses an exposition; rejects with the parser's complaint when it refuses it. */
export function parseMetrics(text: string, format: 'text' | 'openmetrics'): Promise<Family[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', [parser, format], { timeout: 20_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`the parser refused the exposition: ${stderr || error.message}`)) : resolve(JSON.parse(stdout)),
    );
    child.stdin!.end(text);
  });
}

/** The value of a sample (by default named as its family) whose labels include `labels`. */
export const sampleValue = (families: Family[], name: string, labels: Record<string, string> = {}, sample = name): number | undefined =>
  families
    .find((f) => f.name === name)
    ?.samples.find(([n, l]) => n === sample && Object.entries(labels).every(([k, v]) => l[k] === v))?.[2];

/** Every sample of a family's sample name whose labels include `labels`. */
export const samplesOf = (families: Family[], name: string, sample: string, labels: Record<string, string> = {}) =>
  families.find((f) => f.name === name)?.samples.filter(([n, l]) => n === sample && Object.entries(labels).every(([k, v]) => l[k] === v)) ??
  [];
