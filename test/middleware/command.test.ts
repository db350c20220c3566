/**
 * The built-in stages from the command line and from a configuration file:
 * the flags as parsed, and the command serving with them (and with the same
 * options in a JSON file) over real sockets.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, parseArgs } from '../../src/cli/args.js';
import { flags } from '../../src/cli/flags.js';
import { withMiddlewareFlags } from '../../src/cli/flags-middleware.js';
import { startCommand, runCommand } from '../helpers/cli.js';
import { makeTree } from '../helpers/fixture-tree.js';
import { request } from '../helpers/http.js';

const parse = (argv: string[]) => withMiddlewareFlags(parseArgs(argv, flags).options);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the flags', () => {
  it.each([
    [['--auth', '/admin/=users'], { auth: [{ prefix: '/admin/', file: 'users' }] }],
    [
      ['--auth', '/a=x', '--auth', '/b=y', '--auth-realm', 'Staff'],
      {
        auth: [
          { prefix: '/a', file: 'x', realm: 'Staff' },
          { prefix: '/b', file: 'y', realm: 'Staff' },
        ],
      },
    ],
    [['--cors', 'https://a.example', '--cors', 'https://*.b.example'], { cors: { origins: ['https://a.example', 'https://*.b.example'] } }],
    [['--cors', '*'], { cors: { origins: '*' } }],
    [['--cors', 'https://a.example', '--cors-credentials'], { cors: { origins: ['https://a.example'], credentials: true } }],
    [['--rate-limit', '100/s,burst=200'], { rateLimit: '100/s,burst=200' }],
    [
      ['--redirect', '/old=/new', '--redirect', '/a/(.*)=https://b.example/$1', '--redirect-status', '308'],
      {
        redirects: [
          { from: '/old', to: '/new', status: 308 },
          { from: '/a/(.*)', to: 'https://b.example/$1', status: 308 },
        ],
      },
    ],
    [['--rewrite', '/u/(\\w+)=/user.php?name=$1'], { rewrites: [{ from: '/u/(\\w+)', to: '/user.php?name=$1' }] }],
    [['--spa'], { static: { spa: true } }],
    [
      ['--vhost', 'a.example=./a', '--vhost', '*.b.example=./b'],
      {
        vhosts: [
          { host: 'a.example', root: './a' },
          { host: '*.b.example', root: './b' },
        ],
      },
    ],
    [['--security-headers'], { securityHeaders: true }],
  ])('%j', (argv, expected) => expect(parse(argv)).toEqual(expected));

  it.each([
    [['--auth', '/admin/'], /--auth needs NAME=VALUE/],
    [['--auth-realm', 'x'], /give --auth too/],
    [['--cors', '*', '--cors', 'https://a.example'], /give it alone/],
    [['--cors', 'https://a.example', '--cors', '*'], /give it alone/],
    [['--cors-credentials'], /needs --cors ORIGIN/],
    [['--redirect-status', '301'], /give --redirect too/],
    [['--redirect-status', '200', '--redirect', '/a=/b'], /--redirect-status must be from 300/],
    [['--spa=yes'], /--spa takes no value/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(CliError);
    expect(() => parse(argv)).toThrow(message);
  });
});

/** A site with every stage's part in it: files, a users file, hosts. */
function site() {
  const dir = makeTree({
    root: { 'index.html': '<app>', 'page.txt': 'page', admin: { 'index.html': 'secret' } },
    other: { 'index.html': 'other host' },
  });
  const users = path.join(dir, 'users');
  execFileSync('htpasswd', ['-cbB', users, 'ann', 'pw'], { stdio: 'ignore' });
  return { dir, users, root: path.join(dir, 'root'), other: path.join(dir, 'other') };
}

async function exercise(port: number): Promise<void> {
  const html = 'text/html';
  const app = 'https://app.example';
  // SPA fallback and a vhost.
  expect((await request(port, { path: '/deep/route', headers: { accept: html } })).text).toBe('<app>');
  expect((await request(port, { path: '/', headers: { host: 'www.other.test' } })).text).toBe('other host');
  // Redirect, rewrite.
  const moved = await request(port, { path: '/old/page.txt' });
  expect([moved.status, moved.headers.location]).toEqual([308, '/page.txt']);
  expect((await request(port, { path: '/p' })).text).toBe('page');
  // Authentication, CORS and security headers on the same answers.
  const refused = await request(port, { path: '/admin/', headers: { origin: app } });
  expect([refused.status, refused.headers['www-authenticate'], refused.headers['access-control-allow-origin']]).toEqual([
    401,
    'Basic realm="Staff", charset="UTF-8"',
    app,
  ]);
  const admitted = await request(port, { path: '/admin/', headers: { authorization: basic('ann', 'pw') } });
  expect([admitted.status, admitted.text, admitted.headers['x-content-type-options']]).toEqual([200, 'secret', 'nosniff']);
  const pre = await request(port, { method: 'OPTIONS', path: '/admin/', headers: { origin: app, 'access-control-request-method': 'GET' } });
  expect([pre.status, pre.headers['access-control-allow-credentials']]).toEqual([204, 'true']);
  // And last the rate limit: 6 requests so far against a burst of 10 (CORS, before it, answered the preflight).
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await request(port, { path: '/page.txt' })).status);
  expect(statuses).toEqual([200, 200, 200, 200, 429]);
}

describe('the command', () => {
  it('serves with every stage from its flags', async () => {
    const s = site();
    const boxwire = await startCommand([
      '--port',
      '0',
      '--root',
      s.root,
      '--spa',
      '--vhost',
      `*.other.test=${s.other}`,
      '--redirect',
      '/old/(.*)=/$1',
      '--redirect-status',
      '308',
      '--rewrite',
      '/p=/page.txt',
      '--auth',
      `/admin/=${s.users}`,
      '--auth-realm',
      'Staff',
      '--cors',
      'https://app.example',
      '--cors-credentials',
      '--security-headers',
      '--rate-limit',
      '1/m,burst=10',
    ]);
    try {
      await exercise(boxwire.port);
    } finally {
      expect(await boxwire.stop()).toBe(0);
    }
  });

  it('serves with the same options from a configuration file', async () => {
    const s = site();
    const config = path.join(s.dir, 'boxwire.json');
    writeFileSync(
      config,
      JSON.stringify({
        root: s.root,
        static: { spa: true },
        vhosts: [{ host: '*.other.test', root: s.other }],
        redirects: [{ from: '/old/(.*)', to: '/$1', status: 308 }],
        rewrites: [{ from: '/p', to: '/page.txt' }],
        auth: [{ prefix: '/admin/', file: s.users, realm: 'Staff' }],
        cors: { origins: ['https://app.example'], credentials: true },
        securityHeaders: true,
        rateLimit: { rate: 1 / 60, burst: 10 },
      }),
    );
    const boxwire = await startCommand(['--config', config, '--port', '0']);
    try {
      await exercise(boxwire.port);
    } finally {
      expect(await boxwire.stop()).toBe(0);
    }
  });

  it('exits 2 naming what is wrong: an unreadable users file, a bad rate', async () => {
    const missing = runCommand(['--port', '0', '--auth', '/a=/nonexistent/users']);
    expect(await missing.exited).toBe(2);
    expect(missing.err()).toMatch(/option "auth\[0\]": cannot read the users file \/nonexistent\/users/);
    const rate = runCommand(['--port', '0', '--rate-limit', 'lots']);
    expect(await rate.exited).toBe(2);
    expect(rate.err()).toMatch(/"lots" is not a rate/);
  });
});
