// Applications on the thread pool. Hello world through the pool
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
import autocannon from 'autocannon';
import { burstOf, inTurn, startServer, table, totalsRow } from '../harness.mjs';
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

export async function run() {
  // As in the http scenario: both servers run at once, are warmed up, then
  // take the load in turn, in bursts (BENCH_ROUNDS of BENCH_BURST seconds),
  // so a change in what else the machine does falls on both; CPU time is
  // counted over the bursts only.
  const seconds = Number(process.env.BENCH_BURST ?? 2);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const pairs = [
    ['hello', 'node-hello', { BENCH_APP: 'hello', BENCH_THREADS: '2' }, 50],
    ['~5 ms CPU per request', 'node-cpu', { BENCH_APP: 'cpu', BENCH_THREADS: '2' }, 8],
  ];
  const rows = [];
  for (const [scenario, peer, env, connections] of pairs) {
    const servers = { [peer]: await startServer(peer), ours: await startServer('boxwire-wsgi', env) };
    const names = Object.keys(servers);
    const url = (name) => `http://127.0.0.1:${servers[name].port}/`;
    const mainCpu = Object.fromEntries(names.map((name) => [name, 0]));
    let totals;
    try {
      for (const name of names) await autocannon({ url: url(name), connections, duration: 1 });
      totals = await inTurn(names, rounds, async (name) => {
        const pid = servers[name].pid;
        const [before, mainBefore] = [cpuTime(pid), mainThreadTime(pid)];
        const r = await autocannon({ url: url(name), connections, duration: seconds });
        const [after, mainAfter] = [cpuTime(pid), mainThreadTime(pid)];
        if (mainBefore !== undefined && mainAfter !== undefined) mainCpu[name] += mainAfter - mainBefore;
        return { ...burstOf(r), cpu: before !== undefined && after !== undefined ? after - before : undefined };
      });
    } finally {
      for (const server of Object.values(servers)) await server.stop();
    }
    const row = (name) => {
      const t = totals[name];
      const perRequest = (ms) => (ms * 1000) / Math.max(1, t.requests);
      return { ...totalsRow(t, rounds * seconds), cpu: perRequest(t.cpu), mainCpu: perRequest(mainCpu[name]) };
    };
    const theirs = row(peer);
    const ours = row('ours');
    rows.push({ scenario, server: 'node:http (peer)', ...theirs });
    rows.push({ scenario, server: 'boxwire WSGI, 2 threads', ...ours, ratio: ours.rps / theirs.rps });
  }
  table(`WSGI: applications on the thread pool, ${rounds} rounds of ${seconds} s bursts per server`, rows);
  const us = (value) => (value === undefined ? 'n/a' : value.toFixed(0));
  console.log('\n| scenario | server | CPU µs per request (all threads) | main thread | other threads |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const row of rows) {
    const others = row.cpu === undefined || row.mainCpu === undefined ? undefined : row.cpu - row.mainCpu;
    console.log(`| ${row.scenario} | ${row.server} | ${us(row.cpu)} | ${us(row.mainCpu)} | ${us(others)} |`);
  }
}
