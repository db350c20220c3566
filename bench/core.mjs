// npm run bench:core: the runtime's own costs.
// - Messages per second through a 5-stage pipeline, against the same work as a plain chain of
//   function calls, in one run: a table and the cost per hop.
// - Bytes allocated through the real per-connection graph, per keep-alive request and per connection,
//   and the heap an idle keep-alive connection holds, against node:http serving the same hello world:
//   the figures that guard the object-shape and allocation tricks listed in docs/architecture.md.
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Pipeline, map, Sink, link, producerFinished, setCensus } from '../dist/src/index.js';
import { kill } from './harness.mjs';

// BENCH_CENSUS=off: the same without the runtime's counting (its cost per hop).
if (process.env.BENCH_CENSUS === 'off') setCensus(false);

const N = Number(process.env.BENCH_MESSAGES ?? 2_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const stages = [(x) => x + 1, (x) => x * 3, (x) => x - 2, (x) => x ^ 5, (x) => x & 0xffff];

function plainChain() {
  const [a, b, c, d, e] = stages;
  let total = 0;
  const consume = (x) => (total += x);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) consume(e(d(c(b(a(i))))));
  const ns = Number(process.hrtime.bigint() - t0);
  return { ns, total };
}

function pipelineRun() {
  let total = 0;
  const sink = new Sink((x) => (total += x)).start();
  const p = new Pipeline(...stages.map((f) => map(f)));
  link(p.outboxes.outbox, sink.inboxes.inbox);
  p.start();
  const inbox = p.inboxes.inbox;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) inbox.send(i);
  const ns = Number(process.hrtime.bigint() - t0);
  p.inboxes.control.send(producerFinished);
  void sink.shutdown();
  return { ns, total };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const plain = [];
const piped = [];
for (let r = 0; r < RUNS; r++) {
  const a = plainChain();
  const b = pipelineRun();
  if (a.total !== b.total) throw new Error(`results differ: ${a.total} vs ${b.total}`);
  plain.push(a.ns);
  piped.push(b.ns);
}
const perSec = (ns) => Math.round((N / ns) * 1e9);
const plainNs = median(plain);
const pipeNs = median(piped);
const rows = [
  ['5 function calls (peer)', perSec(plainNs), (plainNs / N).toFixed(1)],
  ['Pipeline of 5 map components', perSec(pipeNs), (pipeNs / N).toFixed(1)],
];
console.log(`core: ${N.toLocaleString()} messages, median of ${RUNS} runs\n`);
console.log('| scenario | messages/s | ns/message |');
console.log('| --- | ---: | ---: |');
for (const [name, rate, ns] of rows) console.log(`| ${name} | ${rate.toLocaleString()} | ${ns} |`);
console.log(`\nratio pipeline/plain: ${(perSec(pipeNs) / perSec(plainNs)).toFixed(3)}x`);
console.log(`cost per hop: ${((pipeNs - plainNs) / N / 5).toFixed(1)} ns (pipeline overhead over the plain chain, per stage)`);

// ---- Allocation through the per-connection graph -------------------------------------------------

const BATCHES = Number(process.env.BENCH_BATCHES ?? 5);
const REQUESTS = Number(process.env.BENCH_ALLOC_REQUESTS ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_ALLOC_CONNECTIONS ?? 300);
const IDLE = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 500);
const probe = fileURLToPath(new URL('./servers/alloc-probe.mjs', import.meta.url));
const hello = 'GET / HTTP/1.1\r\nHost: bench\r\n\r\n';
const helloClose = 'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n';

/** The probe server in a process of its own, with a young generation no measured batch fills. */
function startProbe(kind) {
  const child = fork(probe, [], {
    env: { ...process.env, BENCH_SERVER: kind },
    execArgv: ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const replies = [];
  const waiting = [];
  child.on('message', (m) => (waiting.length > 0 ? waiting.shift()(m) : replies.push(m)));
  const next = () => new Promise((resolve) => (replies.length > 0 ? resolve(replies.shift()) : waiting.push(resolve)));
  const ask = (message) => (child.send(message), next());
  return next().then(({ port }) => ({ port, ask, stop: () => kill(child) }));
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** `n` requests one after another on one keep-alive connection, each answered before the next goes. */
async function keepAliveRequests(socket, n) {
  let text = '';
  let answered = 0;
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      text += chunk.toString('latin1');
      let at;
      while ((at = text.indexOf('hello world')) >= 0) {
        text = text.slice(at + 11);
        if (++answered === n) {
          socket.off('data', onData);
          return resolve();
        }
        socket.write(hello);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(hello);
  });
}

/** `n` connections one after another: connect, one request with Connection: close, read to the end. */
async function closedConnections(port, n) {
  for (let i = 0; i < n; i++) {
    const socket = await connect(port);
    await new Promise((resolve) => {
      socket.on('data', () => {});
      socket.once('close', resolve);
      socket.write(helloClose);
    });
  }
}

/** The median of the batches no collection ran in, per unit; undefined when every batch saw one. */
async function measure(server, open, units, work) {
  const clean = [];
  for (let b = 0; b < BATCHES; b++) {
    await server.ask({ type: 'begin' });
    await work();
    const r = await server.ask({ type: 'end', open });
    if (r.collections === 0) clean.push({ heap: r.heap / units, buffers: r.buffers / units });
  }
  if (clean.length === 0) return undefined;
  return { heap: median(clean.map((c) => c.heap)), buffers: median(clean.map((c) => c.buffers)), batches: clean.length };
}

async function allocation(kind) {
  const server = await startProbe(kind);
  try {
    const socket = await connect(server.port);
    // Warm up: the code on these paths is compiled and its inline caches settled before anything is counted.
    await keepAliveRequests(socket, 5 * REQUESTS);
    await closedConnections(server.port, CONNECTIONS);
    const request = await measure(server, 1, REQUESTS, () => keepAliveRequests(socket, REQUESTS));
    const connection = await measure(server, 1, CONNECTIONS, () => closedConnections(server.port, CONNECTIONS));
    socket.destroy();
    await server.ask({ type: 'end', open: 0 });
    const before = (await server.ask({ type: 'retain' })).heap;
    const idle = [];
    for (let i = 0; i < IDLE; i++) {
      const s = await connect(server.port);
      await keepAliveRequests(s, 1);
      idle.push(s);
    }
    const after = (await server.ask({ type: 'retain' })).heap;
    for (const s of idle) s.destroy();
    return { request, connection, idle: (after - before) / IDLE };
  } finally {
    await server.stop();
  }
}

const servers = [
  ['node:http (peer)', 'node'],
  ['boxwire, no access log (as `npm run bench -- http`)', 'boxwire'],
  ['boxwire, combined access log formatted (not printed)', 'boxwire-log'],
];
const figures = [];
for (const [name, kind] of servers) figures.push([name, await allocation(kind)]);
const bytes = (n) => (n === undefined ? 'n/a' : Math.round(n).toLocaleString());
console.log(
  `\nallocation: heap bytes allocated per keep-alive request (${REQUESTS.toLocaleString()} a batch, one connection) and per connection` +
    ` (${CONNECTIONS} a batch: connect, one request with Connection: close, closed), median of the batches in which no garbage` +
    ` collection ran (of ${BATCHES}); retained heap per idle keep-alive connection (${IDLE} held open, after a full collection)\n`,
);
console.log(
  '| server | heap B per keep-alive request | ArrayBuffer B per request | heap B per connection | ArrayBuffer B per connection | retained heap B per idle connection |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, f] of figures) {
  console.log(
    `| ${name} | ${bytes(f.request?.heap)} | ${bytes(f.request?.buffers)} | ${bytes(f.connection?.heap)} | ${bytes(f.connection?.buffers)} | ${bytes(f.idle)} |`,
  );
}
console.log(
  `\nbatches without a collection, of ${BATCHES}: ${figures
    .map(
      ([name, f]) =>
        `${name.split(',')[0]}${name.includes('access log formatted') ? ' (log)' : ''} ${f.request?.batches ?? 0} and ${f.connection?.batches ?? 0}`,
    )
    .join('; ')}`,
);
const peer = figures[0][1];
const ours = figures[1][1];
const ratio = (a, b) => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);
console.log(
  `\nratio boxwire/node:http: ${ratio(ours.request?.heap, peer.request?.heap)} per keep-alive request, ` +
    `${ratio(ours.connection?.heap, peer.connection?.heap)} per connection, ${ratio(ours.idle, peer.idle)} retained per idle connection`,
);
console.log(
  '\nHow: each server runs in its own process with --expose-gc and a 64 MiB young generation. Before a batch it collects garbage' +
    " and notes process.memoryUsage(); the batch runs from this process over loopback; after it, once the batch's connections" +
    ' have closed on the server too, the growth of heapUsed (and arrayBuffers) is what the batch allocated, as long as no' +
    ' collection ran meanwhile (a PerformanceObserver counts them: a batch with one is dropped). The per-connection figure' +
    ' includes its one request.',
);
