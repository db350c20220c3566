// CGI hello world (sh and python3) through boxwire, against a plain
// node:http + child_process.spawn server, `python3 -m http.server --cgi`, and
// lighttpd's mod_cgi when the lighttpd binary is installed: the same two
// scripts (cgi/hello.sh, cgi/hello.py), in one run.
//
// The load comes from a small client in this file rather than autocannon:
// Python's server answers HTTP/1.0 with close-delimited bodies, which
// autocannon does not read. Every response body is checked. Servers take
// turns, round after round, and each figure is the median of its rounds: the
// machine is shared, so only ratios measured side by side mean anything.
// python3 is the system one (/usr/bin/python3 when there is one; never a
// version-manager shim), first on every server's PATH. Python's server runs
// scripts as "nobody" when started as root, so the files must be world-readable.
// A second table gives the CPU time each server process used per request
// (from /proc, the server's own process only: not the scripts, nor the
// children Python's server forks), which varies much less with what else the
// machine runs than requests/s do.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTime } from '../cpu-time.mjs';
import { kill, median, measured, medianRow, startServer, table, which } from '../harness.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const cgiDir = fileURLToPath(new URL('../../cgi/', import.meta.url));
const scripts = [
  ['hello.sh', 'Hello, world! (sh)\n'],
  ['hello.py', 'Hello, world! (python3)\n'],
];

/** `connections` clients, each sending its next request once the last is read in full, for `seconds`. */
async function hammer({ port, pid }, path, expected, { connections = CONNECTIONS, seconds = DURATION } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let errors = 0;
  let bytes = 0;
  const end = performance.now() + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      const started = performance.now();
      // insecureHTTPParser: Python's server ends its head with a bare LF (the script's own line ends).
      const req = http.get({ host: '127.0.0.1', port, path, agent, insecureHTTPParser: true }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          bytes += body.length;
          if (res.statusCode !== 200 || body !== expected) errors++;
          else latencies.push(performance.now() - started);
          resolve();
        });
        res.on('error', () => (errors++, resolve()));
      });
      req.on('error', () => (errors++, resolve()));
    });
  const worker = async () => {
    while (performance.now() < end) await one();
  };
  const cpu0 = cpuTime(pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpu0 === undefined ? undefined : cpuTime(pid) - cpu0;
  agent.destroy();
  return {
    ...measured({ latencies, bytes, seconds: elapsed, errors }),
    cpuPerRequest: cpu === undefined || latencies.length === 0 ? undefined : (cpu * 1000) / latencies.length,
  };
}

function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

/** Runs a server that is not a Node module (Python's, lighttpd) until stop(). */
async function startProgram(command, args, { cwd, env }, port) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'ignore'] });
  await waitForPort(port, child);
  return { port, pid: child.pid, stop: () => kill(child) };
}

export async function run() {
  // The real python3, first on every server's PATH.
  const python = existsSync('/usr/bin/python3')
    ? '/usr/bin/python3'
    : execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  const env = { ...process.env, PATH: `${dirname(python)}:${process.env.PATH}` };
  const work = mkdtempSync(join(tmpdir(), 'boxwire-bench-cgi-'));
  chmodSync(work, 0o755);
  symlinkSync(cgiDir, join(work, 'cgi-bin'));

  const servers = [];
  try {
    const pythonPort = await freePort();
    servers.push({
      name: 'python3 -m http.server --cgi',
      ...(await startProgram(
        python,
        ['-m', 'http.server', '--cgi', '--bind', '127.0.0.1', String(pythonPort)],
        { cwd: work, env },
        pythonPort,
      )),
    });
    servers.push({ name: 'node:http + spawn', ...(await startServer('node-cgi', env)) });
    const lighttpd = which('lighttpd');
    if (lighttpd) {
      const port = await freePort();
      const config = join(work, 'lighttpd.conf');
      writeFileSync(
        config,
        [
          `server.document-root = "${work}"`,
          `server.port = ${port}`,
          'server.bind = "127.0.0.1"',
          'server.modules = ( "mod_cgi", "mod_setenv" )',
          `setenv.add-environment = ( "PATH" => "${env.PATH}" )`,
          '$HTTP["url"] =~ "^/cgi-bin/" { cgi.assign = ( "" => "" ) }',
          `server.errorlog = "${join(work, 'lighttpd.log')}"`,
          '',
        ].join('\n'),
      );
      servers.push({ name: 'lighttpd mod_cgi', ...(await startProgram(lighttpd, ['-D', '-f', config], { cwd: work, env }, port)) });
    }
    servers.push({ name: 'boxwire', ...(await startServer('boxwire-cgi', env)) });

    const rows = [];
    const cpuRows = [];
    for (const [script, expected] of scripts) {
      const results = new Map(servers.map((s) => [s.name, []]));
      const path = `/cgi-bin/${script}`;
      for (const s of servers) await hammer(s, path, expected, { seconds: 0.5 }); // warm up
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of servers) results.get(s.name).push(await hammer(s, path, expected));
      }
      for (const s of servers) {
        const cpu = results
          .get(s.name)
          .map((r) => r.cpuPerRequest)
          .filter((c) => c !== undefined);
        if (cpu.length > 0) cpuRows.push(`| CGI ${script} | ${s.name} | ${Math.round(median(cpu))} |`);
      }
      const summary = (name) => medianRow(results.get(name));
      const ours = summary('boxwire');
      for (const s of servers) {
        if (s.name === 'boxwire') continue;
        const peer = summary(s.name);
        rows.push({ scenario: `CGI ${script}`, server: `${s.name} (peer)`, ...peer });
        rows.push({ scenario: `CGI ${script}`, server: `boxwire vs ${s.name}`, ...ours, ratio: ours.rps / peer.rps });
      }
    }
    table(
      `CGI hello world: ${CONNECTIONS} connections, median of ${ROUNDS} rounds of ${DURATION} s${which('lighttpd') ? '' : ' (lighttpd not installed: not measured)'}`,
      rows,
    );
    if (cpuRows.length > 0) {
      console.log(
        '\n### CGI hello world: CPU time of the server process per request (median of the rounds; scripts and forked children not counted)\n',
      );
      console.log('| scenario | server | CPU µs/request |\n| --- | --- | ---: |');
      for (const row of cpuRows) console.log(row);
    }
  } finally {
    for (const s of servers) await s.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
