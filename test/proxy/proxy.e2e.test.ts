/**
 * The reverse proxy end to end, over real sockets: boxwire in front of
 * node:http upstreams (and raw TCP ones, for responses node:http would
 * never send), checked at the client and at the upstream.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { raw, request, sleep, startServer, tryParse, waitFor, type ParsedResponse } from '../helpers/http.js';
import { nodeUpstream, rawUpstream } from '../helpers/peers.js';
import type { ProxyOptions } from '../../components/proxy/options.js';
import { createServer } from '../../src/server/server.js';

/** What an upstream saw of a request, sent back as JSON. */
interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: string;
  trailers: Record<string, string | undefined>;
}

/** A node:http upstream that answers every request with what it saw. */
function echoUpstream(extra: (req: http.IncomingMessage, res: http.ServerResponse) => boolean = () => false) {
  return nodeUpstream((req, res) => {
    if (extra(req, res)) return;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: Seen = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
        trailers: req.trailers,
      };
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(seen));
    });
  });
}

async function proxyTo(upstream: { port: number } | string, options: Partial<ProxyOptions> = {}, server: object = {}) {
  const to = typeof upstream === 'string' ? upstream : `http://127.0.0.1:${upstream.port}/v1`;
  return startServer({ proxy: [{ prefix: '/api/', to, ...options }], ...server });
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** Writes `data` and reads until `count` responses are in (or the connection closes). */
function exchange(socket: net.Socket, data: string | Buffer, count = 1, methods?: string[]): Promise<ParsedResponse[]> {
  let all = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      all = Buffer.concat([all, chunk]);
      const parsed = tryParse(all, methods);
      if (parsed.responses.length >= count && parsed.complete) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(parsed.responses);
      }
    };
    const onClose = (): void => {
      const parsed = tryParse(all, methods, true);
      if (parsed.responses.length >= count) resolve(parsed.responses);
      else reject(new Error(`closed after ${parsed.responses.length} responses: ${all.toString('latin1').slice(0, 300)}`));
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(data);
  });
}

describe('the reverse proxy', () => {
  it('passes a request on with the prefix replaced, the forwarding fields set and Via both ways, hop-by-hop fields removed', async () => {
    const upstream = await nodeUpstream((req, res) => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        Connection: 'X-Hop',
        'X-Hop': 'only for the proxy',
        'Keep-Alive': 'timeout=5',
        'X-Kept': 'yes',
        'Proxy-Authenticate': 'Basic',
      });
      res.end(JSON.stringify({ url: req.url, headers: req.headers }));
    });
    const { port, logs } = await proxyTo(upstream);
    const r = await request(port, {
      path: '/api/items/7?sort=a%20b',
      headers: {
        host: 'shop.example',
        connection: 'X-Client-Hop',
        'x-client-hop': 'drop me',
        'x-forwarded-for': '6.6.6.6',
        forwarded: 'for=6.6.6.6',
        'x-forwarded-proto': 'https',
        'proxy-authorization': 'Basic c2VjcmV0',
        upgrade: 'h2c',
        'x-end-to-end': 'keep me',
      },
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.text) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/v1/items/7?sort=a%20b');
    expect(seen.headers).toMatchObject({
      host: 'shop.example',
      'x-end-to-end': 'keep me',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop.example',
      forwarded: 'for=127.0.0.1;host=shop.example;proto=http',
      via: '1.1 boxwire',
    });
    for (const name of ['x-client-hop', 'proxy-authorization', 'upgrade', 'keep-alive']) expect(seen.headers[name]).toBeUndefined();
    expect(r.headers).toMatchObject({ 'x-kept': 'yes', via: '1.1 boxwire' });
    for (const name of ['x-hop', 'keep-alive', 'proxy-authenticate']) expect(r.headers[name]).toBeUndefined();
    expect(r.rawHeaders.some(([name]) => name === 'X-Kept')).toBe(true);
    await waitFor(() => logs.requests.length === 1);
    expect(logs.requests[0]!.message).toMatch(/^127\.0\.0\.1 .*"GET \/api\/items\/7\?sort=a%20b HTTP\/1.1" 200/);
  });

  it('keeps upstream connections alive and reuses them, from one client connection and from many', async () => {
    const upstream = await echoUpstream();
    const { port } = await proxyTo(upstream);
    const socket = await connect(port);
    for (let i = 0; i < 5; i++) {
      const [r] = await exchange(socket, `GET /api/${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect((JSON.parse(r!.text) as Seen).url).toBe(`/v1/${i}`);
    }
    socket.destroy();
    for (let i = 0; i < 5; i++) expect((await request(port, { path: '/api/x' })).status).toBe(200);
    expect(upstream.connections).toBe(1);
  });

  it('keeps the prefix when told, and sends the Host it is told to', async () => {
    const upstream = await echoUpstream();
    const url = (r: ParsedResponse): string => (JSON.parse(r.text) as Seen).url;
    const host = (r: ParsedResponse): unknown => (JSON.parse(r.text) as Seen).headers.host;
    const kept = await proxyTo(upstream, { keepPrefix: true });
    expect(url(await request(kept.port, { path: '/api/a' }))).toBe('/v1/api/a');
    const root = await proxyTo(`http://127.0.0.1:${upstream.port}`, { host: 'upstream' });
    const r = await request(root.port, { path: '/api', headers: { host: 'client.example' } });
    expect([url(r), host(r)]).toEqual(['/', `127.0.0.1:${upstream.port}`]);
    const fixed = await proxyTo(upstream, { host: { value: 'internal.example' } });
    expect(host(await request(fixed.port, { path: '/api/a' }))).toBe('internal.example');
  });

  it('streams request bodies in both framings, trailers included, and passes response trailers on', async () => {
    const upstream = await echoUpstream((req, res) => {
      if (req.url !== '/v1/trailers') return false;
      res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Checksum' });
      res.write('part one, ');
      res.addTrailers({ 'X-Checksum': 'abc123' });
      res.end('part two');
      return true;
    });
    const { port } = await proxyTo(upstream);
    const length = await request(port, { method: 'POST', path: '/api/echo', body: 'x'.repeat(100_000) });
    expect(JSON.parse(length.text)).toMatchObject({ method: 'POST', body: 'x'.repeat(100_000), headers: { 'content-length': '100000' } });
    const chunked = await raw(
      port,
      'POST /api/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n',
      { responses: 1 },
    );
    const seen = JSON.parse(chunked.responses[0]!.text) as Seen;
    expect([seen.body, seen.headers['transfer-encoding'], seen.trailers]).toEqual(['hello world', 'chunked', { 'x-sum': '42' }]);
    const withTrailers = await raw(port, 'GET /api/trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n', {
      responses: 1,
    });
    expect(withTrailers.responses[0]).toMatchObject({ text: 'part one, part two', trailers: { 'x-checksum': 'abc123' } });
    // An HTTP/1.0 client gets the body delimited by the close, without the trailers it cannot take.
    const old = await raw(port, 'GET /api/trailers HTTP/1.0\r\nHost: x\r\n\r\n');
    expect(old.closed).toBe(true);
    expect(old.responses[0]).toMatchObject({ status: 200, text: 'part one, part two' });
    expect(old.bytes.toString()).not.toContain('abc123');
  });

  it('passes 100-continue through: the client sends its body only once the upstream has said 100', async () => {
    let continued = 0;
    const upstream = await echoUpstream((req, res) => {
      if (req.url === '/v1/refuse') {
        res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' });
        res.end('too big');
        return true;
      }
      return false;
    });
    upstream.server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      continued++;
      upstream.server.emit('request', req, res);
      res.writeContinue();
    });
    const { port } = await proxyTo(upstream);
    const socket = await connect(port);
    const interim = await exchange(socket, 'POST /api/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    expect(interim[0]!.status).toBe(100);
    const [final] = await exchange(socket, 'hello');
    expect(JSON.parse(final!.text)).toMatchObject({ body: 'hello', headers: { expect: '100-continue' } });
    expect(continued).toBe(1);
    // The upstream refuses without a 100: the client hears the refusal and never a 100, and its body is never asked for.
    const refused = await raw(port, 'POST /api/refuse HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n', {
      responses: 1,
    });
    expect(refused.responses.map((r) => r.status)).toEqual([413]);
    socket.destroy();
  });

  it('answers HEAD with the length the upstream declared, and no body', async () => {
    const upstream = await nodeUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Length': '5', 'Content-Type': 'text/plain' });
      res.end('hello');
    });
    const { port } = await proxyTo(upstream);
    const socket = await connect(port);
    // The HEAD response's framing is right (no body read), or the GET after it on the same upstream connection would be misread.
    const [head] = await exchange(socket, 'HEAD /api/x HTTP/1.1\r\nHost: x\r\n\r\n', 1, ['HEAD']);
    const [get] = await exchange(socket, 'GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n');
    expect([head!.status, head!.headers['content-length'], head!.body.length]).toEqual([200, '5', 0]);
    expect([get!.status, get!.text]).toEqual([200, 'hello']);
    expect(upstream.connections).toBe(1);
    socket.destroy();
  });

  it('proxies to an upstream on a Unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boxwire-unix-'));
    const path = join(dir, 'app.sock');
    const server = http.createServer((req, res) => res.end(`unix ${req.url} ${req.headers.host}`));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const { port } = await proxyTo(`unix:${path}:/base`, { host: 'upstream' });
      expect((await request(port, { path: '/api/x' })).text).toBe('unix /base/x localhost');
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('upstream failures', () => {
  // Each is answered 502, and the connection it came on is closed, never reused.
  it.each([
    ['a malformed status line', 'HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok'],
    ['not HTTP at all', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    [
      'both Content-Length and Transfer-Encoding',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    ],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'],
    ['a Transfer-Encoding not ending in chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok'],
    ['bad chunking', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n'],
    ['chunk data without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n'],
    ['a bare LF in the head', 'HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok'],
    ['whitespace before a colon', 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok'],
    ['a folded header line', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok'],
    ['a 101 nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    ['a head too large', `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\nContent-Length: 2\r\n\r\nok`],
  ])('%s: 502, and the connection is closed', async (_name, response) => {
    const upstream = await rawUpstream((head, socket) => {
      if (head.startsWith('GET /v1/good ')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood');
      else socket.write(response);
    });
    const { port, logs } = await proxyTo(upstream);
    expect((await request(port, { path: '/api/good' })).status).toBe(200);
    const bad = await request(port, { path: '/api/bad' });
    expect(bad.status).toBe(502);
    await waitFor(() => upstream.closed === 1);
    // The next request needs a connection of its own: the one that carried the bad response is gone.
    expect((await request(port, { path: '/api/good' })).text).toBe('good');
    expect(upstream.connections).toBe(2);
    await waitFor(() => logs.errors.some((r) => /502 .*GET \/api\/bad/.test(r.message)));
  });

  it('a body cut short after its head went out cuts the client’s response short; nothing is reused', async () => {
    const upstream = await rawUpstream((_head, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
      socket.write('x'.repeat(50_000));
      setTimeout(() => socket.destroy(), 50);
    });
    const { port, logs } = await proxyTo(upstream);
    const r = await raw(port, 'GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r.closed).toBe(true);
    expect(r.bytes.toString('latin1')).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(r.bytes.length).toBeLessThan(100_000);
    await waitFor(() => logs.errors.some((l) => /cut short/.test(l.message)));
  });

  it('an upstream that says nothing gets a 504 after the response timeout, and its connection closed', async () => {
    const upstream = await rawUpstream(() => {});
    const { port, logs } = await proxyTo(upstream, { timeouts: { response: 300 } });
    const started = Date.now();
    const r = await request(port, { path: '/api/slow' });
    expect(r.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await waitFor(() => upstream.closed === 1);
    expect(logs.errors.some((l) => /sent no response within 300 ms/.test(l.message))).toBe(true);
  });

  it('a body that stalls is cut short after the idle timeout', async () => {
    const upstream = await rawUpstream((_head, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf'));
    const { port, logs } = await proxyTo(upstream, { timeouts: { idle: 300 } });
    const r = await raw(port, 'GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r.closed).toBe(true);
    expect(r.bytes.toString()).toMatch(/\r\n\r\nhalf$/);
    await waitFor(() => logs.errors.some((l) => /stalled for 300 ms/.test(l.message)));
  });

  it('nothing listening: 502; the upstream is marked down and the other one takes the requests', async () => {
    const live = await echoUpstream();
    const dead = await freeClosedPort();
    const { port, logs } = await startServer({
      proxy: [{ prefix: '/api/', to: [`http://127.0.0.1:${dead}`, `http://127.0.0.1:${live.port}`] }],
    });
    // GETs are retried on the other upstream: every one succeeds.
    for (let i = 0; i < 6; i++) expect((await request(port, { path: `/api/${i}` })).status).toBe(200);
    await waitFor(() => logs.monitor.some((l) => /is down for 10000 ms: connect ECONNREFUSED/.test(l.message)));
    // A POST whose upstream refuses is not retried... but the dead one is passed over now, so it goes to the live one.
    expect((await request(port, { method: 'POST', path: '/api/p', body: 'x' })).status).toBe(200);
    const single = await startServer({ proxy: [{ prefix: '/api/', to: `http://127.0.0.1:${dead}` }] });
    const refused = await request(single.port, { method: 'POST', path: '/api/p', body: 'x' });
    expect(refused.status).toBe(502);
  });

  it('an upstream with every connection busy and a full queue: 503', async () => {
    const upstream = await nodeUpstream((_req, res) => setTimeout(() => res.end('late'), 300));
    const { port } = await proxyTo(upstream, { connections: 1, queue: 1 });
    const answers = await Promise.all([0, 1, 2].map((i) => request(port, { path: `/api/${i}` })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 503]);
  });

  it('an active health check keeps a failing upstream out, and brings it back once it passes', async () => {
    let healthy = false;
    const flaky = await nodeUpstream((req, res) => {
      if (req.url === '/health') res.writeHead(healthy ? 200 : 503).end();
      else res.end('flaky');
    });
    const steady = await nodeUpstream((req, res) => res.end(req.url === '/health' ? '' : 'steady'));
    const { port, logs } = await startServer({
      proxy: [
        {
          prefix: '/api/',
          to: [`http://127.0.0.1:${flaky.port}`, `http://127.0.0.1:${steady.port}`],
          healthCheck: { path: '/health', interval: 100, timeout: 500 },
        },
      ],
    });
    await waitFor(() => logs.monitor.some((l) => /flaky|is down until a health check passes/.test(l.message)));
    for (let i = 0; i < 4; i++) expect((await request(port, { path: '/api/x' })).text).toBe('steady');
    healthy = true;
    await waitFor(() => logs.monitor.some((l) => /is up again \(health check/.test(l.message)));
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await request(port, { path: '/api/x' })).text);
    expect([...seen].sort()).toEqual(['flaky', 'steady']);
  });

  it('stops cleanly: pools, health checks and upstream connections are all released', async () => {
    const upstream = await echoUpstream();
    const server = createServer({
      port: 0,
      log: { print: false },
      cgi: false,
      root: false,
      proxy: [{ prefix: '/', to: `http://127.0.0.1:${upstream.port}`, healthCheck: { path: '/', interval: 50 } }],
    });
    const [address] = await server.listen();
    expect((await request(address!.port, { path: '/x' })).status).toBe(200);
    await sleep(120);
    await server.stop(500);
    await waitFor(() => upstreamSockets(upstream.port) === 0);
  });
});

/** A port nothing listens on. */
async function freeClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Sockets of this process connected to `port` (its own connections to an upstream). */
function upstreamSockets(port: number): number {
  let n = 0;
  for (const kind of ['tcp', 'tcp6']) {
    try {
      const text = readFileSync(`/proc/net/${kind}`, 'utf8');
      const hex = port.toString(16).toUpperCase().padStart(4, '0');
      for (const line of text.split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        // remote address is the third field; state 01 is ESTABLISHED.
        if (fields[2]?.endsWith(`:${hex}`) && fields[3] === '01') n++;
      }
    } catch {
      // no such table
    }
  }
  return n;
}
