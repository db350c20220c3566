/**
 * The proxy in front of real servers, under real loads: nginx serving a
 * 200 MiB file to a client that reads slowly (memory stays at a few
 * buffers), a 50 MiB chunked upload checksummed by a boxwire route and by a
 * Python WSGI application under gunicorn, gunicorn's view of the
 * forwarding fields, and an upstream killed under load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request, sleep, startServer, tryParse, type ParsedResponse } from '../helpers/http.js';
import { settledMemory } from '../helpers/memory.js';
import { freePort, startGunicorn, startNginx, waitForPort } from '../helpers/peers.js';

const MiB = 1024 * 1024;

/** A WSGI application: the SHA-256 of its input, and the environ fields the tests look at. */
const wsgiApp = `
import hashlib, json
def application(environ, start_response):
    digest = hashlib.sha256()
    stream = environ['wsgi.input']
    size = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
    keys = ['REMOTE_ADDR', 'HTTP_X_FORWARDED_FOR', 'HTTP_X_FORWARDED_PROTO', 'HTTP_X_FORWARDED_HOST', 'HTTP_FORWARDED', 'HTTP_VIA', 'PATH_INFO', 'HTTP_HOST', 'HTTP_TRANSFER_ENCODING']
    body = json.dumps({'sha256': digest.hexdigest(), 'size': size, 'environ': {k: environ.get(k) for k in keys}}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]
`;

/** Sends a chunked body of `size` random bytes in pieces of varying size; resolves with its SHA-256 and the response. */
async function chunkedUpload(port: number, path: string, size: number): Promise<{ sha256: string; response: ParsedResponse }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const closed = once(socket, 'close');
  socket.write(`POST ${path} HTTP/1.1\r\nHost: upload.example\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`);
  const block = randomBytes(MiB);
  let sent = 0;
  let turn = 0;
  while (sent < size) {
    const n = Math.min(size - sent, [1, 4096, 65536, 300_000, MiB][turn++ % 5]!);
    const piece = block.subarray(0, n);
    hash.update(piece);
    sent += n;
    const ok = socket.write(Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    // An answer before the end (a refusal) closes the connection: stop sending then.
    if (!ok) await Promise.race([once(socket, 'drain'), closed]);
    if (socket.destroyed) break;
  }
  socket.write('0\r\n\r\n');
  await closed;
  const { responses } = tryParse(Buffer.concat(chunks), [], true);
  return { sha256: hash.digest('hex'), response: responses[0]! };
}

describe('in front of real servers', () => {
  it('a 200 MiB download from nginx to a client reading at 1 MiB/s costs a few buffers, and arrives whole', async () => {
    const size = 200 * MiB;
    const nginx = await startNginx('location / { root {dir}/www; }');
    // nginx's worker runs as an unprivileged user: it must be able to read the file.
    chmodSync(nginx.dir, 0o755);
    mkdirSync(join(nginx.dir, 'www'));
    const fd = openSync(join(nginx.dir, 'www', 'big.bin'), 'w', 0o644);
    ftruncateSync(fd, size);
    closeSync(fd);
    const { port } = await startServer({
      accessLog: false,
      timeouts: { write: 60_000 },
      proxy: [{ prefix: '/files/', to: `http://127.0.0.1:${nginx.port}/` }],
    });
    const before = await settledMemory();
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let received = 0;
    let head = '';
    const count = (chunk: Buffer): void => {
      if (!head.includes('\r\n\r\n')) {
        const text = chunk.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return void (head += text);
        head += text.slice(0, end + 4);
        chunk = chunk.subarray(end + 4);
      }
      received += chunk.length;
    };
    const closed = once(socket, 'close');
    socket.write('GET /files/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    // Three seconds at 1 MiB/s: 10 KiB every 10 ms, read from the socket in paused mode (no more than that is taken).
    const peaks: number[] = [];
    const startedAt = Date.now();
    for (let tick = 1; tick <= 300; tick++) {
      for (let want = Math.floor(MiB / 100); want > 0; ) {
        const chunk = (socket.read(Math.min(want, 16 * 1024)) ?? socket.read()) as Buffer | null;
        if (!chunk) break;
        // (Never put back: bytes given back to a stream do not count against its high-water mark, and it reads on.)
        count(chunk);
        want -= chunk.length;
      }
      // Keep to the clock, whatever the timers' slack.
      const due = startedAt + tick * 10 - Date.now();
      if (due > 0) await sleep(due);
      if (tick % 100 === 0) peaks.push((await settledMemory()).arrayBuffers - before.arrayBuffers);
    }
    const slow = await settledMemory();
    expect(head).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(head).toContain(`Content-Length: ${size}\r\n`);
    expect(received).toBeGreaterThan(2.5 * MiB);
    expect(received).toBeLessThan(6 * MiB);
    // Nearly 200 MiB is still to come; what the proxy holds meanwhile is a few buffers.
    for (const peak of peaks) expect(peak).toBeLessThan(2 * MiB);
    expect(slow.rss - before.rss).toBeLessThan(48 * MiB);
    // The rest as fast as it comes.
    socket.on('data', count);
    await closed;
    expect(received).toBe(size);
  }, 60_000);

  it.each([
    ['a boxwire route', 'boxwire'],
    ['a WSGI application under gunicorn', 'gunicorn'],
  ])(
    'a 50 MiB chunked upload reaches %s whole',
    async (_name, kind) => {
      let upstreamPort: number;
      if (kind === 'boxwire') {
        const upstream = await startServer({
          accessLog: false,
          routes: [
            {
              path: '/upload',
              methods: ['POST'],
              handler: async (r) => {
                const hash = createHash('sha256');
                let size = 0;
                for await (const chunk of r.body!) {
                  hash.update(chunk);
                  size += chunk.length;
                }
                return { body: JSON.stringify({ sha256: hash.digest('hex'), size, te: r.headers.get('transfer-encoding') }) };
              },
            },
          ],
        });
        upstreamPort = upstream.port;
      } else upstreamPort = (await startGunicorn(wsgiApp)).port;
      const { port } = await startServer({ accessLog: false, proxy: [{ prefix: '/in/', to: `http://127.0.0.1:${upstreamPort}/upload` }] });
      const { sha256, response } = await chunkedUpload(port, '/in', 50 * MiB);
      expect(response.status).toBe(200);
      const got = JSON.parse(response.text) as { sha256: string; size: number };
      expect([got.size, got.sha256]).toEqual([50 * MiB, sha256]);
    },
    60_000,
  );

  it('gunicorn sees the forwarding fields: set for an untrusted client, appended to behind a trusted proxy', async () => {
    const gunicorn = await startGunicorn(wsgiApp);
    const environ = async (trustProxy: string[], headers: Record<string, string>) => {
      const { port } = await startServer({ trustProxy, proxy: [{ prefix: '/app/', to: `http://127.0.0.1:${gunicorn.port}` }] });
      const r = await request(port, { path: '/app/x', headers: { host: 'shop.example', ...headers } });
      return (JSON.parse(r.text) as { environ: Record<string, string | null> }).environ;
    };
    const lies = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', forwarded: 'for=6.6.6.6' };
    // 127.0.0.1 is not in 10.0.0.0/8: what it says of itself is replaced.
    expect(await environ(['10.0.0.0/8'], lies)).toMatchObject({
      REMOTE_ADDR: '127.0.0.1',
      HTTP_X_FORWARDED_FOR: '127.0.0.1',
      HTTP_X_FORWARDED_PROTO: 'http',
      HTTP_X_FORWARDED_HOST: 'shop.example',
      HTTP_FORWARDED: 'for=127.0.0.1;host=shop.example;proto=http',
      HTTP_VIA: '1.1 boxwire',
      PATH_INFO: '/x',
      HTTP_HOST: 'shop.example',
    });
    // Behind a trusted proxy on loopback, its fields are kept and our hop added.
    expect(
      await environ(['loopback'], {
        'x-forwarded-for': '198.51.100.7',
        'x-forwarded-proto': 'https',
        forwarded: 'for=198.51.100.7;proto=https',
      }),
    ).toMatchObject({
      HTTP_X_FORWARDED_FOR: '198.51.100.7, 127.0.0.1',
      HTTP_X_FORWARDED_PROTO: 'https',
      HTTP_FORWARDED: 'for=198.51.100.7;proto=https, for=127.0.0.1;host=shop.example;proto=http',
    });
  });
});

/** An upstream in a process of its own, to be killed: slow GETs and POSTs answered with its name. */
const slowUpstream = `
const http = require('node:http');
const name = process.argv[2];
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => res.end(name), Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0)));
});
server.keepAliveTimeout = 30000;
server.listen(Number(process.argv[3]), '127.0.0.1');
`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function startSlow(dir: string, name: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(dir, 'slow.cjs'), name, String(port)], { stdio: 'ignore' });
  children.push(child);
  await waitForPort(port);
  return { port, child };
}

describe('an upstream killed under load', () => {
  it('requests in flight on it get 502 (or go elsewhere, if they may be sent again); later ones go to the other; none hangs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boxwire-kill-'));
    writeFileSync(join(dir, 'slow.cjs'), slowUpstream);
    try {
      const a = await startSlow(dir, 'a');
      const b = await startSlow(dir, 'b');
      const { port, logs } = await startServer({
        accessLog: false,
        proxy: [{ prefix: '/', to: [`http://127.0.0.1:${a.port}`, `http://127.0.0.1:${b.port}`] }],
      });
      // Warm both pools.
      for (let i = 0; i < 4; i++) expect((await request(port, { path: '/?ms=0' })).status).toBe(200);
      const started = Date.now();
      // GET GET POST POST ...: round-robin puts some of each kind on each upstream.
      const isGet = (i: number): boolean => i % 4 < 2;
      const inFlight = Array.from({ length: 24 }, (_, i) =>
        isGet(i)
          ? request(port, { path: `/get${i}?ms=400` })
          : request(port, { method: 'POST', path: `/post${i}?ms=400`, body: 'payload' }),
      );
      await sleep(150);
      a.child.kill('SIGKILL');
      const answers = await Promise.all(inFlight);
      expect(Date.now() - started).toBeLessThan(5_000);
      const gets = answers.filter((_, i) => isGet(i));
      const posts = answers.filter((_, i) => !isGet(i));
      // GETs that were on the killed one are sent again, to the other: every one is answered by it or by b.
      for (const r of gets) expect([r.status, r.text]).toEqual([200, expect.stringMatching(/^[ab]$/)]);
      expect(gets.filter((r) => r.text === 'a')).toEqual([]);
      // POSTs on the killed one cannot be: 502. The others are b's.
      expect(posts.filter((r) => r.status === 502).length).toBeGreaterThan(0);
      for (const r of posts) expect(r.status === 502 || r.text === 'b').toBe(true);
      expect(logs.errors.some((l) => /502 POST \/post\d+/.test(l.message))).toBe(true);
      // Later requests: the first to try the dead one finds it refusing and marks it down; every one is b's.
      const later: ParsedResponse[] = [];
      for (let i = 0; i < 6; i++) later.push(await request(port, { path: '/later?ms=0' }));
      for (let i = 0; i < 6; i++) later.push(await request(port, { method: 'POST', path: '/later?ms=0', body: 'x' }));
      expect(later.map((r) => `${r.status} ${r.text}`)).toEqual(Array(12).fill('200 b'));
      expect(logs.monitor.some((l) => /is down for/.test(l.message))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
