// Issue 17: boxwire as a reverse proxy in front of a node:http hello upstream, against nginx
// proxy_pass (an upstream block with keepalive, HTTP/1.1, Connection "") and node's http-proxy
// package (a keep-alive agent) on the same hop, in the same run, under wrk.
import { startServer, table } from '../harness.mjs';
import { hasNginx, startNginx } from '../native-peers.mjs';
import { hasWrk, wrk } from '../wrk.mjs';

export async function run() {
  if (!hasWrk()) {
    console.log('\n### Proxy: skipped (wrk is not installed: apt-get install wrk)');
    return;
  }
  const seconds = Number(process.env.BENCH_BURST ?? 3);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const upstream = await startServer('node-hello');
  const env = { UPSTREAM_PORT: String(upstream.port) };
  const peers = {};
  try {
    peers.boxwire = await startServer('boxwire-proxy', env);
    peers['http-proxy'] = await startServer('http-proxy', env);
    if (hasNginx()) {
      peers.nginx = await startNginx({
        http: `upstream hello { server 127.0.0.1:${upstream.port}; keepalive 128; }`,
        server: `location / { proxy_pass http://hello; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
      });
    }
    const names = Object.keys(peers);
    const url = (name) => `http://127.0.0.1:${peers[name].port}/`;
    // Warm up every path (pools filled, JIT warm), then bursts in turn, every other round reversed.
    for (const name of names) await wrk(url(name), { seconds: 1 });
    const totals = Object.fromEntries(names.map((name) => [name, { requests: 0, bytes: 0, seconds: 0, p99: [], errors: 0, non2xx: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 ? [...names].reverse() : names) {
        const r = await wrk(url(name), { seconds });
        const t = totals[name];
        t.requests += r.requests;
        t.bytes += r.bytes;
        t.seconds += r.requests / r.rps;
        t.p99.push(r.p99);
        t.errors += r.errors;
        t.non2xx += r.non2xx;
      }
    }
    const row = (name) => {
      const t = totals[name];
      const p99 = [...t.p99].sort((a, b) => a - b)[Math.floor(t.p99.length / 2)];
      return { rps: t.requests / t.seconds, p99: p99.toFixed(1), throughput: t.bytes / t.seconds, errors: t.errors, non2xx: t.non2xx };
    };
    const ours = row('boxwire');
    const rows = [];
    for (const name of names.filter((n) => n !== 'boxwire')) {
      const theirs = row(name);
      rows.push({ scenario: 'hello, keep-alive to the upstream', server: `${name} (peer)`, ...theirs });
      rows.push({ scenario: 'hello, keep-alive to the upstream', server: `boxwire vs ${name}`, ...ours, ratio: ours.rps / theirs.rps });
    }
    table(`Proxy: a node:http hello upstream behind each proxy, wrk 50 connections, ${rounds} rounds of ${seconds} s bursts`, rows);
  } finally {
    for (const peer of Object.values(peers)) await peer.stop();
    await upstream.stop();
  }
}
