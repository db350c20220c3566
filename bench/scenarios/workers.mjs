// Issue 8: `boxwire --workers 2` against a single process, on the 1 KiB
// static file (keep-alive). Both are the real command; they take the load in
// turn, in bursts. On a two-core machine the load generator needs a core of
// its own too, so two workers have about one core between them: the ratio
// shows what a second process buys when the machine is that small.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { table } from '../harness.mjs';

const cli = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

function startCommand(args) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) });
    });
    child.once('exit', (code) => reject(new Error(`boxwire ${args.join(' ')} exited with ${code}`)));
  });
}

export async function run() {
  const root = mkdtempSync(path.join(tmpdir(), 'boxwire-bench-workers-'));
  writeFileSync(path.join(root, 'file-1k.txt'), 'x'.repeat(1024));
  const common = ['--port', '0', '--root', root, '--access-log', 'off', '--quiet', '--cgi', 'off', '--wsgi', 'off'];
  const seconds = Number(process.env.BENCH_BURST ?? 2);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const servers = { single: await startCommand(common), workers: await startCommand([...common, '--workers', '2']) };
  const totals = { single: { requests: 0, bytes: 0, p99: [], errors: 0 }, workers: { requests: 0, bytes: 0, p99: [], errors: 0 } };
  try {
    for (const name of Object.keys(servers)) await autocannon({ url: `http://127.0.0.1:${servers[name].port}/file-1k.txt`, connections: 50, duration: 1 });
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 ? ['workers', 'single'] : ['single', 'workers']) {
        const r = await autocannon({ url: `http://127.0.0.1:${servers[name].port}/file-1k.txt`, connections: 50, duration: seconds });
        const t = totals[name];
        t.requests += r.requests.total;
        t.bytes += r.throughput.total;
        t.p99.push(r.latency.p99);
        t.errors += r.errors + r.timeouts + r.non2xx;
      }
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const time = rounds * seconds;
  const row = (name, label, ratio) => {
    const t = totals[name];
    return { scenario: '1 KiB file, keep-alive', server: label, rps: t.requests / time, p99: [...t.p99].sort((a, b) => a - b)[t.p99.length >> 1], throughput: t.bytes / time, errors: t.errors, non2xx: 0, ratio };
  };
  const single = row('single', 'boxwire, one process (peer)');
  const workers = row('workers', 'boxwire --workers 2', totals.workers.requests / totals.single.requests);
  table(`--workers 2 against one process, ${rounds} rounds of ${seconds} s bursts`, [single, workers]);
}
