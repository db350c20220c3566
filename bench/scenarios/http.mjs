// Hello world through the full graph against plain node:http, keep-alive and Connection: close,
// and the memory cost of 1,000 idle keep-alive connections.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { burstOf, inTurn, startServer, table, totalsRow } from '../harness.mjs';
import { cpuTime } from '../cpu-time.mjs';
import { hasWrk, wrk } from '../wrk.mjs';

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

/**
 * What counting costs (issue 20): the same hello-world server with the
 * runtime's census, per-route figures and the sampler on and off, loaded in
 * turn by wrk (a native generator, so its own CPU does not flatten the
 * difference), keep-alive. CPU time per request is the steadier figure on
 * a busy machine.
 */
async function introspectionCost(rounds, seconds) {
  const names = ['introspection off', 'introspection on'];
  const servers = {
    'introspection off': await startServer('boxwire-hello', { BOXWIRE_INTROSPECTION: 'off' }),
    'introspection on': await startServer('boxwire-hello'),
  };
  const burst = async (name, time) => {
    const url = `http://127.0.0.1:${servers[name].port}/`;
    const before = cpuTime(servers[name].pid);
    let b;
    if (hasWrk()) {
      const r = await wrk(url, { connections: 50, seconds: time });
      b = { requests: r.requests, bytes: r.bytes, p99: r.p99, errors: r.errors, non2xx: r.non2xx };
    } else b = burstOf(await autocannon({ url, connections: 50, duration: time }));
    const after = cpuTime(servers[name].pid);
    return { ...b, cpu: before !== undefined && after !== undefined ? after - before : undefined };
  };
  let totals;
  try {
    for (const name of names) await burst(name, 1);
    totals = await inTurn(names, rounds, (name) => burst(name, seconds));
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
  const time = rounds * seconds;
  const off = totalsRow(totals['introspection off'], time);
  const on = totalsRow(totals['introspection on'], time);
  table(
    `The cost of introspection: hello, keep-alive, ${hasWrk() ? 'wrk' : 'autocannon'}, ${rounds} rounds of ${seconds} s bursts per server`,
    [
      { scenario: 'hello, keep-alive', server: 'boxwire, introspection off (peer)', ...off },
      { scenario: 'hello, keep-alive', server: 'boxwire, introspection on', ...on, ratio: on.rps / off.rps },
    ],
  );
  const perRequest = (name) => (totals[name].cpu * 1000) / Math.max(1, totals[name].requests);
  const cost = perRequest('introspection on') / perRequest('introspection off') - 1;
  console.log(
    `\nCPU per request: ${perRequest('introspection off').toFixed(1)} µs off, ${perRequest('introspection on').toFixed(1)} µs on: introspection costs ${(cost * 100).toFixed(1)}% CPU per request; requests/s on/off ${(on.rps / off.rps).toFixed(3)}x (target: under 3%)`,
  );
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
  await introspectionCost(Number(process.env.BENCH_ROUNDS ?? 6), seconds);
  console.log('\n| server | RSS before | RSS with 1,000 idle keep-alive connections | per connection |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of ['node-hello', 'boxwire-hello']) {
    const { before, after } = await idleCost(name);
    console.log(
      `| ${name} | ${(before / 1048576).toFixed(1)} MiB | ${(after / 1048576).toFixed(1)} MiB | ${((after - before) / 1000 / 1024).toFixed(1)} KiB |`,
    );
  }
}
