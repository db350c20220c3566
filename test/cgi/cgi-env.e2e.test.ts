/**
 * The environment real scripts get, over real sockets: every RFC 3875
 * meta-variable for paths with and without PATH_INFO and query strings,
 * httpoxy, Authorization, and the server's own environment kept out.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, request } from '../helpers/http.js';
import { fixtures, startCgi } from './setup.js';

interface EnvDump {
  env: Record<string, string>;
  argv: string[];
  cwd: string;
}

async function dump(port: number, init: Parameters<typeof request>[1]): Promise<EnvDump> {
  const response = await request(port, init);
  expect(response.status, response.text).toBe(200);
  return JSON.parse(response.text) as EnvDump;
}

const secret = 'BOXWIRE_TEST_SECRET';
beforeAll(() => {
  process.env[secret] = 'do not pass me on';
});
afterAll(() => {
  delete process.env[secret];
});

describe('CGI environment (RFC 3875 §4.1) over a real socket', () => {
  it('without PATH_INFO or query', async () => {
    const { port } = await startCgi();
    const { env, argv, cwd } = await dump(port, {
      path: '/cgi-bin/env.py',
      headers: { host: 'example.test:8080', 'user-agent': 'tester/1' },
    });
    const script = resolve(fixtures, 'env.py');
    expect(env).toMatchObject({
      GATEWAY_INTERFACE: 'CGI/1.1',
      QUERY_STRING: '',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_HOST: '127.0.0.1',
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/cgi-bin/env.py',
      SERVER_NAME: 'example.test',
      SERVER_PORT: String(port),
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_SOFTWARE: 'boxwire',
      REQUEST_URI: '/cgi-bin/env.py',
      SCRIPT_FILENAME: script,
      SERVER_ADDR: '127.0.0.1',
      REDIRECT_STATUS: '200',
      HTTP_HOST: 'example.test:8080',
      HTTP_USER_AGENT: 'tester/1',
      HTTP_CONNECTION: 'close',
    });
    for (const unset of [
      'PATH_INFO',
      'PATH_TRANSLATED',
      'CONTENT_LENGTH',
      'CONTENT_TYPE',
      'AUTH_TYPE',
      'REMOTE_USER',
      'REMOTE_IDENT',
      'HTTPS',
    ]) {
      expect(env[unset], unset).toBeUndefined();
    }
    expect(Number(env.REMOTE_PORT)).toBeGreaterThan(0);
    // No document root: the working directory (a script needs one there).
    expect(env.DOCUMENT_ROOT).toBe(resolve('.'));
    // RFC 3875 §7.2: the script's directory; no arguments.
    expect(cwd).toBe(fixtures.replace(/\/$/, ''));
    expect(argv).toEqual([]);
  });

  it('with PATH_INFO and a query string', async () => {
    const { port } = await startCgi({ documentRoot: '/srv/www' });
    const { env } = await dump(port, { path: '/cgi-bin/env.py/a%20dir/b%2Cc.txt?x=1&y=%C3%A9+z' });
    expect(env).toMatchObject({
      SCRIPT_NAME: '/cgi-bin/env.py',
      // Decoded once, by the parser; an encoded slash is a slash.
      PATH_INFO: '/a dir/b,c.txt',
      PATH_TRANSLATED: '/srv/www/a dir/b,c.txt',
      QUERY_STRING: 'x=1&y=%C3%A9+z',
      REQUEST_URI: '/cgi-bin/env.py/a%20dir/b%2Cc.txt?x=1&y=%C3%A9+z',
      DOCUMENT_ROOT: '/srv/www',
    });
  });

  it('with a query string and no PATH_INFO, HTTP/1.0 and no Host', async () => {
    const { port } = await startCgi();
    const { responses } = await raw(port, 'GET /cgi-bin/env.py?just-a-query HTTP/1.0\r\n\r\n');
    const { env } = JSON.parse(responses[0]!.text) as EnvDump;
    expect(env.QUERY_STRING).toBe('just-a-query');
    expect(env.PATH_INFO).toBeUndefined();
    expect(env.SERVER_PROTOCOL).toBe('HTTP/1.0');
    expect(env.SERVER_NAME).toBe('127.0.0.1');
    expect(env.HTTP_HOST).toBeUndefined();
  });

  it('for a script in a subdirectory, with a trailing-slash PATH_INFO', async () => {
    const { port } = await startCgi();
    const response = await request(port, { path: '/cgi-bin/sub/deep.sh/more/' });
    expect(response.text).toBe('/cgi-bin/sub/deep.sh|/more/\n');
  });

  it('with a body: CONTENT_LENGTH and CONTENT_TYPE', async () => {
    const { port } = await startCgi();
    const { env } = await dump(port, {
      method: 'POST',
      path: '/cgi-bin/env.py',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'hello',
    });
    expect(env).toMatchObject({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '5', CONTENT_TYPE: 'text/plain; charset=utf-8' });
    expect(env.HTTP_CONTENT_LENGTH).toBeUndefined();
    expect(env.HTTP_CONTENT_TYPE).toBeUndefined();
  });

  it('keeps out Proxy (httpoxy), Authorization and fields with underscores', async () => {
    const { port } = await startCgi();
    const { env } = await dump(port, {
      path: '/cgi-bin/env.py',
      headers: {
        proxy: 'http://evil.example:3128',
        authorization: 'Basic YWxpY2U6c2VjcmV0',
        'proxy-authorization': 'Basic eDp5',
        'x-real': 'yes',
        x_real: 'forged',
      },
    });
    expect(env.HTTP_PROXY).toBeUndefined();
    expect(env.HTTP_AUTHORIZATION).toBeUndefined();
    expect(env.HTTP_PROXY_AUTHORIZATION).toBeUndefined();
    expect(env.AUTH_TYPE).toBeUndefined();
    expect(env.REMOTE_USER).toBeUndefined();
    expect(env.HTTP_X_REAL).toBe('yes');
  });

  it("passes Authorization when told to, and AUTH_TYPE/REMOTE_USER from the server's own authentication", async () => {
    const { port } = await startCgi({
      passAuthorization: true,
      authenticate: (req) => (req.headers.get('x-test-user') ? { type: 'Basic', user: req.headers.get('x-test-user')! } : undefined),
    });
    const { env } = await dump(port, {
      path: '/cgi-bin/env.py',
      headers: { authorization: 'Bearer t0k3n', 'x-test-user': 'alice', proxy: 'http://evil.example' },
    });
    expect(env.HTTP_AUTHORIZATION).toBe('Bearer t0k3n');
    expect(env.AUTH_TYPE).toBe('Basic');
    expect(env.REMOTE_USER).toBe('alice');
    expect(env.HTTP_PROXY).toBeUndefined();
  });

  it("gives only the allow-list of the server's environment, and the administrator's variables", async () => {
    const { port } = await startCgi({ env: { APP_MODE: 'test', HTTP_X_FIXED: 'admin' }, passEnv: ['HOME'] });
    const response = await request(port, { path: '/cgi-bin/env0.sh', headers: { 'x-fixed': 'client' } });
    const env = Object.fromEntries(
      response.body
        .toString('utf8')
        .split('\0')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    ) as Record<string, string>;
    expect(env[secret]).toBeUndefined();
    expect(env.APP_MODE).toBe('test');
    expect(env.HTTP_X_FIXED).toBe('admin');
    expect(env.PATH).toBe(process.env.PATH);
    expect(env.HOME).toBe(process.env.HOME);
    const inherited = Object.keys(process.env).filter((n) => ['LANG', 'LANGUAGE', 'TZ', 'TMPDIR'].includes(n) || n.startsWith('LC_'));
    const expected = [
      'APP_MODE',
      'DOCUMENT_ROOT',
      'GATEWAY_INTERFACE',
      'HOME',
      'PATH',
      'QUERY_STRING',
      'REDIRECT_STATUS',
      'REMOTE_ADDR',
      'REMOTE_HOST',
      'REMOTE_PORT',
      'REQUEST_METHOD',
      'REQUEST_URI',
      'SCRIPT_FILENAME',
      'SCRIPT_NAME',
      'SERVER_ADDR',
      'SERVER_NAME',
      'SERVER_PORT',
      'SERVER_PROTOCOL',
      'SERVER_SOFTWARE',
      'HTTP_HOST',
      'HTTP_CONNECTION',
      'HTTP_X_FIXED',
      'PWD', // the shell sets it
      ...inherited,
    ];
    expect(Object.keys(env).sort()).toEqual(expected.sort());
  });

  it('never passes the query as arguments ("?-s" once made php-cgi show its source)', async () => {
    const { port } = await startCgi();
    const { argv, env } = await dump(port, { path: '/cgi-bin/env.py?-s+-d+foo' });
    expect(argv).toEqual([]);
    expect(env.QUERY_STRING).toBe('-s+-d+foo');
  });

  it('runs a single program mapped at a prefix, with the rest as PATH_INFO', async () => {
    const { port } = await startCgi({}, { cgi: [{ prefix: '/app', path: resolve(fixtures, 'env.py') }] });
    const { env } = await dump(port, { path: '/app/users/7?q=1' });
    expect(env).toMatchObject({
      SCRIPT_NAME: '/app',
      PATH_INFO: '/users/7',
      QUERY_STRING: 'q=1',
      SCRIPT_FILENAME: resolve(fixtures, 'env.py'),
    });
    const root = await dump(port, { path: '/app' });
    expect(root.env.PATH_INFO).toBeUndefined();
    expect(root.env.SCRIPT_NAME).toBe('/app');
  });
});
