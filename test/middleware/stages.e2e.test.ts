/**
 * CORS, rate limiting, redirects, rewrites and security headers over real
 * sockets, each placed each way: the server's options, a server-wide
 * `before` (or `after`), a route's own `before`, and an edit of the
 * connection plan by name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cors } from '../../components/cors.js';
import { rateLimit } from '../../components/rate-limit.js';
import { redirect } from '../../components/redirect.js';
import type { Route } from '../../components/request-router.js';
import { requestStage } from '../../components/request-stage.js';
import { rewrite } from '../../components/rewrite.js';
import { securityHeaders } from '../../components/security-headers.js';
import { raw, request, sleep, startServer } from '../helpers/http.js';

const echo: Route = {
  path: '*',
  methods: ['GET', 'POST', 'PUT'],
  handler: (req) => ({ body: `${req.method} ${req.path}${req.query ? `?${req.query}` : ''}` }),
};
const app = 'https://app.example.com';

describe('CORS', () => {
  it('answers preflights, marks every response from an allowed origin, errors included, and says Vary: Origin', async () => {
    const { port, logs } = await startServer({
      routes: [echo],
      cors: { origins: [app, 'https://*.example.org'], credentials: true, exposeHeaders: ['X-Total'] },
    });
    const pre = await request(port, {
      method: 'OPTIONS',
      path: '/api',
      headers: { origin: app, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-token' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers).toMatchObject({
      'access-control-allow-origin': app,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'x-token',
      'access-control-max-age': '600',
    });
    expect(pre.headers.vary).toMatch(/Origin/);
    const get = await request(port, { path: '/api', headers: { origin: 'https://a.example.org' } });
    expect([get.status, get.text, get.headers['access-control-allow-origin'], get.headers.vary]).toEqual([
      200,
      'GET /api',
      'https://a.example.org',
      'Origin',
    ]);
    expect(get.headers['access-control-expose-headers']).toBe('X-Total');
    // The router's 405 carries them too.
    const refusedMethod = await request(port, { method: 'DELETE', path: '/api', headers: { origin: app } });
    expect([refusedMethod.status, refusedMethod.headers['access-control-allow-origin']]).toEqual([405, app]);
    const stranger = await request(port, { path: '/api', headers: { origin: 'https://evil.com' } });
    expect([stranger.status, stranger.headers['access-control-allow-origin'], stranger.headers.vary]).toEqual([200, undefined, 'Origin']);
    const strangerPre = await request(port, {
      method: 'OPTIONS',
      path: '/api',
      headers: { origin: 'https://evil.com', 'access-control-request-method': 'GET' },
    });
    expect(strangerPre.status).toBe(403);
    expect(logs.errors!.some((r) => /403 OPTIONS \/api .*origin not allowed: "https:\/\/evil.com"/.test(r.message))).toBe(true);
    expect((await request(port, { path: '/api' })).headers.vary).toBe('Origin');
  });

  it('with "*": any origin, no credentials, no Vary; and refuses "*" with credentials when made', async () => {
    const { port } = await startServer({ routes: [echo], cors: '*' });
    const r = await request(port, { path: '/', headers: { origin: 'https://anyone.example' } });
    expect([r.headers['access-control-allow-origin'], r.headers['access-control-allow-credentials'], r.headers.vary]).toEqual([
      '*',
      undefined,
      undefined,
    ]);
    await expect(startServer({ cors: { origins: '*', credentials: true } })).rejects.toThrow(
      /credentials are allowed only with named origins/,
    );
    await expect(startServer({ cors: ['app.example.com'] })).rejects.toThrow(/not an origin/);
    expect(() => cors({ origins: [] })).toThrow(/non-empty list/);
  });

  it("as a server-wide stage, a route's own, and a plan edit", async () => {
    const routes: Route[] = [
      { path: '/r/*', before: [cors([app])], handler: () => ({ body: 'r' }) },
      { path: '/plain', handler: () => ({ body: 'plain' }) },
    ];
    const a = await startServer({ routes });
    expect((await request(a.port, { path: '/r/x', headers: { origin: app } })).headers['access-control-allow-origin']).toBe(app);
    expect((await request(a.port, { path: '/plain', headers: { origin: app } })).headers['access-control-allow-origin']).toBeUndefined();
    const pre = await request(a.port, {
      method: 'OPTIONS',
      path: '/r/x',
      headers: { origin: app, 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(204);
    const b = await startServer({ routes: [echo], before: [cors([app])] });
    expect((await request(b.port, { path: '/', headers: { origin: app } })).headers['access-control-allow-origin']).toBe(app);
    const c = await startServer({
      routes: [echo],
      connection: (plan) =>
        plan.insert('cors', cors([app]), { after: 'parser', before: 'router', links: [['cors.answer', 'errorPage.inbox']] }),
    });
    const cp = await request(c.port, { method: 'OPTIONS', path: '/', headers: { origin: app, 'access-control-request-method': 'GET' } });
    expect([cp.status, cp.headers['access-control-allow-origin']]).toEqual([204, app]);
  });
});

describe('rate limiting', () => {
  it('lets a burst through, then answers 429 with Retry-After, on one connection and across them', async () => {
    const { port, logs } = await startServer({ routes: [echo], rateLimit: '2/s,burst=3' });
    const get = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
    const { responses } = await raw(port, `${get.repeat(4)}GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    expect(responses[3]!.headers['retry-after']).toBe('1');
    // Another connection from the same address shares the bucket.
    expect((await request(port)).status).toBe(429);
    expect(logs.errors!.some((r) => /429 GET \/ HTTP\/1.1 from 127.0.0.1: rate limit: 127.0.0.1 must wait 1 s/.test(r.message))).toBe(true);
    await sleep(600);
    expect((await request(port)).status).toBe(200);
  });

  it("as a server-wide stage, a route's own, and a plan edit; after a stage that rewrites the client", async () => {
    // A stand-in for trusted-proxy resolution: the client named by a field becomes request.connection.
    const proxy = () =>
      requestStage((req) => {
        const real = req.headers.get('x-client');
        return real ? { ...req, connection: { ...req.connection, remoteAddress: real } } : req;
      });
    const a = await startServer({ routes: [echo], before: [proxy, rateLimit({ rate: 1, burst: 1 })] });
    const as = (client: string) => request(a.port, { headers: { 'x-client': client } });
    expect([(await as('192.0.2.1')).status, (await as('192.0.2.1')).status, (await as('192.0.2.2')).status]).toEqual([200, 429, 200]);
    // IPv6 clients share their /64.
    expect([(await as('2001:db8::1')).status, (await as('2001:db8::2')).status, (await as('2001:db8:0:1::1')).status]).toEqual([
      200, 429, 200,
    ]);
    const limited = rateLimit('1/m');
    const b = await startServer({ routes: [{ path: '/login', before: [limited], handler: () => ({ body: 'in' }) }, echo] });
    expect([(await request(b.port, { path: '/login' })).status, (await request(b.port, { path: '/login' })).status]).toEqual([200, 429]);
    expect((await request(b.port, { path: '/other' })).status).toBe(200);
    const c = await startServer({
      routes: [echo],
      connection: (plan) =>
        plan.insert('limit', rateLimit('1/m'), { after: 'parser', before: 'router', links: [['limit.answer', 'errorPage.inbox']] }),
    });
    expect([(await request(c.port)).status, (await request(c.port)).status]).toEqual([200, 429]);
    await expect(startServer({ rateLimit: '100/d' })).rejects.toThrow(/option "rateLimit": "100\/d" is not a rate/);
    await expect(startServer({ rateLimit: { rate: 0 } })).rejects.toThrow(/rateLimit.rate/);
  });
});

describe('redirects and rewrites', () => {
  it('redirect with the status asked for, groups and query, before rewrites and authentication', async () => {
    const { port } = await startServer({
      routes: [echo],
      redirects: [
        { from: '/old', to: '/new' },
        { from: '/blog/(.*)', to: 'https://blog.example.com/$1', status: 301 },
        { from: '/keep/(.*)', to: '/kept/$1', status: 308 },
        { from: '/x(.*)', to: '/$1' },
      ],
      rewrites: [{ from: '/old', to: '/rewritten' }],
    });
    const a = await request(port, { path: '/old?a=1' });
    expect([a.status, a.headers.location, a.text]).toEqual([302, '/new?a=1', 'Moved to /new?a=1\n']);
    const b = await request(port, { path: '/blog/2024/h%C3%A9llo' });
    expect([b.status, b.headers.location]).toEqual([301, 'https://blog.example.com/2024/h%C3%A9llo']);
    const c = await request(port, { method: 'POST', path: '/keep/it', body: 'x' });
    expect([c.status, c.headers.location]).toEqual([308, '/kept/it']);
    // No open redirect through "//".
    const d = await request(port, { path: '/x/evil.example' });
    expect(d.headers.location).toBe('/evil.example');
    const head = await raw(port, 'HEAD /old HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { methods: ['HEAD'] });
    expect([head.responses[0]!.status, head.responses[0]!.body.length]).toEqual([302, 0]);
  });

  it('rewrite the path before routing, once, and authentication sees the new path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boxwire-rewrite-'));
    const file = join(dir, 'users');
    execFileSync('htpasswd', ['-cbs', file, 'ann', 'pw'], { stdio: 'ignore' });
    const routes: Route[] = [
      { path: '/admin/*', handler: (req) => ({ body: `admin ${req.path} ${req.identity?.user}` }) },
      { path: '/users', handler: (req) => ({ body: `users ${req.query}` }) },
      echo,
    ];
    try {
      const { port, logs } = await startServer({
        routes,
        rewrites: [
          { from: '/u/(?<name>\\w+)', to: '/users?name=$<name>' },
          { from: '/a', to: '/b' },
          { from: '/b', to: '/c' },
          { from: '/public/(.*)', to: '/admin/$1' },
        ],
        auth: [{ file, prefix: '/admin/' }],
      });
      expect((await request(port, { path: '/u/ann?x=1' })).text).toBe('users name=ann&x=1');
      expect((await request(port, { path: '/a' })).text).toBe('GET /b');
      // A rewrite into the protected area is no way round the password.
      expect((await request(port, { path: '/public/panel' })).status).toBe(401);
      const authorization = `Basic ${Buffer.from('ann:pw').toString('base64')}`;
      expect((await request(port, { path: '/public/panel', headers: { authorization } })).text).toBe('admin /admin/panel ann');
      // The access log keeps the request line as sent.
      expect(logs.requests!.some((r) => r.message.includes('"GET /public/panel HTTP/1.1"'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("as a server-wide stage, a route's own, and a plan edit", async () => {
    const a = await startServer({
      routes: [echo],
      before: [rewrite([{ from: '/v1/(.*)', to: '/$1' }]), redirect([{ from: '/gone', to: '/here', status: 307 }])],
    });
    expect((await request(a.port, { path: '/v1/users' })).text).toBe('GET /users');
    expect((await request(a.port, { path: '/gone' })).status).toBe(307);
    const b = await startServer({
      routes: [
        {
          path: '/docs/*',
          before: [redirect([{ from: '/docs/old', to: '/docs/new', status: 301 }])],
          handler: (req) => ({ body: req.path }),
        },
        echo,
      ],
    });
    expect((await request(b.port, { path: '/docs/old' })).headers.location).toBe('/docs/new');
    expect((await request(b.port, { path: '/old' })).status).toBe(200);
    const c = await startServer({
      routes: [echo],
      connection: (plan) => plan.insert('rw', rewrite([{ from: '/(.*)\\.html', to: '/$1' }]), { after: 'parser', before: 'router' }),
    });
    expect((await request(c.port, { path: '/page.html' })).text).toBe('GET /page');
    await expect(startServer({ redirects: [{ from: '/(', to: '/x' }] })).rejects.toThrow(
      /option "redirects\[0\]": .*not a regular expression/,
    );
    await expect(startServer({ redirects: [{ from: '/a', to: '/x', status: 304 as never }] })).rejects.toThrow(/redirects\[0\].status/);
    await expect(startServer({ rewrites: [{ from: '/a', to: '/$1' }] })).rejects.toThrow(/rewrites\[0\].*\$1/);
  });
});

describe('security headers', () => {
  it('go on every response, errors included, where the handler did not set them; no HSTS over plain HTTP', async () => {
    const routes: Route[] = [
      { path: '/', handler: () => ({ body: 'hi' }) },
      { path: '/framed', handler: () => ({ headers: { 'X-Frame-Options': 'ALLOWALL' }, body: 'f' }) },
    ];
    const { port } = await startServer({ routes, securityHeaders: true });
    for (const path of ['/', '/missing']) {
      const r = await request(port, { path });
      expect(r.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'x-frame-options': 'SAMEORIGIN',
      });
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
    expect((await request(port, { path: '/framed' })).headers['x-frame-options']).toBe('ALLOWALL');
    // As a server option it sees every response: a stage's own answer, and the parser's refusal.
    const limited = await startServer({ routes, securityHeaders: true, rateLimit: '1/m' });
    await request(limited.port);
    const tooMany = await request(limited.port);
    expect([tooMany.status, tooMany.headers['x-content-type-options']]).toEqual([429, 'nosniff']);
    const { responses } = await raw(limited.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect([responses[0]!.status, responses[0]!.headers['x-content-type-options']]).toEqual([400, 'nosniff']);
    expect(limited.server.connectionPlan.links).toContainEqual(['errorPage.outbox', 'securityHeaders.inbox']);
    const b = await startServer({ routes, after: [securityHeaders({ frameOptions: 'DENY', referrerPolicy: false })] });
    const r = await request(b.port);
    expect([r.headers['x-frame-options'], r.headers['referrer-policy']]).toEqual(['DENY', undefined]);
    const c = await startServer({
      routes,
      connection: (plan) => plan.insert('sec', securityHeaders(), { after: 'errorPage', before: 'responder' }),
    });
    expect((await request(c.port)).headers['x-content-type-options']).toBe('nosniff');
    await expect(startServer({ securityHeaders: { frameOptions: 'ALLOW' as never } })).rejects.toThrow(/securityHeaders.frameOptions/);
  });

  it('add Strict-Transport-Security on TLS interfaces only', async () => {
    const pem = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)));
    const { server } = await startServer({
      interfaces: [
        { host: '127.0.0.1', port: 0, tls: { key: pem('server-key.pem'), cert: pem('server.pem') } },
        { host: '127.0.0.1', port: 0 },
      ],
      routes: [{ path: '/', handler: () => ({ body: 'hi' }) }],
      securityHeaders: { hsts: { maxAge: 600, includeSubDomains: true } },
    });
    const [secure, plain] = server.addresses;
    const sts = await new Promise<string | undefined>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port: secure!.port, path: '/', ca: pem('ca.pem'), servername: 'localhost', agent: false }, (res) => {
          res.resume();
          resolve(res.headers['strict-transport-security']);
        })
        .on('error', reject);
    });
    expect(sts).toBe('max-age=600; includeSubDomains');
    expect((await request(plain!.port)).headers['strict-transport-security']).toBeUndefined();
  });
});
