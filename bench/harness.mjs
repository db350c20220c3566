// Shared by the benchmarks: start a server in its own process, load it with
// autocannon from this one, and print a table against a peer.
import { execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Starts `bench/servers/<name>.mjs` (or a command) and resolves with { port, stop, pid }. */
export function startServer(name, env = {}) {
  const child = fork(`${here}servers/${name}.mjs`, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening`)));
    child.once('message', (message) => {
      child.removeAllListeners('exit');
      resolve({ port: message.port, pid: child.pid, child, stop: () => kill(child) });
    });
  });
}

export async function load(url, { connections = 50, duration = 5, pipelining = 1, headers = {}, method = 'GET', body } = {}) {
  // Warm up, then measure.
  await autocannon({ url, connections, duration: 1, pipelining, headers, method, body });
  return figures(await autocannon({ url, connections, duration, pipelining, headers, method, body }));
}

/** The figures of a table row, from an autocannon result. */
export function figures(r) {
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    throughput: r.throughput.average,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** The figures of a table row, from a load loop of our own: each request's latency (ms), bytes read, seconds taken. */
export function measured({ latencies, bytes, seconds, errors, non2xx = 0 }) {
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / seconds,
    p99: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
    throughput: bytes / seconds,
    errors,
    non2xx,
  };
}

/** SIGKILL; resolves once the process has exited (at once if it already had). */
export function kill(child) {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGKILL'))));
}

/** Where a command is on PATH; undefined when it is not installed. */
export function which(command) {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The middle value (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Of several bursts' rows, the one with the median requests/s, counting the errors and non-2xx answers of them all. */
export function medianRow(runs) {
  const rps = median(runs.map((r) => r.rps));
  return {
    ...runs.find((r) => r.rps === rps),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
  };
}

/** One burst's figures from an autocannon result, for inTurn(). */
export function burstOf(r) {
  return { requests: r.requests.total, bytes: r.throughput.total, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

/**
 * Servers take the load in turn, in bursts, `rounds` times, every other round
 * in reverse order (so none always goes first): a change in what else the
 * machine does falls on all of them. `burst(name)` loads one server once and
 * gives its figures (burstOf(), and `cpu` ms when measured). Resolves with
 * each server's totals: requests, bytes, errors, non2xx and cpu summed, and
 * each burst's p99.
 */
export async function inTurn(names, rounds, burst) {
  const totals = Object.fromEntries(names.map((name) => [name, { requests: 0, bytes: 0, p99: [], errors: 0, non2xx: 0, cpu: 0 }]));
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      const b = await burst(name);
      const t = totals[name];
      t.requests += b.requests;
      t.bytes += b.bytes;
      t.p99.push(b.p99);
      t.errors += b.errors;
      t.non2xx += b.non2xx;
      t.cpu += b.cpu ?? 0;
    }
  }
  return totals;
}

/** A table row from one server's inTurn() totals over `seconds` of load in all; its p99 is the median of its bursts'. */
export function totalsRow(t, seconds) {
  return { rps: t.requests / seconds, p99: median(t.p99), throughput: t.bytes / seconds, errors: t.errors, non2xx: t.non2xx };
}

export function table(title, rows) {
  console.log(`\n### ${title}\n`);
  console.log('| scenario | server | requests/s | p99 ms | MB/s | errors | ratio |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const ratio = row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x`;
    console.log(
      `| ${row.scenario} | ${row.server} | ${Math.round(row.rps).toLocaleString()} | ${row.p99} | ${(row.throughput / 1e6).toFixed(1)} | ${row.errors + row.non2xx} | ${ratio} |`,
    );
  }
}
