/**
 * Basic authentication over real sockets, with users from a file written by
 * Apache's own htpasswd (apache2-utils): bcrypt, Apache MD5 and SHA-1; wrong
 * passwords, unknown users and malformed Authorization fields; the file read
 * again when it changes; the checks on their own thread; and who the user
 * is, as CGI scripts and WSGI applications see it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../../components/auth/basic-auth.js';
import { hashLane } from '../../components/auth/hash-lane.js';
import type { Route } from '../../components/request-router.js';
import { raw, request, sleep, startServer, waitFor } from '../helpers/http.js';
import { startCgi } from '../cgi/setup.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const whoami: Route = {
  path: '*',
  handler: (req) => ({ body: `${req.path} ${req.identity ? `${req.identity.type}:${req.identity.user}` : '-'}` }),
};

let dir: string;
let file: string;
const htpasswd = (...args: string[]) => execFileSync('htpasswd', args, { stdio: 'ignore' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'boxwire-auth-'));
  file = join(dir, 'users');
  htpasswd('-cbB', file, 'alice', 'wönder land');
  htpasswd('-bm', file, 'bob', 'b0b:pass');
  htpasswd('-bs', file, 'carol', 'ç-utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('basic authentication, from the server option', () => {
  it('lets each kind of user in with the right password, marked with who they are, and no one else', async () => {
    const { port, logs } = await startServer({ routes: [whoami], auth: [{ file, prefix: '/admin/', realm: 'Admin area' }] });
    for (const [user, password] of [
      ['alice', 'wönder land'],
      ['bob', 'b0b:pass'],
      ['carol', 'ç-utf8'],
    ]) {
      const ok = await request(port, { path: '/admin/x', headers: { authorization: basic(user!, password!) } });
      expect([ok.status, ok.text]).toEqual([200, `/admin/x Basic:${user}`]);
      const wrong = await request(port, { path: '/admin/x', headers: { authorization: basic(user!, `${password}!`) } });
      expect([wrong.status, wrong.headers['www-authenticate']]).toEqual([401, 'Basic realm="Admin area", charset="UTF-8"']);
    }
    const unknown = await request(port, { path: '/admin/', headers: { authorization: basic('mallory', 'wönder land') } });
    expect(unknown.status).toBe(401);
    const errors = logs.errors!.map((r) => r.message);
    expect(errors.some((m) => /401 GET \/admin\/x .*wrong password for "bob"/.test(m))).toBe(true);
    expect(errors.some((m) => /unknown user "mallory"/.test(m))).toBe(true);
  });

  it('asks only under its prefix, at a segment boundary', async () => {
    const { port } = await startServer({ routes: [whoami], auth: [{ file, prefix: '/admin/' }] });
    expect((await request(port, { path: '/open' })).text).toBe('/open -');
    expect((await request(port, { path: '/administrator' })).status).toBe(200);
    expect((await request(port, { path: '/admin' })).status).toBe(401);
    expect((await request(port, { path: '/admin/deep/er' })).status).toBe(401);
    // The path is the decoded, normalised one: no way round by dots or encoding.
    expect((await request(port, { path: '/open/../admin/x' })).status).toBe(401);
    expect((await request(port, { path: '/%61dmin/x' })).status).toBe(401);
    expect((await request(port, { path: '//admin/x' })).status).toBe(401);
  });

  it('answers malformed Authorization fields 401 with the challenge, and says why', async () => {
    const { port, logs } = await startServer({ routes: [whoami], auth: [{ file }] });
    const cases: [string | undefined, RegExp][] = [
      [undefined, /no credentials/],
      ['Bearer abc.def', /another scheme/],
      ['Basic', /no credentials/],
      ['Basic !!!notbase64', /not base64/],
      [`Basic ${Buffer.from('alicewönder land').toString('base64')}`, /no colon/],
      [`Basic ${'QUFB'.repeat(2500)}`, /longer than 1024/],
      [`Basic ${Buffer.from('alice:wönder\nland').toString('base64')}`, /control character/],
    ];
    for (const [field, reason] of cases) {
      const r = await request(port, { path: '/x', headers: field === undefined ? {} : { authorization: field } });
      expect([r.status, r.headers['www-authenticate']]).toEqual([401, 'Basic realm="Restricted", charset="UTF-8"']);
      expect(logs.errors!.at(-1)!.message).toMatch(reason);
    }
    // The server goes on serving: the right credentials still work.
    expect((await request(port, { path: '/x', headers: { authorization: basic('carol', 'ç-utf8') } })).status).toBe(200);
  });

  it('keeps a keep-alive connection going across refusals, and follows a change of credentials on it', async () => {
    const { port } = await startServer({ routes: [whoami], auth: [{ file }] });
    const get = (auth?: string, close = false) =>
      `GET /k HTTP/1.1\r\nHost: x\r\n${auth ? `Authorization: ${auth}\r\n` : ''}${close ? 'Connection: close\r\n' : ''}\r\n`;
    const { responses } = await raw(
      port,
      get(basic('bob', 'b0b:pass')) +
        get(basic('bob', 'b0b:pass')) +
        get(basic('bob', 'nope')) +
        get() +
        get(basic('alice', 'wönder land')) +
        get(basic('alice', 'wönder land'), true),
    );
    expect(responses.map((r) => [r.status, r.status === 200 ? r.text : ''])).toEqual([
      [200, '/k Basic:bob'],
      [200, '/k Basic:bob'],
      [401, ''],
      [401, ''],
      [200, '/k Basic:alice'],
      [200, '/k Basic:alice'],
    ]);
  });

  it('checks bcrypt on its own thread, once per user and password, and the event loop goes on meanwhile', async () => {
    const slowFile = join(dir, 'slow');
    htpasswd('-cbBC12', slowFile, 'dave', 'slow one');
    const { port } = await startServer({ routes: [whoami], auth: [{ file: slowFile, prefix: '/slow/' }] });
    const checksBefore = hashLane.checks;
    const started = performance.now();
    const slow = request(port, { path: '/slow/a', headers: { authorization: basic('dave', 'slow one') } });
    // While bcrypt (cost 12: hundreds of ms) runs, a request outside the prefix is answered at once.
    await sleep(20);
    const quick = await request(port, { path: '/fast' });
    const quickAt = performance.now() - started;
    const answered = await slow;
    const slowAt = performance.now() - started;
    expect([answered.status, quick.status]).toEqual([200, 200]);
    expect(quickAt).toBeLessThan(slowAt);
    expect(hashLane.running).toBe(true);
    // Remembered: the same credentials on a new connection cost no check; a wrong password does.
    expect((await request(port, { path: '/slow/b', headers: { authorization: basic('dave', 'slow one') } })).status).toBe(200);
    expect(hashLane.checks - checksBefore).toBe(1);
    expect((await request(port, { path: '/slow/b', headers: { authorization: basic('dave', 'slow onE') } })).status).toBe(401);
    expect(hashLane.checks - checksBefore).toBe(2);
  });

  it('reads the file again when it changes, and fails closed while it cannot be read', async () => {
    const live = join(dir, 'live');
    htpasswd('-cbs', live, 'erin', 'first');
    const { port, logs } = await startServer({ routes: [whoami], auth: [{ file: live, recheck: 0 }] });
    const as = (user: string, password: string) => request(port, { path: '/p', headers: { authorization: basic(user, password) } });
    expect((await as('erin', 'first')).status).toBe(200);
    htpasswd('-bs', live, 'erin', 'second');
    htpasswd('-bB', live, 'frank', 'new here');
    expect((await as('erin', 'first')).status).toBe(401);
    expect((await as('erin', 'second')).status).toBe(200);
    expect((await as('frank', 'new here')).status).toBe(200);
    // An editor's way: a new file renamed over the old one.
    writeFileSync(`${live}.new`, 'frank:{SHA}hKc+M0WUMn5/Y+B2Ttu5kfiQPSI=\neve:T83tbQX7Nx5wk\n');
    renameSync(`${live}.new`, live);
    expect((await as('erin', 'second')).status).toBe(401);
    // What the new reading skipped is in the errors log.
    await waitFor(() =>
      logs.errors!.some((r) => /basic auth: .*live: line 2: "eve" has a hash of a kind not taken \(crypt\(3\) DES\)/.test(r.message)),
    );
    expect((await as('eve', 'evepass')).status).toBe(401);
    rmSync(live);
    const gone = await as('frank', 'new here');
    expect(gone.status).toBe(500);
    expect(logs.errors!.some((r) => /cannot read the users file .*live/.test(r.message))).toBe(true);
    htpasswd('-cbm', live, 'gina', 'back');
    expect((await as('gina', 'back')).status).toBe(200);
  });

  it('refuses, when the server is made, a file that cannot be read and options that are wrong', async () => {
    await expect(startServer({ auth: [{ file: join(dir, 'missing') }] })).rejects.toThrow(/option "auth\[0\]": cannot read the users file/);
    await expect(startServer({ auth: [{ file, realm: 'a\nb' }] })).rejects.toThrow(/auth\[0\].realm/);
    await expect(startServer({ auth: [{ file, prefix: 'admin' }] })).rejects.toThrow(/auth\[0\].prefix/);
    await expect(startServer({ auth: [{ file, colour: 'red' } as never] })).rejects.toThrow(/unknown option "auth\[0\].colour"/);
    expect(() => basicAuth({ file: '' })).toThrow(/basicAuth.file/);
  });
});

describe('basic authentication, placed in each way', () => {
  it('as a server-wide request stage (before)', async () => {
    const { port } = await startServer({ routes: [whoami], before: [basicAuth({ file, prefix: '/p' })] });
    expect((await request(port, { path: '/p' })).status).toBe(401);
    expect((await request(port, { path: '/p', headers: { authorization: basic('bob', 'b0b:pass') } })).text).toBe('/p Basic:bob');
  });

  it("as a route's own stage", async () => {
    const guard = basicAuth({ file, realm: 'Route' });
    const routes: Route[] = [
      { path: '/admin/*', before: [guard], handler: (req) => ({ body: `admin ${req.identity?.user}` }) },
      { path: '/open', handler: () => ({ body: 'open' }) },
    ];
    const { port } = await startServer({ routes });
    const refused = await request(port, { path: '/admin/x' });
    expect([refused.status, refused.headers['www-authenticate']]).toEqual([401, 'Basic realm="Route", charset="UTF-8"']);
    expect((await request(port, { path: '/admin/x', headers: { authorization: basic('carol', 'ç-utf8') } })).text).toBe('admin carol');
    expect((await request(port, { path: '/open' })).text).toBe('open');
  });

  it('by an edit of the connection plan, by name', async () => {
    const { port, server } = await startServer({
      routes: [whoami],
      connection: (plan) =>
        plan.insert('auth', basicAuth({ file }), {
          after: 'parser',
          before: 'router',
          links: [
            ['auth.answer', 'errorPage.inbox'],
            ['auth.log', 'self.log'],
          ],
        }),
    });
    expect(server.connectionPlan.children.map((c) => c.name)).toContain('auth');
    expect((await request(port, { path: '/z' })).status).toBe(401);
    expect((await request(port, { path: '/z', headers: { authorization: basic('alice', 'wönder land') } })).text).toBe('/z Basic:alice');
  });
});

describe('who the user is, as gateways see it', () => {
  it('CGI scripts get AUTH_TYPE and REMOTE_USER, and never the password', async () => {
    const { port } = await startCgi({}, { auth: [{ file, prefix: '/cgi-bin/' }] });
    const r = await request(port, { path: '/cgi-bin/env.py', headers: { authorization: basic('bob', 'b0b:pass') } });
    expect(r.status).toBe(200);
    const env = (JSON.parse(r.text) as { env: Record<string, string> }).env;
    expect([env.AUTH_TYPE, env.REMOTE_USER, env.HTTP_AUTHORIZATION]).toEqual(['Basic', 'bob', undefined]);
    expect((await request(port, { path: '/cgi-bin/env.py' })).status).toBe(401);
  });

  it('a WSGI application gets AUTH_TYPE and REMOTE_USER in its environ', async () => {
    const app = new URL('../fixtures/wsgi/pep3333.mjs', import.meta.url).pathname;
    const { port } = await startServer({
      wsgi: [`/app/=${app}`],
      pool: { minThreads: 1, maxThreads: 1 },
      auth: [{ file, prefix: '/app/' }],
    });
    const r = await request(port, { path: '/app/environ', headers: { authorization: basic('carol', 'ç-utf8') } });
    const env = JSON.parse(r.text) as Record<string, string>;
    expect([env.AUTH_TYPE, env.REMOTE_USER]).toEqual(['Basic', 'carol']);
  });
});
