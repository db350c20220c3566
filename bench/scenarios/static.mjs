// Serving a document root. Each scenario against express + serve-static, a plain
// node:http server streaming the file (fs.createReadStream) and a plain node:http server
// answering from memory, all in this run. The files are generated into a temp dir.
//
// The machine is shared, and its load changes by the second: so all the servers of a
// scenario run at once, idle but for the one being measured, and the load goes to each in
// turn, in short bursts, for several rounds; each row sums its bursts. Every server sees
// the same mix of quiet and busy moments, so the ratios hold even when the numbers do not.
// The 10 MiB download uses a client that only counts bytes (bench/download.mjs), in a
// fresh process for each burst: autocannon parses every body byte and cannot take more than
// a few tens of MB/s.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { burstOf, inTurn, startServer, table, totalsRow } from '../harness.mjs';
import { downloadInChild } from '../download.mjs';

const servers = [
  ['serve-static', 'express + serve-static'],
  ['node-stream', 'node:http streaming'],
  ['node-memory', 'node:http from memory'],
  ['boxwire-static', 'boxwire'],
];

// The first four are the usual cases; the last two, ranges that cost more.
const scenarios = [
  { scenario: '1 KiB file, keep-alive', path: '/file-1k.txt', connections: 50 },
  { scenario: '100 KiB file', path: '/file-100k.txt', connections: 50 },
  { scenario: '10 MiB download', path: '/file-10m.bin', connections: 4, big: true },
  { scenario: 'single range: 1 KiB of the 100 KiB file', path: '/file-100k.txt', connections: 50, headers: { range: 'bytes=1000-2023' } },
  {
    scenario: '(more) single range: 10 KB of the 100 KiB file',
    path: '/file-100k.txt',
    connections: 50,
    headers: { range: 'bytes=10000-19999' },
  },
  {
    scenario: '(more) single range: 1 KiB of the 10 MiB file, from disk',
    path: '/file-10m.bin',
    connections: 50,
    headers: { range: 'bytes=5242880-5243903' },
  },
];

function text(bytes) {
  const line = 'The quick brown fox jumps over the lazy dog. 0123456789\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

/** One burst of load; the row fields of harness.mjs's load(), plus totals to add up. */
async function burst(url, s, seconds) {
  if (s.big) {
    const r = await downloadInChild(url, { connections: s.connections, duration: seconds, headers: s.headers ?? {} });
    return { requests: r.rps * seconds, bytes: r.throughput * seconds, p99: r.p99, errors: r.errors, non2xx: r.non2xx };
  }
  return burstOf(await autocannon({ url, connections: s.connections, duration: seconds, headers: s.headers ?? {} }));
}

export async function run() {
  const root = mkdtempSync(path.join(tmpdir(), 'boxwire-bench-static-'));
  writeFileSync(path.join(root, 'file-1k.txt'), text(1024));
  writeFileSync(path.join(root, 'file-100k.txt'), text(100 * 1024));
  writeFileSync(path.join(root, 'file-10m.bin'), randomBytes(10 * 1024 * 1024));
  const seconds = Number(process.env.BENCH_BURST ?? 1);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const only = process.env.BENCH_SCENARIO;
  const rows = [];
  const summary = [];
  const started = {};
  try {
    for (const [name] of servers) started[name] = await startServer(name, { ROOT: root });
    for (const s of scenarios) {
      if (only && !s.scenario.includes(only)) continue;
      const url = (name) => `http://127.0.0.1:${started[name].port}${s.path}`;
      const names = servers.map(([name]) => name);
      for (const name of names) await burst(url(name), s, 1); // warm up
      const totals = await inTurn(names, rounds, (name) => burst(url(name), s, seconds));
      const time = rounds * seconds;
      const row = (name) => ({ ...totalsRow(totals[name], time), ...(s.headers?.range ? { non2xx: 0 } : {}) });
      const ours = row('boxwire-static');
      for (const [name, label] of servers) {
        const r = row(name);
        rows.push({ scenario: s.scenario, server: label, ...r, ratio: name === 'boxwire-static' ? undefined : ours.rps / r.rps });
      }
      const ratio = (name) => `${(ours.rps / row(name).rps).toFixed(2)}x`;
      summary.push(`| ${s.scenario} | ${ratio('serve-static')} | ${ratio('node-stream')} | ${ratio('node-memory')} |`);
    }
  } finally {
    for (const server of Object.values(started)) await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  table(
    `Static files, ${rounds} rounds of ${seconds} s bursts per server (ratio column: boxwire requests/s divided by that peer's; a range's 206 is not counted as an error)`,
    rows,
  );
  console.log(
    '\n| scenario | boxwire vs serve-static (target 5x: 1 KiB, range) | vs node:http streaming (target 1.0x: 10 MiB) | vs node:http from memory (target 0.7x) |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  for (const line of summary) console.log(line);
}
