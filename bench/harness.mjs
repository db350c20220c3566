// Shared by the benchmarks: start a server in its own process, load it with
// autocannon from this one, and print a table against a peer.
import { fork } from 'node:child_process';
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
      resolve({ port: message.port, pid: child.pid, child, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGKILL'); }) });
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
