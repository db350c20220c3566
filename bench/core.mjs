// Messages per second through a 5-stage pipeline, against the same work as a
// plain chain of function calls, in one run. Prints a table and the cost per hop.
import { Pipeline, map, Sink, link, producerFinished, setCensus } from '../dist/src/index.js';

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
