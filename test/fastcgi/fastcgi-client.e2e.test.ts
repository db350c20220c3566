/**
 * The FastCGI client against a FastCGI application written for the test
 * (fake-app.ts), which shows what reaches it record by record and answers
 * well or badly: connections kept and reused, FCGI_GET_VALUES and
 * multiplexing, the meta-variables and the body, time limits and
 * FCGI_ABORT_REQUEST, protocol statuses, and connections that misbehave.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FcgiRole, FcgiType } from '../../src/http/fastcgi-records.js';
import type { FastCgiOptions } from '../../components/fastcgi/options.js';
import { request, sleep, startServer, waitFor, type TestServer } from '../helpers/http.js';
import { FakeApp, type FakeRequest } from './fake-app.js';

const apps: FakeApp[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function fakeApp(handler?: (request: FakeRequest) => void): Promise<FakeApp> {
  const app = await new FakeApp(handler).listen();
  apps.push(app);
  return app;
}

/** A server sending every request under /app/ to the application. */
function serve(app: FakeApp | string, options: FastCgiOptions = {}): Promise<TestServer> {
  const address = typeof app === 'string' ? app : app.address;
  return startServer({ fastcgi: [{ prefix: '/app/', address }], fastcgiOptions: options });
}

const text = (path: string, s: TestServer, init?: RequestInit) =>
  fetch(s.url + path, init).then(async (r) => [r.status, await r.text()] as const);

describe('FastCGI: connections', () => {
  it('one connection, kept open (FCGI_KEEP_CONN) and reused; FCGI_GET_VALUES asked once, in the first write', async () => {
    const app = await fakeApp();
    const s = await serve(app);
    for (let i = 0; i < 5; i++) expect(await text('/app/x', s)).toEqual([200, 'ok']);
    expect(app.connections).toHaveLength(1);
    expect(app.requests.map((r) => [r.keepConn, r.role])).toEqual(Array.from({ length: 5 }, () => [true, FcgiRole.responder]));
    // Each request on the connection has an id of its own: a late record of an old one cannot pass for the new one's.
    expect(new Set(app.requests.map((r) => r.id)).size).toBe(5);
    expect(app.seen(FcgiType.getValues)).toHaveLength(1);
    expect(app.records[0]!.type).toBe(FcgiType.getValues);
  });

  it('several requests on one connection when the application says it multiplexes', async () => {
    const held: FakeRequest[] = [];
    const app = await fakeApp((r) => {
      // The first request lets the pool hear what the application said of itself.
      if (r.params.PATH_INFO === '/first') return r.reply('Content-Type: text/plain', 'ok');
      held.push(r);
      // Answers only once all three are in: they can only all be in on one connection if it multiplexes.
      if (held.length === 3) for (const h of held) h.reply('Content-Type: text/plain', `id ${h.id}`);
    });
    app.values = { FCGI_MPXS_CONNS: '1', FCGI_MAX_REQS: '10' };
    const s = await serve(app, { connections: 1 });
    expect(await text('/app/first', s)).toEqual([200, 'ok']);
    const answers = await Promise.all([1, 2, 3].map(() => text('/app/x', s)));
    expect(answers.map(([status]) => status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map(([, body]) => body)).size).toBe(3);
    expect(app.connections).toHaveLength(1);
    expect(s.logs.monitor.some((r) => r.message.includes('multiplexes'))).toBe(true);
  });

  it('one request at a time per connection otherwise: the next waits its turn', async () => {
    let busy = 0;
    let most = 0;
    const app = await fakeApp((r) => {
      busy++;
      most = Math.max(most, busy);
      setTimeout(() => {
        busy--;
        r.reply('Content-Type: text/plain', 'ok');
      }, 50);
    });
    const s = await serve(app, { connections: 1 });
    const answers = await Promise.all([1, 2, 3, 4].map(() => text('/app/x', s)));
    expect(answers).toEqual(Array.from({ length: 4 }, () => [200, 'ok']));
    expect(most).toBe(1);
    expect(app.connections).toHaveLength(1);
  });

  it('beyond the cap and the queue: 503 with Retry-After', async () => {
    const app = await fakeApp((r) => setTimeout(() => r.reply('Content-Type: text/plain', 'ok'), 300));
    const s = await serve(app, { connections: 1, queue: 1 });
    const answers = await Promise.all([1, 2, 3].map(() => fetch(`${s.url}/app/x`)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 503]);
    expect(answers.find((r) => r.status === 503)!.headers.get('retry-after')).toBe('1');
    expect(s.logs.monitor.some((r) => r.message.includes('refused'))).toBe(true);
  });

  it('a kept-open connection the application closed under a new request: tried once more, on a fresh connection', async () => {
    let n = 0;
    const app = await fakeApp((r) => {
      n++;
      // The second request finds the connection gone before any answer (a php-fpm child at pm.max_requests).
      if (n === 2) r.socket.destroy();
      else r.reply('Content-Type: text/plain', `answer ${n}`);
    });
    const s = await serve(app);
    expect(await text('/app/x', s)).toEqual([200, 'answer 1']);
    expect(await text('/app/x', s)).toEqual([200, 'answer 3']);
    expect(app.connections).toHaveLength(2);
  });

  it('nobody listening: 502 at once', async () => {
    const s = await serve('unix:/nonexistent/boxwire-fastcgi.sock');
    const started = performance.now();
    const response = await fetch(`${s.url}/app/x`);
    expect(response.status).toBe(502);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(s.logs.monitor.some((r) => r.message.includes('cannot connect'))).toBe(true);
  });

  it('a connection that cannot be made in time: 504', async () => {
    // A listener whose accept queue is full: a connection to it is never completed (SYNs are dropped).
    const python = spawn('/usr/bin/python3', [
      '-c',
      [
        'import socket, sys, time',
        's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
        'fill = [socket.socket() for _ in range(3)]',
        'for f in fill: f.setblocking(False); f.connect_ex(s.getsockname())',
        'print(s.getsockname()[1], flush=True)',
        'time.sleep(30)',
      ].join('\n'),
    ]);
    try {
      const port = await new Promise<string>((resolve) => python.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
      const s = await serve(`127.0.0.1:${port}`, { connectTimeout: 300 });
      const started = performance.now();
      const response = await fetch(`${s.url}/app/x`);
      expect(response.status).toBe(504);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      python.kill('SIGKILL');
    }
  });
});

describe('FastCGI: what the application is given', () => {
  it('the CGI meta-variables as FCGI_PARAMS, the body as FCGI_STDIN, none of the server environment', async () => {
    const app = await fakeApp((r) => r.reply('Content-Type: text/plain', `${r.stdin.length}`));
    const s = await serve(app, { params: { APP_SETTING: 'on' } });
    const body = randomBytes(3 * 1024 * 1024);
    const response = await fetch(`${s.url}/app/a/b%20c?q=1`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/octet-stream', Authorization: 'Basic dTpw', 'X-Custom': 'x' },
    });
    expect(await response.text()).toBe(String(body.length));
    const r = app.requests[0]!;
    expect(r.stdin.equals(body)).toBe(true);
    expect(r.params).toMatchObject({
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: 'POST',
      SCRIPT_NAME: '/app',
      PATH_INFO: '/a/b c',
      QUERY_STRING: 'q=1',
      REQUEST_URI: '/app/a/b%20c?q=1',
      CONTENT_LENGTH: String(body.length),
      CONTENT_TYPE: 'application/octet-stream',
      HTTP_AUTHORIZATION: 'Basic dTpw',
      HTTP_X_CUSTOM: 'x',
      REDIRECT_STATUS: '200',
      APP_SETTING: 'on',
      SERVER_SOFTWARE: 'boxwire',
    });
    expect(r.params.PATH).toBeUndefined();
    expect(r.params.HOME).toBeUndefined();
  });

  it("FCGI_STDERR goes to the errors channel, line by line; the application's exit status too", async () => {
    const app = await fakeApp((r) => {
      r.stderr('first line\nsecond ');
      r.stderr('line\n');
      r.stdout('Content-Type: text/plain\r\n\r\nok').end(3);
    });
    const s = await serve(app);
    expect(await text('/app/x', s)).toEqual([200, 'ok']);
    const lines = s.logs.errors.map((l) => l.message);
    expect(lines.some((m) => m.endsWith('/app: first line'))).toBe(true);
    expect(lines.some((m) => m.endsWith('/app: second line'))).toBe(true);
    expect(lines.some((m) => m.includes('ended with status 3'))).toBe(true);
  });

  it('the response head through the CGI parser: Status, Location, and 502 for a bad one', async () => {
    const heads: Record<string, string> = {
      '/app/status': 'Status: 201 Created\r\nContent-Type: text/plain',
      '/app/client': 'Location: https://example.com/',
      '/app/bad': 'Not a header line',
      '/app/none': 'X-Only: this',
    };
    const app = await fakeApp((r) => r.reply(heads[`/app${r.params.PATH_INFO}`]!, 'body'));
    const s = await serve(app);
    const created = await fetch(`${s.url}/app/status`);
    expect(created.status).toBe(201);
    // Read whole with its head: sent whole, with its length.
    expect(created.headers.get('content-length')).toBe('4');
    const client = await fetch(`${s.url}/app/client`, { redirect: 'manual' });
    expect([client.status, client.headers.get('location')]).toEqual([302, 'https://example.com/']);
    expect((await fetch(`${s.url}/app/bad`)).status).toBe(502);
    expect((await fetch(`${s.url}/app/none`)).status).toBe(502);
    // The application had ended those requests: nothing was aborted, and the one connection goes on.
    expect(app.seen(FcgiType.abortRequest)).toEqual([]);
    expect((await fetch(`${s.url}/app/status`)).status).toBe(201);
    expect(app.connections).toHaveLength(1);
  });

  it('FCGI_END_REQUEST statuses: overloaded is a 503, an unknown role a 502', async () => {
    const app = await fakeApp((r) => r.end(0, r.params.PATH_INFO === '/busy' ? 2 : 3));
    const s = await serve(app);
    const busy = await fetch(`${s.url}/app/busy`);
    expect([busy.status, busy.headers.get('retry-after')]).toEqual([503, '1']);
    expect((await fetch(`${s.url}/app/role`)).status).toBe(502);
  });
});

describe('FastCGI: time limits and aborts', () => {
  it('a slow application: 504 at the head timeout, and FCGI_ABORT_REQUEST; once it has ended the request, the connection is closed', async () => {
    const app = await fakeApp(() => {});
    const s = await serve(app, { headTimeout: 300 });
    const started = performance.now();
    expect((await fetch(`${s.url}/app/slow`)).status).toBe(504);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await waitFor(() => app.seen(FcgiType.abortRequest).length === 1);
    expect(app.seen(FcgiType.abortRequest)[0]!.id).toBe(app.requests[0]!.id);
    expect(app.requests[0]!.aborted).toBe(true);
    // Answered (FCGI_END_REQUEST): the connection is not reused after an abort (php-fpm would close it).
    await waitFor(() => app.connections[0]!.ended, 3_000);
    app.handler = (r) => r.reply('Content-Type: text/plain', 'ok');
    expect(await text('/app/next', s)).toEqual([200, 'ok']);
    expect(app.connections).toHaveLength(2);
    expect(s.logs.monitor.some((r) => r.message.includes('no response head within 300 ms'))).toBe(true);
  });

  it('an application that does not end an aborted request: its connection is closed, never reused', async () => {
    const app = await fakeApp(() => {});
    app.onAbort = undefined;
    const s = await serve(app, { headTimeout: 200, abortGrace: 200 });
    expect((await fetch(`${s.url}/app/slow`)).status).toBe(504);
    await waitFor(() => app.connections[0]!.ended, 3_000);
    app.handler = (r) => r.reply('Content-Type: text/plain', 'ok');
    expect(await text('/app/next', s)).toEqual([200, 'ok']);
    expect(app.connections).toHaveLength(2);
  });

  it('a response that comes in parts streams, chunked, as it comes', async () => {
    const app = await fakeApp((r) => {
      r.stdout('Content-Type: text/plain\r\n\r\nfirst ');
      setTimeout(() => r.stdout('second').end(), 100);
    });
    const s = await serve(app);
    const response = await fetch(`${s.url}/app/parts`);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(await response.text()).toBe('first second');
  });

  it('a client that goes away: FCGI_ABORT_REQUEST', async () => {
    const app = await fakeApp((r) => {
      r.stdout('Content-Type: text/plain\r\n\r\nfirst part');
      // More now and then: the server finds the client gone when it next writes to it.
      const more = setInterval(() => (r.aborted || r.socket.destroyed ? clearInterval(more) : r.stdout('.')), 20);
    });
    const s = await serve(app);
    const controller = new AbortController();
    const response = await fetch(`${s.url}/app/stream`, { signal: controller.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^first part/);
    controller.abort();
    await waitFor(() => app.seen(FcgiType.abortRequest).length === 1, 3_000);
  });

  it('an application that stalls after the head: the response is cut short at the read timeout, the connection closed', async () => {
    const app = await fakeApp((r) => r.stdout('Content-Type: text/plain\r\n\r\nsome'));
    const s = await serve(app, { readTimeout: 300 });
    const response = await fetch(`${s.url}/app/stall`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    await waitFor(() => app.connections[0]!.ended, 3_000);
    expect(s.logs.monitor.some((r) => r.message.includes('no word from the application for 300 ms'))).toBe(true);
  });
});

describe('FastCGI: a connection that misbehaves is closed, never reused', () => {
  const cases: [string, (r: FakeRequest) => void][] = [
    ['a record of another FastCGI version', (r) => r.socket.write(Buffer.from([2, 6, 0, 1, 0, 0, 0, 0]))],
    ['a record for a request that is not running', (r) => r.socket.write(Buffer.from([1, 6, 0, 9, 0, 1, 7, 0, 0x41, 0, 0, 0, 0, 0, 0, 0]))],
    ['a request record where a response belongs', (r) => r.socket.write(Buffer.from([1, 5, 0, r.id, 0, 0, 0, 0]))],
    ['a malformed FCGI_END_REQUEST', (r) => r.socket.write(Buffer.from([1, 3, 0, r.id, 0, 1, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]))],
  ];
  for (const [name, misbehave] of cases) {
    it(`${name}: 502, and the next request gets a new connection`, async () => {
      let n = 0;
      const app = await fakeApp((r) => (++n === 1 ? misbehave(r) : r.reply('Content-Type: text/plain', 'ok')));
      const s = await serve(app);
      expect((await fetch(`${s.url}/app/x`)).status).toBe(502);
      await waitFor(() => app.connections[0]!.ended, 3_000);
      expect(await text('/app/x', s)).toEqual([200, 'ok']);
      expect(app.connections).toHaveLength(2);
      expect(s.logs.monitor.some((r) => r.message.includes('connection closed'))).toBe(true);
    });
  }

  it('an application that closes the connection half way through a response: the response is cut short', async () => {
    const app = await fakeApp((r) => {
      r.stdout(`Content-Type: text/plain\r\n\r\n${'x'.repeat(1000)}`);
      setTimeout(() => r.socket.destroy(), 50);
    });
    const s = await serve(app);
    const raw = await request(s.port, { path: '/app/x' }).catch((error: Error) => error);
    // Chunked, with no last chunk: the client cannot take it for a whole response.
    expect(raw instanceof Error || !raw.text.endsWith('0\r\n\r\n')).toBe(true);
    const response = await fetch(`${s.url}/app/x`);
    await expect(response.text()).rejects.toThrow();
  });
});

describe('FastCGI: the server stopping', () => {
  it('closes its connections', async () => {
    const app = await fakeApp();
    const s = await serve(app);
    expect(await text('/app/x', s)).toEqual([200, 'ok']);
    await s.server.stop(200);
    await waitFor(() => app.connections[0]!.ended, 3_000);
    await sleep(10);
    expect(s.server.fastcgi[0]!.pool.status.connections).toBe(0);
  });
});

describe('FastCGI: reloads and the status page', () => {
  it('a reload with the same applications keeps their connections; another application replaces them, and the old pool stops', async () => {
    const first = await fakeApp((r) => r.reply('Content-Type: text/plain', 'first'));
    const second = await fakeApp((r) => r.reply('Content-Type: text/plain', 'second'));
    const options = { fastcgi: [{ prefix: '/app/', address: first.address }] };
    const s = await startServer(options);
    expect(await text('/app/x', s)).toEqual([200, 'first']);
    const name = s.server.fastcgi[0]!.app.name;
    expect(s.server.counters.snapshot().gauges[`fastcgi ${name}`]).toEqual({ connections: 1, busy: 0, idle: 1, queued: 0 });
    const pool = s.server.fastcgi[0]!.pool;
    s.server.reload(options);
    expect(s.server.fastcgi[0]!.pool).toBe(pool);
    s.server.reload({ fastcgi: [{ prefix: '/app/', address: second.address }] });
    expect(s.server.fastcgi[0]!.pool).not.toBe(pool);
    // New connections go to the new application (fetch's kept connection is on the old site: a new one is used).
    expect((await request(s.port, { path: '/app/x' })).text).toBe('second');
    await waitFor(() => pool.state === 'stopped', 5_000);
    await waitFor(() => first.connections[0]!.ended, 3_000);
  });
});
