// `boxwire --workers 2` against a single process, on the 1 KiB
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
import { burstOf, inTurn, table, totalsRow } from '../harness.mjs';

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

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
  const names = Object.keys(servers);
  const url = (name) => `http://127.0.0.1:${servers[name].port}/file-1k.txt`;
  let totals;
  try {
    for (const name of names) await autocannon({ url: url(name), connections: 50, duration: 1 });
    totals = await inTurn(names, rounds, async (name) => burstOf(await autocannon({ url: url(name), connections: 50, duration: seconds })));
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const time = rounds * seconds;
  const scenario = '1 KiB file, keep-alive';
  const single = { scenario, server: 'boxwire, one process (peer)', ...totalsRow(totals.single, time) };
  const workers = {
    scenario,
    server: 'boxwire --workers 2',
    ...totalsRow(totals.workers, time),
    ratio: totals.workers.requests / totals.single.requests,
  };
  table(`--workers 2 against one process, ${rounds} rounds of ${seconds} s bursts`, [single, workers]);
}
