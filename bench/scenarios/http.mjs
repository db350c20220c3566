// Hello world through the full graph against plain node:http, keep-alive and Connection: close,
// and the memory cost of 1,000 idle keep-alive connections.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { burstOf, inTurn, startServer, table, totalsRow } from '../harness.mjs';
import { cpuTime } from '../cpu-time.mjs';

function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

async function idleCost(name) {
  const server = await startServer(name);
  await new Promise((r) => setTimeout(r, 300));
  const before = rss(server.pid);
  const sockets = [];
  for (let i = 0; i < 1000; i++) {
    const s = net.connect(server.port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
    await new Promise((r) => s.once('connect', r));
    // One request each, so every connection is a live keep-alive connection with its graph built.
    s.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
    await new Promise((r) => s.once('data', r));
  }
  await new Promise((r) => setTimeout(r, 500));
  const after = rss(server.pid);
  for (const s of sockets) s.destroy();
  await server.stop();
  return { before, after };
}

export async function run() {
  // Both servers run at once and take the load in turn, in bursts, so a change in
  // what else the machine does falls on both; CPU time per request (all threads,
  // from /proc) does not depend on it at all.
  const seconds = Number(process.env.BENCH_BURST ?? 2);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const rows = [];
  const cpuRows = [];
  for (const [scenario, headers] of [
    ['hello, keep-alive', {}],
    ['hello, Connection: close', { connection: 'close' }],
  ]) {
    const names = ['node-hello', 'boxwire-hello'];
    const servers = {};
    for (const name of names) servers[name] = await startServer(name);
    let totals;
    try {
      for (const name of names) await autocannon({ url: `http://127.0.0.1:${servers[name].port}/`, connections: 50, duration: 1, headers });
      totals = await inTurn(names, rounds, async (name) => {
        const before = cpuTime(servers[name].pid);
        const r = await autocannon({ url: `http://127.0.0.1:${servers[name].port}/`, connections: 50, duration: seconds, headers });
        const after = cpuTime(servers[name].pid);
        return { ...burstOf(r), cpu: before !== undefined && after !== undefined ? after - before : undefined };
      });
    } finally {
      for (const server of Object.values(servers)) await server.stop();
    }
    const time = rounds * seconds;
    const theirs = totalsRow(totals['node-hello'], time);
    const ours = totalsRow(totals['boxwire-hello'], time);
    rows.push({ scenario, server: 'node:http (peer)', ...theirs });
    rows.push({ scenario, server: 'boxwire', ...ours, ratio: ours.rps / theirs.rps });
    const perRequest = (name) => (totals[name].cpu * 1000) / Math.max(1, totals[name].requests);
    cpuRows.push(
      `| ${scenario} | ${perRequest('node-hello').toFixed(0)} | ${perRequest('boxwire-hello').toFixed(0)} | ${(perRequest('node-hello') / perRequest('boxwire-hello')).toFixed(2)}x |`,
    );
  }
  table(`HTTP: hello world through the full graph, ${rounds} rounds of ${seconds} s bursts per server`, rows);
  console.log('\n| scenario | node:http CPU µs per request | boxwire CPU µs per request | ratio (node / boxwire) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const line of cpuRows) console.log(line);
  console.log('\n| server | RSS before | RSS with 1,000 idle keep-alive connections | per connection |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of ['node-hello', 'boxwire-hello']) {
    const { before, after } = await idleCost(name);
    console.log(
      `| ${name} | ${(before / 1048576).toFixed(1)} MiB | ${(after / 1048576).toFixed(1)} MiB | ${((after - before) / 1000 / 1024).toFixed(1)} KiB |`,
    );
  }
}
