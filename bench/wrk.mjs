// Load from wrk (Debian's package), a native load generator: it spends far
// less CPU per request than the servers it measures, so the ratios between
// servers are theirs, not the generator's. One function runs it and reads its
// figures back as JSON, written by a Lua `done` hook: requests, bytes, errors,
// and latency percentiles in milliseconds.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './harness.mjs';

/** Whether wrk is installed (`apt-get install wrk`). */
export const hasWrk = () => which('wrk') !== undefined;

const report = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK-JSON {"requests":%d,"us":%d,"bytes":%d,"socketErrors":%d,"readErrors":%d,"non2xx":%d,"p50":%f,"p90":%f,"p99":%f,"max":%f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout, e.read, e.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
`;

/**
 * Loads `url` for `seconds` with `connections` connections on one thread
 * (one of two cores; the servers take the other). `method`, `headers` and
 * `body` shape every request; `lua` is more of a wrk script (a `request`
 * function, say). Resolves with { requests, rps, bytes, errors, non2xx,
 * p50, p90, p99, max } (latencies in ms).
 */
export async function wrk(url, { connections = 50, seconds = 5, threads = 1, method, headers = {}, body, lua = '', timeout = 10 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'boxwire-wrk-'));
  const script = join(dir, 'bench.lua');
  const setup = [
    method ? `wrk.method = ${JSON.stringify(method)}` : '',
    ...Object.entries(headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(String(value))}`),
    body !== undefined ? `wrk.body = ${luaString(body)}` : '',
  ];
  writeFileSync(script, `${setup.join('\n')}\n${lua}\n${report}`);
  try {
    const out = await new Promise((resolve, reject) =>
      execFile(
        'wrk',
        ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', `${timeout}s`, '-s', script, url],
        { maxBuffer: 1 << 20 },
        (error, stdout, stderr) => (error ? reject(new Error(`wrk failed: ${stderr || error.message}`)) : resolve(stdout)),
      ),
    );
    const line = out.split('\n').find((l) => l.startsWith('WRK-JSON '));
    if (!line) throw new Error(`wrk said nothing we could read:\n${out}`);
    const r = JSON.parse(line.slice('WRK-JSON '.length));
    return {
      requests: r.requests,
      rps: r.requests / (r.us / 1e6),
      bytes: r.bytes,
      throughput: r.bytes / (r.us / 1e6),
      errors: r.socketErrors,
      /** Reads that failed: a server that ends each response by closing (HTTP/1.0, no length) makes one per request. */
      readErrors: r.readErrors,
      non2xx: r.non2xx,
      p50: r.p50,
      p90: r.p90,
      p99: r.p99,
      max: r.max,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Lua string literal for any bytes. */
function luaString(value) {
  const bytes = Buffer.from(value);
  return `"${[...bytes].map((b) => `\\${b}`).join('')}"`;
}
