// HTTP: a hello-world route through the whole per-connection graph against a
// plain node:http server and nginx (`return 200`), keep-alive and
// Connection: close; what introspection costs (the same server with the
// runtime's census, per-route figures and the sampler off); then the memory
// one idle keep-alive connection costs.
// See bench/compare.mjs for how the load is taken in turn.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { compare, loadGenerator, printScenario } from '../compare.mjs';
import { startServer } from '../harness.mjs';
import { hasNginx, startNginx } from '../native-peers.mjs';

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
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const seconds = Number(process.env.BENCH_BURST ?? 2);
  const servers = [];
  try {
    servers.push({ name: 'boxwire', label: 'boxwire', ...(await startServer('boxwire-hello')) });
    servers.push({ name: 'node', label: 'node:http', ...(await startServer('node-hello')) });
    if (hasNginx()) {
      const hello = `location / { default_type text/plain; return 200 "hello world"; }`;
      servers.push({ name: 'nginx', label: 'nginx (1 worker)', ...(await startNginx({ server: hello })) });
    }
    console.log(
      `\n### HTTP: hello world through the whole graph\n\nLoad: ${loadGenerator()}, one thread; ${rounds} rounds of ${seconds} s bursts per server.`,
    );
    for (const [title, headers] of [
      ['hello, keep-alive', {}],
      ['hello, Connection: close', { connection: 'close' }],
    ]) {
      printScenario(title, await compare(servers, '/', { rounds, seconds, headers }));
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  // Introspection on (boxwire's default, first) against off: the ratio is its cost in requests/s (target: under 3%).
  const introspection = [];
  try {
    introspection.push({ name: 'on', label: 'boxwire, introspection on', ...(await startServer('boxwire-hello')) });
    introspection.push({
      name: 'off',
      label: 'boxwire, introspection off',
      ...(await startServer('boxwire-hello', { BOXWIRE_INTROSPECTION: 'off' })),
    });
    const rows = await compare(introspection, '/', { rounds, seconds });
    printScenario('what introspection costs: hello, keep-alive', rows);
    const [on, off] = rows;
    if (on.cpuPerRequest !== undefined && off.cpuPerRequest !== undefined) {
      const cost = on.cpuPerRequest / off.cpuPerRequest - 1;
      console.log(`
Introspection costs ${(cost * 100).toFixed(1)}% CPU per request (${off.cpuPerRequest.toFixed(1)} µs off, ${on.cpuPerRequest.toFixed(1)} µs on); target under 3%.`);
    }
  } finally {
    for (const server of introspection) await server.stop();
  }
  console.log('\n| server | RSS before | RSS with 1,000 idle keep-alive connections | per connection |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, label] of [
    ['node-hello', 'node:http'],
    ['boxwire-hello', 'boxwire'],
  ]) {
    const { before, after } = await idleCost(name);
    console.log(
      `| ${label} | ${(before / 1048576).toFixed(1)} MiB | ${(after / 1048576).toFixed(1)} MiB | ${((after - before) / 1000 / 1024).toFixed(1)} KiB |`,
    );
  }
}
