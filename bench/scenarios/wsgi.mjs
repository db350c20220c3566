// Issue 6: applications on the thread pool. Hello world through the pool
// against node:http hello (the cost of the hop to a thread and back), and a
// CPU-bound application (about 5 ms of synchronous work per request) on 2
// threads against the same work in a plain node:http handler (the pool uses
// both cores; node:http uses one).
//
// Requests per second depend on what else the machine runs; so a second
// table gives each server's CPU time per request, all its threads counted
// (from /proc, so Linux only), which does not.
import { startServer, load, table } from '../harness.mjs';
import { cpuTime } from '../cpu-time.mjs';


async function measure(name, env, options) {
  const server = await startServer(name, env);
  try {
    const before = cpuTime(server.pid);
    const result = await load(`http://127.0.0.1:${server.port}/`, options);
    const after = cpuTime(server.pid);
    // load() warms up for a second before it measures: count those requests too, at the measured rate.
    const requests = result.rps * (options.duration + 1);
    return { ...result, cpu: before === undefined ? undefined : ((after - before) * 1000) / requests };
  } finally {
    await server.stop();
  }
}

export async function run() {
  const duration = Number(process.env.BENCH_DURATION ?? 5);
  const pairs = [
    ['hello', 'node-hello', { BENCH_APP: 'hello', BENCH_THREADS: '2' }, { duration }],
    ['~5 ms CPU per request', 'node-cpu', { BENCH_APP: 'cpu', BENCH_THREADS: '2' }, { duration, connections: 8 }],
  ];
  const rows = [];
  for (const [scenario, peer, env, options] of pairs) {
    const theirs = await measure(peer, {}, options);
    const ours = await measure('boxwire-wsgi', env, options);
    rows.push({ scenario, server: 'node:http (peer)', ...theirs });
    rows.push({ scenario, server: 'boxwire WSGI, 2 threads', ...ours, ratio: ours.rps / theirs.rps });
  }
  table('WSGI: applications on the thread pool', rows);
  console.log('\n| scenario | server | CPU µs per request (all threads) |');
  console.log('| --- | --- | ---: |');
  for (const row of rows) console.log(`| ${row.scenario} | ${row.server} | ${row.cpu === undefined ? 'n/a' : row.cpu.toFixed(0)} |`);
}
