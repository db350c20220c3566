import net from 'node:net';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { raw, request, startServer, sleep, tryParse, waitFor } from '../helpers/http.js';
import { snapshot, expectNoLeaks } from '../helpers/leaks.js';
import { readBody, readText } from '../../src/http/request-body.js';
import { HttpError } from '../../src/http/errors.js';
import { respond, type HttpResponse } from '../../src/http/messages.js';
import { HttpHandler } from '../../components/http-handler.js';
import { map } from '../../components/transform.js';
import { createServer } from '../../src/server/server.js';
import type { Route } from '../../components/request-router.js';

const H = 'Host: test\r\n';
const hello: Route = { path: '/', methods: ['GET'], handler: () => ({ headers: { 'Content-Type': 'text/plain' }, body: 'hello' }) };
const echo: Route = { path: '/echo', methods: ['POST', 'PUT'], handler: async (r) => ({ body: await readBody(r.body, 64 * 1024 * 1024) }) };

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** Reads from a socket until `count` responses have arrived. */
function responses(socket: net.Socket, count: number, methods?: string[]) {
  let all = Buffer.alloc(0);
  return new Promise<ReturnType<typeof tryParse>['responses']>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      all = Buffer.concat([all, chunk]);
      const parsed = tryParse(all, methods);
      if (parsed.responses.length >= count && parsed.complete) {
        socket.off('data', onData);
        resolve(parsed.responses);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => {
      const parsed = tryParse(all, methods, true);
      if (parsed.responses.length >= count) resolve(parsed.responses);
      else reject(new Error(`closed after ${parsed.responses.length} of ${count} responses: ${all.toString('latin1').slice(0, 300)}`));
    });
  });
}

describe('keep-alive and pipelining', () => {
  it('serves several requests on one HTTP/1.1 connection', async () => {
    const { port } = await startServer({ routes: [hello] });
    const socket = await connect(port);
    for (let i = 0; i < 3; i++) {
      const got = responses(socket, 1);
      socket.write(`GET / HTTP/1.1\r\n${H}\r\n`);
      const [r] = await got;
      expect([r!.status, r!.text, r!.headers['content-length']]).toEqual([200, 'hello', '5']);
      expect(r!.headers.connection).toBeUndefined();
    }
    socket.destroy();
  });

  it('closes an HTTP/1.0 connection unless asked to keep it', async () => {
    const { port } = await startServer({ routes: [hello] });
    const plain = await raw(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(plain.closed).toBe(true);
    expect(plain.responses[0]!.headers.connection).toBe('close');
    const kept = await raw(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', { responses: 1, timeout: 300 });
    expect(kept.responses[0]!.headers.connection).toBe('keep-alive');
  });

  it('answers pipelined requests in order even when a later one finishes first', async () => {
    const finished: string[] = [];
    const { port } = await startServer({
      routes: [
        { path: '/slow', handler: async () => (await sleep(80), finished.push('slow'), { body: 'slow' }) },
        { path: '/fast/:n', handler: (r) => (finished.push(`fast${r.params!.n}`), { body: `fast${r.params!.n}` }) },
      ],
    });
    const { responses: got } = await raw(
      port,
      `GET /slow HTTP/1.1\r\n${H}\r\nGET /fast/1 HTTP/1.1\r\n${H}\r\nGET /fast/2 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
    );
    expect(finished).toEqual(['fast1', 'fast2', 'slow']);
    expect(got.map((r) => r.text)).toEqual(['slow', 'fast1', 'fast2']);
  });

  it('serves a long pipeline (more than its read-ahead) in order', async () => {
    const { port } = await startServer({ routes: [{ path: '/:n', handler: (r) => ({ body: r.params!.n }) }] });
    const requests = Array.from({ length: 100 }, (_, i) => `GET /${i} HTTP/1.1\r\n${H}\r\n`).join('');
    const { responses: got } = await raw(port, requests, { responses: 100 });
    expect(got.map((r) => r.text)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  });
});

describe('request bodies', () => {
  it('receives a chunked upload intact', async () => {
    const { port } = await startServer({ routes: [echo] });
    const data = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const parts: Buffer[] = [Buffer.from(`POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n`)];
    for (let at = 0, n = 1; at < data.length; n = ((n * 31 + 17) % 70000) + 1) {
      const chunk = data.subarray(at, at + n);
      parts.push(Buffer.from(`${chunk.length.toString(16)};ext=1\r\n`), chunk, Buffer.from('\r\n'));
      at += chunk.length;
    }
    parts.push(Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'));
    const { responses: got } = await raw(port, Buffer.concat(parts), { timeout: 15_000 });
    expect(got[0]!.status).toBe(200);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(got[0]!.body)).toBe(sha(data));
  });

  it('sends 100 Continue when the handler starts reading, then the response', async () => {
    const { port } = await startServer({ routes: [echo] });
    const socket = await connect(port);
    let seen = '';
    socket.on('data', (c: Buffer) => (seen += c.toString('latin1')));
    socket.write(`POST /echo HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5\r\n\r\n`);
    await waitFor(() => seen.includes('\r\n\r\n'));
    expect(seen).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    socket.write('hello');
    await waitFor(() => seen.endsWith('hello'));
    expect(seen).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);
    socket.destroy();
  });

  it('answers without 100 Continue when the handler does not read, and closes', async () => {
    const { port } = await startServer({ routes: [{ path: '/nope', handler: () => ({ status: 403 }) }] });
    const got = await raw(port, `POST /nope HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 1000\r\n\r\n`);
    expect(got.responses.map((r) => r.status)).toEqual([403]);
    expect(got.responses[0]!.headers.connection).toBe('close');
    expect(got.closed).toBe(true);
  });

  it('reads and drops a small unread body, and keeps the connection', async () => {
    const { port } = await startServer({ routes: [{ path: '/ignore', handler: () => ({ body: 'ignored' }) }, hello] });
    const { responses: got } = await raw(
      port,
      `POST /ignore HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\n0123456789GET / HTTP/1.1\r\n${H}\r\n`,
      { responses: 2 },
    );
    expect(got.map((r) => r.text)).toEqual(['ignored', 'hello']);
    expect(got[0]!.headers.connection).toBeUndefined();
  });
});

describe('limits', () => {
  it.each([
    ['a request-line too long', `GET /${'a'.repeat(9000)} HTTP/1.1\r\n${H}\r\n`, 414],
    ['a header section too large', `GET / HTTP/1.1\r\n${H}X: ${'a'.repeat(70_000)}\r\n\r\n`, 431],
    ['too many header fields', `GET / HTTP/1.1\r\n${H}${'X: 1\r\n'.repeat(101)}\r\n`, 431],
    ['a body too large', `POST /echo HTTP/1.1\r\n${H}Content-Length: 2000\r\n\r\n`, 413],
    ['a malformed request', `GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n`, 400],
    ['an unsupported version', `GET / HTTP/2.0\r\n${H}\r\n`, 505],
  ])('%s gets %i, a log line, and the connection closes', async (_name, bytes, status) => {
    const server = await startServer({ routes: [hello, echo], limits: { body: 1000 } });
    const got = await raw(server.port, bytes);
    expect(got.responses.map((r) => r.status)).toEqual([status]);
    expect(got.responses[0]!.headers.connection).toBe('close');
    expect(got.closed).toBe(true);
    await waitFor(() => server.logs.errors!.length > 0);
    expect(server.logs.errors![0]!.message).toMatch(new RegExp(`^${status} `));
    // Others are still served.
    expect((await request(server.port)).status).toBe(200);
  });

  it('answers 503 beyond the connection cap and serves the rest', async () => {
    const { port } = await startServer({ routes: [hello], limits: { connections: 1 } });
    const first = await connect(port);
    await sleep(20);
    const refused = await raw(port, `GET / HTTP/1.1\r\n${H}\r\n`);
    expect(refused.responses[0]!.status).toBe(503);
    const got = responses(first, 1);
    first.write(`GET / HTTP/1.1\r\n${H}\r\n`);
    expect((await got)[0]!.status).toBe(200);
    first.destroy();
  });
});

describe('timeouts', () => {
  it('a head that trickles in too slowly gets 408 (slowloris)', async () => {
    const { port } = await startServer({ routes: [hello], timeouts: { header: 150 } });
    const started = Date.now();
    const got = await raw(port, `GET / HTTP/1.1\r\nHost: te`, { timeout: 3000 });
    expect(got.responses.map((r) => r.status)).toEqual([408]);
    expect(got.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('trickling bytes does not extend the header deadline', async () => {
    const { port } = await startServer({ routes: [hello], timeouts: { header: 200 } });
    const got = await raw(port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(100)}`, { pieces: 1, pause: 5, timeout: 3000 });
    expect(got.responses.map((r) => r.status)).toEqual([408]);
  });

  it('an idle keep-alive connection is closed after the idle timeout', async () => {
    const { port } = await startServer({ routes: [hello], timeouts: { idle: 150 } });
    const socket = await connect(port);
    const got = responses(socket, 1);
    socket.write(`GET / HTTP/1.1\r\n${H}\r\n`);
    await got;
    const started = Date.now();
    await once(socket, 'close');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a connection that never sends anything is closed after the idle timeout', async () => {
    const { port } = await startServer({ routes: [hello], timeouts: { idle: 150 } });
    const got = await raw(port, '', { timeout: 3000 });
    expect(got.closed).toBe(true);
    expect(got.bytes.length).toBe(0);
  });

  it('a body that stalls gets 408 while its handler waits', async () => {
    const { port } = await startServer({ routes: [echo], timeouts: { body: 150 } });
    const got = await raw(port, `POST /echo HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\nonly some`, { timeout: 3000 });
    expect(got.responses.map((r) => r.status)).toEqual([408]);
    expect(got.closed).toBe(true);
  });
});

describe('responses', () => {
  it('HEAD gets the GET headers and no body; 204 and 304 have no body', async () => {
    const { port } = await startServer({
      routes: [
        hello,
        { path: '/204', handler: () => ({ status: 204, body: 'dropped' }) },
        { path: '/304', handler: () => ({ status: 304, body: 'dropped' }) },
      ],
    });
    const got = await raw(
      port,
      `HEAD / HTTP/1.1\r\n${H}\r\nGET /204 HTTP/1.1\r\n${H}\r\nGET /304 HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
      {
        methods: ['HEAD', 'GET', 'GET', 'GET'],
      },
    );
    expect(got.responses.map((r) => [r.status, r.headers['content-length'], r.text])).toEqual([
      [200, '5', ''],
      [204, undefined, ''],
      [304, undefined, ''],
      [200, '5', 'hello'],
    ]);
  });

  it('streams of unknown length are chunked on HTTP/1.1 and close-delimited on HTTP/1.0', async () => {
    const stream = {
      path: '/stream',
      handler: () => ({
        body: (async function* () {
          yield 'a';
          yield Buffer.from('b');
          yield 'c';
        })(),
      }),
    } satisfies Route;
    const { port } = await startServer({ routes: [stream] });
    const v11 = await raw(port, `GET /stream HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect([v11.responses[0]!.headers['transfer-encoding'], v11.responses[0]!.text]).toEqual(['chunked', 'abc']);
    const v10 = await raw(port, 'GET /stream HTTP/1.0\r\n\r\n');
    expect([v10.responses[0]!.headers['transfer-encoding'], v10.responses[0]!.headers.connection, v10.responses[0]!.text]).toEqual([
      undefined,
      'close',
      'abc',
    ]);
  });

  it('never writes a header a handler set with CR or LF: 500 instead', async () => {
    const server = await startServer({
      routes: [{ path: '/bad', handler: () => ({ headers: { 'X-A': 'a\r\nSet-Cookie: evil=1' }, body: 'x' }) }],
    });
    const got = await raw(server.port, `GET /bad HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(got.responses[0]!.status).toBe(500);
    expect(got.bytes.toString('latin1')).not.toContain('evil');
    expect(server.logs.errors!.some((r) => /refused/.test(r.message))).toBe(true);
  });

  it('a body that fails after the head went out closes the connection: truncated, never wrong', async () => {
    const server = await startServer({
      routes: [
        {
          path: '/fail',
          handler: () => ({
            headers: { 'Content-Length': '10' },
            body: (async function* () {
              yield 'part';
              throw new Error('disk on fire');
            })(),
          }),
        },
        hello,
      ],
    });
    const got = await raw(server.port, `GET /fail HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n${H}\r\n`);
    expect(got.closed).toBe(true);
    const text = got.bytes.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Length: 10\r\n\r\npart$/);
    await waitFor(() => server.logs.errors!.some((r) => /cut short/.test(r.message)));
    expect((await request(server.port)).status).toBe(200);
  });

  it('a stream longer than its declared length is cut, not over-sent', async () => {
    const { port } = await startServer({
      routes: [
        {
          path: '/long',
          handler: () => ({
            headers: { 'Content-Length': '3' },
            body: (async function* () {
              yield 'abcdef';
            })(),
          }),
        },
      ],
    });
    const got = await raw(port, `GET /long HTTP/1.1\r\n${H}\r\n`);
    expect(got.closed).toBe(true);
    expect(got.bytes.toString('latin1')).toMatch(/Content-Length: 3\r\n\r\n$/);
  });

  it('a client that stops reading costs a few buffers, and is cut off after the write timeout', async () => {
    let produced = 0;
    let released = false;
    const server = await startServer({
      timeouts: { write: 300 },
      routes: [
        {
          path: '/huge',
          handler: () => ({
            body: (async function* () {
              try {
                const block = Buffer.alloc(64 * 1024, 120);
                for (let i = 0; i < 16 * 1024; i++) {
                  produced += block.length;
                  yield block;
                }
              } finally {
                released = true;
              }
            })(),
          }),
        },
      ],
    });
    const socket = await connect(server.port);
    socket.pause();
    socket.write(`GET /huge HTTP/1.1\r\n${H}\r\n`);
    await sleep(600);
    // 1 GiB on offer; only what the kernel buffers hold (a few MiB) was pulled.
    expect(produced).toBeLessThan(32 * 1024 * 1024);
    await waitFor(() => released, 5000);
    socket.destroy();
  });

  it('the Server field is configurable or absent', async () => {
    const named = await startServer({ routes: [hello], serverHeader: 'mine/1.0' });
    expect((await request(named.port)).headers.server).toBe('mine/1.0');
    const none = await startServer({ routes: [hello], serverHeader: false });
    expect((await request(none.port)).headers.server).toBeUndefined();
  });
});

describe('routing', () => {
  const routes: Route[] = [
    hello,
    echo,
    { path: '/users/:id', methods: ['GET', 'DELETE'], handler: (r) => ({ body: `user ${r.params!.id}` }) },
    { path: '/files/*', methods: ['GET'], handler: (r) => ({ body: `${r.mount}|${r.params!['*']}` }) },
    { path: '/vhost', host: 'a.example', handler: () => ({ body: 'a' }) },
    { path: '/vhost', host: '*.example', handler: () => ({ body: 'any' }) },
    {
      path: '/teapot',
      methods: ['GET'],
      handler: () => {
        throw new HttpError(418, 'short and stout');
      },
    },
    {
      path: '/boom',
      methods: ['GET'],
      handler: () => {
        throw new Error('kaboom');
      },
    },
    { path: '/reject', methods: ['GET'], handler: () => Promise.reject(new Error('async kaboom')) },
  ];

  it.each([
    ['GET /users/42', 200, 'user 42'],
    ['DELETE /users/42', 200, 'user 42'],
    ['GET /files/a/b.txt', 200, '/files|/a/b.txt'],
    ['GET /files', 200, '/files|'],
    ['GET /nowhere', 404, ''],
    ['GET /teapot', 418, ''],
    ['GET /boom', 500, ''],
    ['GET /reject', 500, ''],
  ])('%s -> %i', async (line, status, text) => {
    const { port } = await startServer({ routes, errorPages: { render: () => ({ body: '' }) } });
    const [method, path] = line.split(' ');
    const r = await request(port, { method, path });
    expect(r.status).toBe(status);
    if (text) expect(r.text).toBe(text);
  });

  it('405 with Allow for a method the path does not take', async () => {
    const { port } = await startServer({ routes });
    const r = await request(port, { method: 'POST', path: '/users/1' });
    expect([r.status, r.headers.allow]).toEqual([405, 'DELETE, GET, HEAD, OPTIONS']);
  });

  it('501 for a method no route takes, OPTIONS with Allow, OPTIONS * for the server', async () => {
    // Every route here names its methods (a route without `methods` takes any method, and then nothing is a 501).
    const { port } = await startServer({ routes: routes.filter((r) => r.methods) });
    expect((await request(port, { method: 'BREW', path: '/' })).status).toBe(501);
    const options = await request(port, { method: 'OPTIONS', path: '/users/1' });
    expect([options.status, options.headers.allow]).toEqual([204, 'DELETE, GET, HEAD, OPTIONS']);
    const star = await request(port, { method: 'OPTIONS', path: '*' });
    expect([star.status, star.headers.allow]).toEqual([204, 'DELETE, GET, HEAD, OPTIONS, POST, PUT']);
    const unlisted = await startServer({ routes: [{ path: '/any', handler: () => ({ body: 'any' }) }] });
    expect((await request(unlisted.port, { method: 'BREW', path: '/any' })).text).toBe('any');
  });

  it('routes by host', async () => {
    const { port } = await startServer({ routes });
    expect((await request(port, { path: '/vhost', headers: { host: 'a.example' } })).text).toBe('a');
    expect((await request(port, { path: '/vhost', headers: { host: 'b.example:8080' } })).text).toBe('any');
    expect((await request(port, { path: '/vhost', headers: { host: 'other' } })).status).toBe(404);
  });

  it('runs a fresh handler component per request, and reroutes', async () => {
    const before = snapshot();
    let made = 0;
    class Greeter extends HttpHandler {
      protected main(): void {
        made++;
        this.on('inbox', (request) => {
          if (request.path === '/component/old') {
            this.send('outbox', { type: 'reroute', request: { ...request, path: '/component/new', target: '/component/new' } });
          } else this.send('outbox', respond(request, { body: `component ${request.path}` }));
          this.finish();
        });
      }
    }
    const { server, port } = await startServer({ routes: [{ path: '/component/*', component: () => new Greeter() }] });
    expect((await request(port, { path: '/component/a' })).text).toBe('component /component/a');
    expect((await request(port, { path: '/component/old' })).text).toBe('component /component/new');
    expect(made).toBe(3);
    await server.stop();
    await expectNoLeaks(before);
  });

  it('a handler component that stops without answering becomes a 500', async () => {
    class Silent extends HttpHandler {
      protected main(): void {
        this.on('inbox', () => this.finish());
      }
    }
    const { port } = await startServer({ routes: [{ path: '/silent', component: () => new Silent() }] });
    expect((await request(port, { path: '/silent' })).status).toBe(500);
  });

  it('a reroute loop ends in 500', async () => {
    class Loop extends HttpHandler {
      protected main(): void {
        this.on('inbox', (request) => {
          this.send('outbox', { type: 'reroute', request });
          this.finish();
        });
      }
    }
    const { port } = await startServer({ routes: [{ path: '/loop', component: () => new Loop() }] });
    expect((await request(port, { path: '/loop' })).status).toBe(500);
  });
});

describe('error pages and logs', () => {
  it('renders HTML by default and JSON when the client prefers it, with the path escaped', async () => {
    const { port } = await startServer({ routes: [hello] });
    const html = await request(port, { path: '/<script>'.replace('<', '%3C').replace('>', '%3E') });
    expect(html.status).toBe(404);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.text).toContain('&lt;script&gt;');
    expect(html.text).not.toContain('<script>');
    const json = await request(port, { path: '/missing', headers: { accept: 'application/json' } });
    expect(JSON.parse(json.text)).toMatchObject({ status: 404, error: 'Not Found', path: '/missing' });
  });

  it('can be replaced per status or wholesale', async () => {
    const { port } = await startServer({
      routes: [hello],
      errorPages: {
        pages: { 404: '<h1>gone fishing</h1>' },
        render: (r) => ({ headers: { 'Content-Type': 'text/plain' }, body: `oops ${r.status}` }),
      },
    });
    expect((await request(port, { path: '/x' })).text).toBe('<h1>gone fishing</h1>');
    const r = await request(port, { method: 'BREW', path: '/' });
    expect([r.status, r.text, r.headers['content-type']]).toEqual([501, 'oops 501', 'text/plain']);
  });

  it('logs errors with the request line, and 5xx with the stack', async () => {
    const server = await startServer({
      routes: [
        {
          path: '/boom',
          handler: () => {
            throw new Error('kaboom');
          },
        },
      ],
    });
    await request(server.port, { path: '/boom' });
    await waitFor(() => server.logs.errors!.length > 0);
    const record = server.logs.errors![0]!;
    expect(record.level).toBe('error');
    expect(record.message).toBe('500 GET /boom HTTP/1.1 from 127.0.0.1: kaboom');
    expect(String(record.fields?.stack)).toContain('kaboom');
  });

  it('writes the access log in Combined format by default, Common or your own on request', async () => {
    const combined = await startServer({ routes: [hello] });
    await request(combined.port, { headers: { 'user-agent': 'tester', referer: 'http://r/' } });
    await waitFor(() => combined.logs.requests!.length > 0);
    expect(combined.logs.requests![0]!.message).toMatch(/^127\.0\.0\.1 - - \[.+\] "GET \/ HTTP\/1\.1" 200 5 "http:\/\/r\/" "tester"$/);
    const common = await startServer({ routes: [hello], accessLog: 'common' });
    await request(common.port);
    await waitFor(() => common.logs.requests!.length > 0);
    expect(common.logs.requests![0]!.message).toMatch(/"GET \/ HTTP\/1\.1" 200 5$/);
    const custom = await startServer({ routes: [hello], accessLog: (s) => `${s.request.method} ${s.status} ${s.bytes}` });
    await request(custom.port);
    await waitFor(() => custom.logs.requests!.length > 0);
    expect(custom.logs.requests![0]!.message).toBe('GET 200 5');
    const off = await startServer({ routes: [hello], accessLog: false });
    await request(off.port);
    await sleep(30);
    expect(off.logs.requests).toEqual([]);
  });
});

describe('composition', () => {
  it('runs your own stages between the router and the responder', async () => {
    const addHeader = () =>
      map((response: HttpResponse) => ({ ...response, headers: response.headers.clone().set('X-Frame-Options', 'DENY') }));
    const timing = () =>
      map((response: HttpResponse) => ({
        ...response,
        headers: response.headers.clone().set('Server-Timing', `app;dur=${(performance.now() - response.request.received).toFixed(1)}`),
      }));
    const { port } = await startServer({ routes: [hello], stages: [addHeader, timing] });
    const r = await request(port);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['server-timing']).toMatch(/^app;dur=\d+\.\d$/);
    const missing = await request(port, { path: '/x' });
    expect([missing.status, missing.headers['x-frame-options']]).toEqual([404, 'DENY']);
  });
});

describe('lifecycle', () => {
  it('stop() lets a request in flight finish, refuses new connections, closes idle ones, and leaks nothing', async () => {
    const before = snapshot();
    const server = createServer({
      port: 0,
      log: { print: false },
      routes: [{ path: '/slow', handler: async () => (await sleep(200), { body: 'finished' }) }, hello],
    });
    const [{ port }] = await server.listen();
    const idle = await connect(port);
    const idleClosed = once(idle, 'close');
    const busy = await connect(port);
    const reply = responses(busy, 1);
    busy.write(`GET /slow HTTP/1.1\r\n${H}\r\n`);
    await sleep(30);
    const stopped = server.stop();
    await idleClosed;
    const [r] = await reply;
    expect([r!.status, r!.text]).toEqual([200, 'finished']);
    await stopped;
    const late = net.connect(port, '127.0.0.1');
    const [error] = await once(late, 'error');
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    busy.destroy();
    await expectNoLeaks(before);
  });

  it('a client that half-closes after its request still gets the answer of a slow handler', async () => {
    const { server, port } = await startServer({
      routes: [{ path: '/slow', handler: async () => (await sleep(100), { body: 'late but whole' }) }],
    });
    const { responses } = await raw(port, `GET /slow HTTP/1.1\r\n${H}\r\n`, { end: true, responses: 1 });
    expect(responses.map((r) => [r.status, r.text])).toEqual([[200, 'late but whole']]);
    await server.stop();
  });

  it('stop() closes what is left after its deadline', async () => {
    const server = createServer({ port: 0, log: { print: false }, routes: [{ path: '/forever', handler: () => new Promise(() => {}) }] });
    const [{ port }] = await server.listen();
    const socket = await connect(port);
    socket.write(`GET /forever HTTP/1.1\r\n${H}\r\n`);
    await sleep(20);
    const started = Date.now();
    await server.stop(150);
    expect(Date.now() - started).toBeLessThan(1500);
    socket.destroy();
  });

  it('listen() resolves with the bound addresses and rejects when it cannot bind', async () => {
    const a = await startServer({ routes: [hello] });
    expect(a.server.addresses[0]).toMatchObject({ host: '127.0.0.1', family: 'IPv4', secure: false });
    const b = createServer({ port: a.port, log: { print: false } });
    await expect(b.listen()).rejects.toThrow(/EADDRINUSE/);
  });

  it.each([
    [{ port: 70000 }, /"port" must be an integer/],
    [{ port: 'x' as unknown as number }, /"port"/],
    [{ nonsense: 1 } as object, /unknown option "nonsense"/],
    [{ limits: { body: -1 } }, /"limits\.body" must be a positive number/],
    [{ limits: { bogus: 1 } } as object, /unknown option "limits\.bogus"/],
    [{ accessLog: 'fancy' } as object, /"accessLog"/],
    [{ serverHeader: 'a\r\nb' }, /"serverHeader"/],
    [{ routes: [{ path: 'x', handler: () => ({}) }] }, /must start with "\/"/],
    [{ routes: [{ path: '/x' }] }, /exactly one of handler or component/],
  ])('refuses bad options at construction: %j', (options, message) => {
    expect(() => createServer(options as never)).toThrow(message);
  });

  it('a connection whose client vanishes mid-request costs nothing afterwards', async () => {
    const before = snapshot();
    const server = createServer({ port: 0, log: { print: false }, routes: [echo] });
    const [{ port }] = await server.listen();
    for (let i = 0; i < 20; i++) {
      const socket = await connect(port);
      socket.write(`POST /echo HTTP/1.1\r\n${H}Content-Length: 1000\r\n\r\nabc`);
      await sleep(5);
      socket.destroy();
    }
    await waitFor(() => server.tcp.connectionCount === 0);
    await server.stop();
    await expectNoLeaks(before);
  });
});

describe('text bodies', () => {
  it('readText decodes UTF-8', async () => {
    const { port } = await startServer({
      routes: [{ path: '/t', methods: ['POST'], handler: async (r) => ({ body: (await readText(r.body)).toUpperCase() }) }],
    });
    expect((await request(port, { method: 'POST', path: '/t', body: 'h\u00e9llo' })).text).toBe('H\u00c9LLO');
  });
});

describe('handler time limit', () => {
  it('a handler that never answers gets a 504, and the connection carries on', async () => {
    const server = await startServer({
      timeouts: { handler: 100 },
      routes: [{ path: '/hang', handler: () => new Promise(() => {}) }, hello],
    });
    const started = Date.now();
    const got = await raw(server.port, `GET /hang HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(got.responses.map((r) => r.status)).toEqual([504, 200]);
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor(() => server.logs.errors!.some((r) => /^504 GET \/hang .*did not answer within 100 ms/.test(r.message)));
  });

  it('a handler component that never answers is stopped, and what it held is released', async () => {
    let released = 0;
    class Stuck extends HttpHandler {
      protected main(): void {
        this.own(() => released++);
        this.on('inbox', () => {});
      }
    }
    const { port } = await startServer({ timeouts: { handler: 100 }, routes: [{ path: '/stuck', component: () => new Stuck() }] });
    expect((await request(port, { path: '/stuck' })).status).toBe(504);
    expect(released).toBe(1);
  });

  it('a client that leaves while its handler hangs costs nothing after the deadline', async () => {
    const before = snapshot();
    const server = createServer({
      port: 0,
      log: { print: false },
      timeouts: { handler: 100 },
      routes: [{ path: '/hang', handler: () => new Promise(() => {}) }],
    });
    const [{ port }] = await server.listen();
    const socket = await connect(port);
    socket.write(`GET /hang HTTP/1.1\r\n${H}\r\n`);
    await sleep(20);
    socket.end();
    await waitFor(() => server.tcp.connectionCount === 0, 3000);
    socket.destroy();
    await server.stop();
    await expectNoLeaks(before);
  });

  it('a slow answer within the limit is not cut, and a long body may stream past it', async () => {
    const { port } = await startServer({
      timeouts: { handler: 150 },
      routes: [
        { path: '/slowish', handler: async () => (await sleep(50), { body: 'in time' }) },
        {
          path: '/stream',
          handler: () => ({
            body: (async function* () {
              for (let i = 0; i < 4; i++) {
                await sleep(60);
                yield `${i}`;
              }
            })(),
          }),
        },
      ],
    });
    expect((await request(port, { path: '/slowish' })).text).toBe('in time');
    expect((await request(port, { path: '/stream' })).text).toBe('0123');
  });
});
