// A Python hello-world WSGI application (bench/apps/hello.py)
// through boxwire on 1 and 2 python processes, against wsgiref.simple_server
// serving the same application (one process, one thread), and against
// gunicorn with as many sync workers when it is installed (Debian's
// `gunicorn` package; nothing is installed here).
//
// Every server runs the same interpreter: BENCH_PYTHON, else gunicorn's
// (the one its script names), else python3 itself (never a version
// manager's shim). All of them run at once and take the load in turn, in
// bursts of BENCH_BURST seconds, BENCH_ROUNDS times; each figure is the
// median of its bursts, measured side by side on a shared machine. A second
// table gives each server's CPU time per request, all its processes
// counted (from /proc), which the machine's other load skews less, split
// between its first process (boxwire's node, gunicorn's arbiter) and the
// processes it started (the python workers), with what autocannon itself
// spent per request beside it: they all share the machine's cores.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpuTime, cpuTimeOfTree } from '../cpu-time.mjs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { figures, kill, median, medianRow, startServer, table, which } from '../harness.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BURST = Number(process.env.BENCH_BURST ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const apps = fileURLToPath(new URL('../apps/', import.meta.url));
const wsgiref = fileURLToPath(new URL('../servers/wsgiref-hello.py', import.meta.url));

/** The interpreter a script's #! line names, if it names one directly. */
function shebang(path) {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0];
  const m = /^#!\s*(\/\S*python\S*)\s*$/.exec(first);
  return m?.[1];
}

/** Starts a program that says, on stdout or stderr, the port it listens on; resolves with { port, pid, stop }. */
function startProgram(command, args, portIn) {
  const child = spawn(command, args, { cwd: apps, stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  return new Promise((resolve, reject) => {
    const hear = (chunk) => {
      said += chunk;
      const port = portIn(said);
      if (port) resolve({ port, pid: child.pid, stop: () => kill(child) });
    };
    child.stdout.on('data', hear);
    child.stderr.on('data', hear);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before listening: ${said}`)));
  });
}

async function burst(server, seconds) {
  const before = cpuTimeOfTree(server.pid);
  const ownBefore = cpuTime(server.pid);
  const loadBefore = process.cpuUsage();
  const r = await autocannon({ url: `http://127.0.0.1:${server.port}/`, connections: CONNECTIONS, duration: seconds });
  const load = process.cpuUsage(loadBefore);
  const after = cpuTimeOfTree(server.pid);
  const ownAfter = cpuTime(server.pid);
  const requests = r.requests.total;
  const perRequest = (ms) => (before === undefined || ownBefore === undefined || requests === 0 ? undefined : (ms * 1000) / requests);
  return {
    ...figures(r),
    cpu: perRequest(after - before),
    own: perRequest(ownAfter - ownBefore),
    load: requests === 0 ? undefined : (load.user + load.system) / requests,
  };
}

export async function run() {
  const gunicorn = which('gunicorn');
  const python =
    process.env.BENCH_PYTHON ??
    (gunicorn && shebang(gunicorn)) ??
    execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  const servers = [];
  try {
    servers.push({ name: 'wsgiref.simple_server', ...(await startProgram(python, [wsgiref], (s) => Number(/^(\d+)\n/.exec(s)?.[1]))) });
    for (const n of [1, 2]) {
      servers.push({
        name: `boxwire, ${n} process${n > 1 ? 'es' : ''}`,
        processes: n,
        ...(await startServer('boxwire-python', { BENCH_PYTHON: python, BENCH_PROCESSES: String(n) })),
      });
      if (gunicorn) {
        const args = [
          gunicorn,
          '--workers',
          String(n),
          '--worker-class',
          'sync',
          '--bind',
          '127.0.0.1:0',
          '--log-level',
          'info',
          'hello:application',
        ];
        servers.push({
          name: `gunicorn, ${n} sync worker${n > 1 ? 's' : ''}`,
          processes: n,
          ...(await startProgram(python, args, (s) => Number(/Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(s)?.[1]))),
        });
      }
    }
    const results = new Map(servers.map((s) => [s.name, []]));
    for (const s of servers) await burst(s, 1); // warm up
    for (let round = 0; round < ROUNDS; round++) for (const s of servers) results.get(s.name).push(await burst(s, BURST));
    const medianOf = (runs, key) => (runs.every((r) => r[key] !== undefined) ? median(runs.map((r) => r[key])) : undefined);
    const summary = (name) => {
      const runs = results.get(name);
      return { ...medianRow(runs), cpu: medianOf(runs, 'cpu'), own: medianOf(runs, 'own'), load: medianOf(runs, 'load') };
    };
    const rows = [];
    const simple = summary('wsgiref.simple_server');
    rows.push({ scenario: 'hello.py', server: 'wsgiref.simple_server (peer)', ...simple });
    for (const s of servers.filter((s) => s.name.startsWith('boxwire'))) {
      const ours = summary(s.name);
      rows.push({ scenario: 'hello.py', server: `${s.name} vs wsgiref`, ...ours, ratio: ours.rps / simple.rps });
      const peer = servers.find((p) => p.name.startsWith('gunicorn') && p.processes === s.processes);
      if (peer) {
        const theirs = summary(peer.name);
        rows.push({ scenario: 'hello.py', server: `${peer.name} (peer)`, ...theirs });
        rows.push({ scenario: 'hello.py', server: `${s.name} vs gunicorn`, ...ours, ratio: ours.rps / theirs.rps });
      }
    }
    table(
      `Python WSGI hello world: ${CONNECTIONS} connections, median of ${ROUNDS} bursts of ${BURST} s, ${python}${gunicorn ? '' : ' (gunicorn not installed: not measured)'}`,
      rows,
    );
    const us = (value) => (value === undefined ? 'n/a' : value.toFixed(0));
    console.log('\n| server | CPU µs per request (all its processes) | its first process | the processes it started | autocannon |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const s of servers) {
      const { cpu, own, load } = summary(s.name);
      console.log(
        `| ${s.name} | ${us(cpu)} | ${us(own)} | ${us(cpu === undefined || own === undefined ? undefined : cpu - own)} | ${us(load)} |`,
      );
    }
  } finally {
    for (const s of servers) await s.stop();
  }
}
