// Issue 4: serving a document root. Four scenarios, each against express + serve-static,
// a plain node:http server streaming the file (fs.createReadStream) and a plain node:http
// server answering from memory, all in this run. The files are generated into a temp dir.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, load, table } from '../harness.mjs';

const servers = [
  ['serve-static', 'express + serve-static'],
  ['node-stream', 'node:http streaming'],
  ['node-memory', 'node:http from memory'],
  ['boxwire-static', 'boxwire'],
];

const scenarios = [
  { scenario: '1 KiB file, keep-alive', path: '/file-1k.txt', connections: 50 },
  { scenario: '100 KiB file', path: '/file-100k.txt', connections: 50 },
  { scenario: '10 MiB download', path: '/file-10m.bin', connections: 10 },
  { scenario: 'single range of 100 KiB file', path: '/file-100k.txt', connections: 50, headers: { range: 'bytes=10000-19999' } },
];

function text(bytes) {
  const line = 'The quick brown fox jumps over the lazy dog. 0123456789\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

export async function run() {
  const root = mkdtempSync(path.join(tmpdir(), 'boxwire-bench-static-'));
  writeFileSync(path.join(root, 'file-1k.txt'), text(1024));
  writeFileSync(path.join(root, 'file-100k.txt'), text(100 * 1024));
  writeFileSync(path.join(root, 'file-10m.bin'), randomBytes(10 * 1024 * 1024));
  const duration = Number(process.env.BENCH_DURATION ?? 5);
  const only = process.env.BENCH_SCENARIO;
  const rows = [];
  const summary = [];
  try {
    for (const s of scenarios) {
      if (only && !s.scenario.includes(only)) continue;
      const results = {};
      for (const [name] of servers) {
        const server = await startServer(name, { ROOT: root });
        results[name] = await load(`http://127.0.0.1:${server.port}${s.path}`, { connections: s.connections, duration, headers: s.headers ?? {} });
        await server.stop();
      }
      const ours = results['boxwire-static'];
      for (const [name, label] of servers) {
        const r = results[name];
        rows.push({ scenario: s.scenario, server: label, ...r, ratio: name === 'boxwire-static' ? undefined : ours.rps / r.rps });
      }
      summary.push(
        `| ${s.scenario} | ${(ours.rps / results['serve-static'].rps).toFixed(2)}x | ${(ours.rps / results['node-stream'].rps).toFixed(2)}x | ${(ours.rps / results['node-memory'].rps).toFixed(2)}x |`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  table('Static files (ratio column: boxwire requests/s divided by that peer\'s)', rows);
  console.log('\n| scenario | boxwire vs serve-static (target 5x on 1 KiB and range) | vs node:http streaming (target 1.0x on 10 MiB) | vs node:http from memory (target 0.7x) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const line of summary) console.log(line);
}
