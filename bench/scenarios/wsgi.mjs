// Issue 6: applications on the thread pool. Hello world through the pool
// against node:http hello (the cost of the hop to a thread and back), and a
// CPU-bound application (about 5 ms of synchronous work per request) on 2
// threads against the same work in a plain node:http handler (the pool uses
// both cores; node:http uses one).
//
// Requests per second depend on what else the machine runs; so a second
// table gives each server's CPU time per request, all its threads counted
// (from /proc, so Linux only), which does not, and how much of it the main
// thread (the event loop) spent: the rest is the pool's threads, and V8's
// compiler and garbage collector threads.
import { readFileSync } from 'node:fs';
import { startServer, load, table } from '../harness.mjs';
import { cpuTime } from '../cpu-time.mjs';

/** CPU milliseconds used so far by a process's main thread (Linux); undefined elsewhere. */
function mainThreadTime(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function measure(name, env, options) {
  const server = await startServer(name, env);
  try {
    const before = cpuTime(server.pid);
    const mainBefore = mainThreadTime(server.pid);
    const result = await load(`http://127.0.0.1:${server.port}/`, options);
    const after = cpuTime(server.pid);
    const mainAfter = mainThreadTime(server.pid);
    // load() warms up for a second before it measures: count those requests too, at the measured rate.
    const requests = result.rps * (options.duration + 1);
    const perRequest = (from, to) => (from === undefined || to === undefined ? undefined : ((to - from) * 1000) / requests);
    return { ...result, cpu: perRequest(before, after), mainCpu: perRequest(mainBefore, mainAfter) };
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
  const us = (value) => (value === undefined ? 'n/a' : value.toFixed(0));
  console.log('\n| scenario | server | CPU µs per request (all threads) | main thread | other threads |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const row of rows) {
    const others = row.cpu === undefined || row.mainCpu === undefined ? undefined : row.cpu - row.mainCpu;
    console.log(`| ${row.scenario} | ${row.server} | ${us(row.cpu)} | ${us(row.mainCpu)} | ${us(others)} |`);
  }
}
