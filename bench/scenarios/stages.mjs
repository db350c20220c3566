// Issue 19: what a request stage costs. The hello route bare, behind each built-in stage alone
// (Basic authentication with a bcrypt user, CORS, a rate limit that never refuses), and behind
// all three, all running at once and taking wrk's load in turn (bench/wrk.mjs), in bursts, for
// several rounds. The figure is CPU time per request, all threads, from /proc (bench/cpu-time.mjs),
// which a busy machine changes far less than it changes requests a second; a stage's cost is
// the difference from the bare route in the same run (the three together, divided by three).
// Keep-alive, as browsers and API clients talk: the authentication stage then finds the
// connection's credentials already proved. With Connection: close every request is a new
// connection: new stages, and the check remembered server-wide (a keyed SHA-256 of the field).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeaderMap, Pipeline, Sink, basicAuth, cors, link, makeRequest, rateLimit, requestStage } from '../../dist/src/index.js';
import { cpuTime } from '../cpu-time.mjs';
import { inTurn, startServer, table, totalsRow, which } from '../harness.mjs';
import { hasWrk, wrk } from '../wrk.mjs';

const variants = [
  ['none', 'bare hello route'],
  ['noop', 'a stage that does nothing'],
  ['auth', 'basic auth (bcrypt user)'],
  ['cors', 'CORS'],
  ['rate', 'rate limit'],
  ['auth,cors,rate', 'all three'],
];

export async function run() {
  if (!hasWrk() || !which('htpasswd')) {
    console.log('\n### Request stages: skipped (needs wrk and htpasswd: apt-get install wrk apache2-utils)');
    return;
  }
  const seconds = Number(process.env.BENCH_BURST ?? 2);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const dir = mkdtempSync(path.join(tmpdir(), 'boxwire-bench-stages-'));
  const users = path.join(dir, 'users');
  execFileSync('htpasswd', ['-cbB', users, 'bench', 'a password'], { stdio: 'ignore' });
  execFileSync('htpasswd', ['-bB', users, 'other', 'another password'], { stdio: 'ignore' });
  const headers = { authorization: `Basic ${Buffer.from('bench:a password').toString('base64')}`, origin: 'https://app.example' };
  const rows = [];
  const cpuLines = [];
  try {
    for (const [scenario, extra] of [
      ['keep-alive', {}],
      ['Connection: close', { connection: 'close' }],
    ]) {
      const servers = {};
      for (const [stages] of variants) servers[stages] = await startServer('boxwire-stages', { STAGES: stages, USERS: users });
      let totals;
      try {
        const url = (stages) => `http://127.0.0.1:${servers[stages].port}/`;
        // Warm up (JIT, and the first bcrypt check, on its thread).
        for (const [stages] of variants) await wrk(url(stages), { connections: 20, seconds: 1, headers: { ...headers, ...extra } });
        totals = await inTurn(
          variants.map(([stages]) => stages),
          rounds,
          async (stages) => {
            const before = cpuTime(servers[stages].pid);
            const r = await wrk(url(stages), { connections: 50, seconds, headers: { ...headers, ...extra } });
            const after = cpuTime(servers[stages].pid);
            return { requests: r.requests, bytes: r.bytes, p99: r.p99, errors: r.errors, non2xx: r.non2xx, cpu: after - before };
          },
        );
      } finally {
        for (const server of Object.values(servers)) await server.stop();
      }
      const us = (stages) => (totals[stages].cpu * 1000) / Math.max(1, totals[stages].requests);
      const bare = us('none');
      for (const [stages, label] of variants) {
        const row = totalsRow(totals[stages], rounds * seconds);
        rows.push({
          scenario,
          server: label,
          ...row,
          ratio: stages === 'none' ? undefined : row.rps / totalsRow(totals.none, rounds * seconds).rps,
        });
        const count = stages === 'none' ? 0 : stages.split(',').length;
        const perStage = count === 0 ? '' : ((us(stages) - bare) / count).toFixed(2);
        cpuLines.push(`| ${scenario} | ${label} | ${us(stages).toFixed(1)} | ${perStage} |`);
      }
    }
    await inProcess(users);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  table(`Request stages in front of the hello route, ${rounds} rounds of ${seconds} s bursts per server (wrk, 50 connections)`, rows);
  console.log('\n| scenario | stages | CPU µs per request | µs per stage over the bare route |');
  console.log('| --- | --- | ---: | ---: |');
  for (const line of cpuLines) console.log(line);
}

/**
 * The same stages without sockets: requests pushed through each stage into a sink in this
 * process, against the sink alone, median of several runs. Nothing else (parsing, writing,
 * system calls) is in the figure, so it shows a stage's own cost even on a busy machine.
 */
async function inProcess(users) {
  const N = Number(process.env.BENCH_MESSAGES ?? 300_000);
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const info = {
    id: 1,
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    family: 'IPv4',
    localAddress: '127.0.0.1',
    localPort: 8080,
    secure: false,
  };
  const requestAs = (user, password) =>
    makeRequest(
      0,
      {
        method: 'GET',
        target: '/',
        path: '/',
        rawPath: '/',
        query: '',
        version: 'HTTP/1.1',
        headers: new HeaderMap([
          ['host', 'bench'],
          ['user-agent', 'wrk'],
          ['authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`],
          ['origin', 'https://app.example'],
        ]),
        host: 'bench',
        hostPort: undefined,
        keepAlive: true,
      },
      info,
      undefined,
    );
  const one = [requestAs('bench', 'a password')];
  const two = [one[0], requestAs('other', 'another password')];
  const auth = basicAuth({ file: users });
  const cases = [
    ['a stage that does nothing', [() => requestStage(() => undefined)], one],
    ['basic auth, same credentials (a keep-alive connection)', [auth], one],
    ['basic auth, credentials changing each request (the server-wide cache)', [auth], two],
    ['CORS', [cors(['https://app.example'])], one],
    ['rate limit', [rateLimit({ rate: 1e9, burst: 1e9 })], one],
    ['all three', [auth, cors(['https://app.example']), rateLimit({ rate: 1e9, burst: 1e9 })], one],
  ];
  const measure = async (makers, requests) => {
    let seen = 0;
    const sink = new Sink(() => void seen++).start();
    const pipeline = makers.length > 0 ? new Pipeline(...makers.map((make) => make())) : undefined;
    if (pipeline) {
      link(pipeline.outboxes.outbox, sink.inboxes.inbox);
      pipeline.start();
    }
    const inbox = pipeline ? pipeline.inboxes.inbox : sink.inboxes.inbox;
    // Warm: the first bcrypt checks run on their thread, and are remembered.
    for (const request of requests) inbox.send(request);
    while (seen < requests.length) await new Promise((r) => setTimeout(r, 5));
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) inbox.send(requests[i % requests.length]);
    const used = process.cpuUsage(start);
    if (seen !== N + requests.length) throw new Error(`only ${seen} of ${N + requests.length} requests came through`);
    await pipeline?.shutdown();
    await sink.shutdown();
    return ((used.user + used.system) * 1000) / N;
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const results = [];
  for (const [label, makers, requests] of cases) {
    const bare = [];
    const staged = [];
    for (let r = 0; r < runs; r++) {
      bare.push(await measure([], requests));
      staged.push(await measure(makers, requests));
    }
    results.push([label, median(staged) - median(bare), makers.length]);
  }
  console.log(`\n### Request stages in this process: ${N.toLocaleString()} requests through each, median of ${runs} runs\n`);
  console.log('| stages | CPU ns per request over a bare sink | ns per stage |');
  console.log('| --- | ---: | ---: |');
  for (const [label, ns, count] of results) console.log(`| ${label} | ${ns.toFixed(0)} | ${(ns / count).toFixed(0)} |`);
}
