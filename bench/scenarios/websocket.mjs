// Issue 18: WebSocket echo round trips per second over 50 connections, and the memory an idle
// connection costs with 5,000 open (RSS, after a full collection), boxwire against a plain `ws` server in the same run.
// The load comes from raw-socket clients in processes of their own (bench/ws-load.mjs), which
// do a fraction of a server's work per message; CPU time per round trip is read from /proc.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer, table } from '../harness.mjs';
import { cpuTime } from '../cpu-time.mjs';

const loader = fileURLToPath(new URL('../ws-load.mjs', import.meta.url));
const names = { 'ws-echo': 'ws (peer)', 'boxwire-websocket': 'boxwire' };

function rss(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

/** Runs load clients (each with its share of the connections) and resolves with what each said. */
function clients(count, task) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const child = fork(loader, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const share = Math.floor(task.connections / count) + (i < task.connections % count ? 1 : 0);
      return new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('message', (message) => resolve({ child, ...message }));
        child.once('exit', (code) => code !== 0 && reject(new Error(`load client exited with ${code}`)));
        child.send({ ...task, connections: share });
      });
    }),
  );
}

async function echo(server, seconds, size) {
  const before = cpuTime(server.pid);
  const said = await clients(2, { port: server.port, connections: 50, seconds, size });
  const cpu = cpuTime(server.pid) - before;
  const roundTrips = said.reduce((n, s) => n + s.roundTrips, 0);
  return { roundTrips, errors: said.reduce((n, s) => n + s.errors, 0), cpu };
}

/** Asks a server for a full collection, so what is measured is what connections hold, not garbage yet to be collected. */
function collect(server) {
  return new Promise((resolve) => {
    server.child.once('message', resolve);
    server.child.send('gc');
  });
}

async function idle(name, connections) {
  const server = await startServer(name, { NODE_OPTIONS: '--expose-gc' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    await collect(server);
    const before = rss(server.pid);
    const said = await clients(2, { port: server.port, connections, idle: true });
    await new Promise((r) => setTimeout(r, 1000));
    await collect(server);
    const after = rss(server.pid);
    for (const { child } of said) child.send({ close: true });
    return { before, after, open: said.reduce((n, s) => n + s.open, 0) };
  } finally {
    await server.stop();
  }
}

export async function run() {
  const seconds = Number(process.env.BENCH_BURST ?? 2);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const rows = [];
  const cpuRows = [];
  for (const size of [32, 16 * 1024]) {
    const servers = {};
    for (const name of Object.keys(names)) servers[name] = await startServer(name);
    const totals = Object.fromEntries(Object.keys(names).map((name) => [name, { roundTrips: 0, errors: 0, cpu: 0 }]));
    try {
      for (const name of Object.keys(names)) await echo(servers[name], 1, size);
      // In turn, in bursts, every other round in reverse order: what else the machine does falls on both.
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 ? Object.keys(names).reverse() : Object.keys(names);
        for (const name of order) {
          const r = await echo(servers[name], seconds, size);
          totals[name].roundTrips += r.roundTrips;
          totals[name].errors += r.errors;
          totals[name].cpu += r.cpu;
        }
      }
    } finally {
      for (const server of Object.values(servers)) await server.stop();
    }
    const time = rounds * seconds;
    const scenario = `echo, ${size < 1024 ? `${size} B` : `${size / 1024} KiB`} text, 50 connections`;
    const theirs = totals['ws-echo'].roundTrips / time;
    for (const [name, label] of Object.entries(names)) {
      const t = totals[name];
      const rps = t.roundTrips / time;
      rows.push({
        scenario,
        server: label,
        rps,
        p99: '-',
        throughput: (t.roundTrips * size * 2) / time,
        errors: t.errors,
        non2xx: 0,
        ratio: name === 'ws-echo' ? undefined : rps / theirs,
      });
    }
    const perTrip = (name) => (totals[name].cpu * 1000) / Math.max(1, totals[name].roundTrips);
    cpuRows.push(
      `| ${scenario} | ${perTrip('ws-echo').toFixed(1)} | ${perTrip('boxwire-websocket').toFixed(1)} | ${(perTrip('ws-echo') / perTrip('boxwire-websocket')).toFixed(2)}x |`,
    );
  }
  table(`WebSocket echo: round trips per second (requests/s column), ${rounds} rounds of ${seconds} s bursts per server`, rows);
  console.log('\n| scenario | ws CPU µs per round trip | boxwire CPU µs per round trip | ratio (ws / boxwire) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const line of cpuRows) console.log(line);
  const idleCount = Number(process.env.BENCH_WS_IDLE ?? 5000);
  console.log(`\n| server | RSS before | RSS with ${idleCount.toLocaleString()} idle WebSocket connections | per connection |`);
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, label] of Object.entries(names)) {
    const { before, after, open } = await idle(name, idleCount);
    console.log(
      `| ${label} | ${(before / 1048576).toFixed(1)} MiB | ${(after / 1048576).toFixed(1)} MiB | ${((after - before) / open / 1024).toFixed(1)} KiB |`,
    );
  }
}
