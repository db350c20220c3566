// Static files: boxwire serving a document root against node:http answering
// from memory, node:http streaming each file (fs.createReadStream), express +
// serve-static, and nginx and lighttpd when they are installed (one worker,
// access log off, sendfile on, as they ship). The files are generated into a
// temporary directory. See bench/compare.mjs for how the load is taken in turn.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compare, loadGenerator, printScenario } from '../compare.mjs';
import { startServer } from '../harness.mjs';
import { hasLighttpd, hasNginx, startLighttpd, startNginx } from '../native-peers.mjs';

const scenarios = [
  { title: '1 KiB file, keep-alive', path: '/file-1k.txt' },
  { title: '1 KiB file, Connection: close', path: '/file-1k.txt', headers: { connection: 'close' } },
  { title: '100 KiB file', path: '/file-100k.txt' },
  { title: '100 B range of the 100 KiB file', path: '/file-100k.txt', headers: { range: 'bytes=1000-1099' }, ranged: true },
  { title: '10 MiB download', path: '/file-10m.bin', connections: 4 },
];

function text(bytes) {
  const line = 'The quick brown fox jumps over the lazy dog. 0123456789\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

export async function run() {
  const root = mkdtempSync(path.join(tmpdir(), 'boxwire-bench-static-'));
  // nginx's and lighttpd's workers may run as another user: the directory must be readable to all.
  chmodSync(root, 0o755);
  writeFileSync(path.join(root, 'file-1k.txt'), text(1024));
  writeFileSync(path.join(root, 'file-100k.txt'), text(100 * 1024));
  writeFileSync(path.join(root, 'file-10m.bin'), randomBytes(10 * 1024 * 1024));
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const seconds = Number(process.env.BENCH_BURST ?? 2);
  const only = process.env.BENCH_SCENARIO;
  const servers = [];
  try {
    const node = async (name, label) => ({ name, label, ...(await startServer(name, { ROOT: root })) });
    servers.push(await node('boxwire-static', 'boxwire'));
    servers.push(await node('node-memory', 'node:http from memory'));
    servers.push(await node('node-stream', 'node:http streaming'));
    servers.push(await node('serve-static', 'express + serve-static'));
    if (hasNginx()) servers.push({ name: 'nginx', label: 'nginx (1 worker)', ...(await startNginx({ server: `root ${root};` })) });
    if (hasLighttpd()) servers.push({ name: 'lighttpd', label: 'lighttpd', ...(await startLighttpd('', { root })) });
    console.log(`\n### Static files\n\nLoad: ${loadGenerator()}, one thread; ${rounds} rounds of ${seconds} s bursts per server.`);
    if (!hasNginx() || !hasLighttpd()) console.log('(nginx or lighttpd is not installed: apt-get install nginx-light lighttpd)');
    for (const s of scenarios) {
      if (only && !s.title.includes(only)) continue;
      const rows = await compare(servers, s.path, {
        rounds,
        seconds,
        connections: s.connections ?? 50,
        headers: s.headers ?? {},
        countNon2xx: !s.ranged,
      });
      printScenario(s.title, rows);
    }
  } finally {
    for (const server of servers) await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
