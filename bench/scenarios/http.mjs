// Issue 3: hello world through the full graph against plain node:http, keep-alive and Connection: close,
// and the memory cost of 1,000 idle keep-alive connections.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer, load, table } from '../harness.mjs';

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
  const rows = [];
  for (const [scenario, headers] of [['hello, keep-alive', {}], ['hello, Connection: close', { connection: 'close' }]]) {
    const results = {};
    for (const name of ['node-hello', 'boxwire-hello']) {
      const server = await startServer(name);
      results[name] = await load(`http://127.0.0.1:${server.port}/`, { headers });
      await server.stop();
    }
    rows.push({ scenario, server: 'node:http (peer)', ...results['node-hello'] });
    rows.push({ scenario, server: 'boxwire', ...results['boxwire-hello'], ratio: results['boxwire-hello'].rps / results['node-hello'].rps });
  }
  table('HTTP: hello world through the full graph', rows);
  console.log('\n| server | RSS before | RSS with 1,000 idle keep-alive connections | per connection |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of ['node-hello', 'boxwire-hello']) {
    const { before, after } = await idleCost(name);
    console.log(`| ${name} | ${(before / 1048576).toFixed(1)} MiB | ${(after / 1048576).toFixed(1)} MiB | ${((after - before) / 1000 / 1024).toFixed(1)} KiB |`);
  }
}
