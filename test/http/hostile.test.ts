/**
 * What hostile or odd clients find, over real sockets: an empty Host,
 * CONNECT sent to a server that is no proxy, a request-line that is one long
 * method, and Upgrade asked of routes that cannot switch protocols (CGI
 * scripts, WSGI applications on threads and in Python processes): each gets
 * a plain answer, and no script or application is told it could switch.
 */
import { describe, expect, it } from 'vitest';
import { raw, request, startServer } from '../helpers/http.js';
import { startCgi } from '../cgi/setup.js';
import { pythonServer } from '../helpers/python.js';
import { fixture, wsgiServer } from '../helpers/wsgi.js';

const upgrade = {
  upgrade: 'websocket',
  connection: 'keep-alive, Upgrade, HTTP2-Settings',
  'http2-settings': 'AAMAAABkAAQAAP__',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

describe('Host', () => {
  it('an empty Host with an origin-form target is a 400 (RFC 9112 §3.2), before any handler runs', async () => {
    let called = 0;
    const { port, logs } = await startServer({ routes: [{ path: '*', handler: () => (called++, { body: 'ran' }) }] });
    const { responses, closed } = await raw(port, 'GET / HTTP/1.1\r\nHost:\r\n\r\n');
    expect([responses[0]!.status, closed, called]).toEqual([400, true, 0]);
    expect(logs.errors.some((r) => r.message.includes('empty Host'))).toBe(true);
  });
});

describe('CONNECT', () => {
  it('is 501 for a server with no route that declares it, even one whose routes take every method', async () => {
    let called = 0;
    const { port } = await startServer({
      routes: [{ path: '*', handler: () => (called++, { body: 'ran' }) }],
      wsgi: [`/=${fixture('pep3333.mjs')}`],
      pool: { minThreads: 1 },
    });
    const { responses } = await raw(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { responses: 1 });
    expect(responses[0]!.status).toBe(501);
    expect(called).toBe(0);
  });

  it('never reaches an application mounted at /, nor a CGI script by a path as its target', async () => {
    const { port } = await wsgiServer({ wsgi: [`/=${fixture('pep3333.mjs')}`] });
    expect((await raw(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 })).responses[0]!.status).toBe(501);
    const cgi = await startCgi();
    // RFC 9110 §9.3.6: CONNECT's target is host:port; a path is a malformed request, never REQUEST_METHOD=CONNECT.
    const { responses } = await raw(cgi.port, 'CONNECT /cgi-bin/env.py HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(responses[0]!.status).toBe(400);
  });

  it('goes to a route that declares it', async () => {
    const { port } = await startServer({
      routes: [
        { path: '*', handler: () => ({ body: 'ordinary' }) },
        { path: '*', methods: ['CONNECT'], handler: (r) => ({ body: `tunnel to ${r.host}:${r.hostPort}` }) },
      ],
    });
    const { responses } = await raw(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { responses: 1 });
    expect([responses[0]!.status, responses[0]!.text]).toEqual([200, 'tunnel to example.com:443']);
  });
});

describe('a request-line that is one long method', () => {
  it('is 501 (RFC 9112 §3), not 414, whether or not its line ends', async () => {
    const { port } = await startServer({ routes: [{ path: '*', handler: () => ({ body: 'ran' }) }] });
    expect((await raw(port, `${'M'.repeat(9000)} / HTTP/1.1\r\nHost: x\r\n\r\n`)).responses[0]!.status).toBe(501);
    expect((await raw(port, 'M'.repeat(100))).responses[0]!.status).toBe(501);
    expect((await raw(port, `${'M'.repeat(65)} / HTTP/1.1\r\nHost: x\r\n\r\n`)).responses[0]!.status).toBe(501);
  });
});

describe('Upgrade to a route that cannot switch protocols', () => {
  it('a CGI script answers it as an ordinary request, and is not told of the upgrade', async () => {
    const { port } = await startCgi();
    const res = await request(port, { path: '/cgi-bin/env.py', headers: upgrade });
    expect(res.status).toBe(200);
    const { env } = JSON.parse(res.text) as { env: Record<string, string> };
    expect(env.HTTP_UPGRADE).toBeUndefined();
    expect(env.HTTP_HTTP2_SETTINGS).toBeUndefined();
    expect(env.HTTP_CONNECTION).toBe('keep-alive');
    expect(env.HTTP_SEC_WEBSOCKET_KEY).toBe(upgrade['sec-websocket-key']);
  });

  it('an nph- script that says 101 gets the client a 502, never a 101', async () => {
    const { port } = await startCgi();
    const { bytes, responses } = await raw(
      port,
      'GET /cgi-bin/nph-upgrade.sh HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      {
        responses: 1,
      },
    );
    expect(bytes.toString('latin1')).not.toMatch(/^HTTP\/1\.1 101/);
    expect(responses[0]!.status).toBe(502);
  });

  it('a WSGI application on a thread answers it as an ordinary request, its environ without the upgrade', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { path: '/app/environ', headers: { ...upgrade, connection: 'Upgrade' } });
    expect(res.status).toBe(200);
    const env = JSON.parse(res.text) as Record<string, unknown>;
    expect([env.HTTP_UPGRADE, env.HTTP_HTTP2_SETTINGS, env.HTTP_CONNECTION]).toEqual([undefined, undefined, undefined]);
  });

  it('a Python application answers it as an ordinary request, its environ without the upgrade', async () => {
    const { port } = await pythonServer();
    const res = await request(port, { path: '/py/environ', headers: upgrade });
    expect(res.status).toBe(200);
    const env = JSON.parse(res.text) as Record<string, unknown>;
    expect([env.HTTP_UPGRADE, env.HTTP_HTTP2_SETTINGS, env.HTTP_CONNECTION]).toEqual([undefined, undefined, 'keep-alive']);
  });
});
