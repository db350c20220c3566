import { describe, expect, it } from 'vitest';
import {
  cgiEnvironment,
  defaultInheritedEnv,
  envValue,
  type CgiEnvSettings,
  type CgiRequestFacts,
  type CgiScript,
} from '../../src/http/cgi-env.js';
import { headerVariable } from '../../src/http/gateway-variables.js';
import type { ConnectionInfo } from '../../src/core/connection-info.js';
import type { HttpRequest } from '../../src/http/messages.js';
import { parseRequestHead } from '../../src/http/parse-head.js';
import { RequestBody } from '../../src/http/request-body.js';

const connection: ConnectionInfo = {
  id: 1,
  remoteAddress: '192.0.2.7',
  remotePort: 51234,
  localAddress: '127.0.0.1',
  localPort: 8080,
  family: 'IPv4',
  secure: false,
};

/** A request as the parser makes it, from a head (without its final blank line). */
function requestOf(head: string, conn: ConnectionInfo = connection): HttpRequest {
  const parsed = parseRequestHead(head, { maxHeaders: 100, maxBody: 1e9 });
  if (!parsed.ok) throw new Error(parsed.reason);
  const h = parsed.head;
  return {
    type: 'request',
    seq: 0,
    method: h.method,
    target: h.target,
    path: h.path,
    rawPath: h.rawPath,
    query: h.query,
    version: h.version,
    headers: h.headers,
    host: h.host,
    hostPort: h.hostPort,
    connection: conn,
    body: h.framing.kind === 'none' ? undefined : new RequestBody(h.framing.kind === 'length' ? h.framing.length : undefined),
    keepAlive: h.keepAlive,
    received: 0,
  };
}

const settings: CgiEnvSettings = {
  serverSoftware: 'boxwire',
  documentRoot: '/srv/www',
  passAuthorization: false,
  inherit: defaultInheritedEnv,
  extra: {},
};
const script: CgiScript = { scriptName: '/cgi-bin/env.py', pathInfo: '', filename: '/srv/cgi/env.py' };
const noBody: CgiRequestFacts = {};
const serverEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/root',
  SECRET_TOKEN: 'hunter2',
  LANG: 'C.UTF-8',
  LC_ALL: 'C',
  LC_TIME: 'en_GB',
  TZ: 'UTC',
};

function env(
  head: string,
  overrides: {
    script?: Partial<CgiScript>;
    facts?: CgiRequestFacts;
    settings?: Partial<CgiEnvSettings>;
    conn?: ConnectionInfo;
    serverEnv?: Record<string, string>;
  } = {},
) {
  return cgiEnvironment(
    requestOf(head, overrides.conn),
    { ...script, ...overrides.script },
    overrides.facts ?? noBody,
    { ...settings, ...overrides.settings },
    overrides.serverEnv ?? serverEnv,
  );
}

describe('cgiEnvironment: RFC 3875 §4.1 meta-variables', () => {
  const get = 'GET /cgi-bin/env.py HTTP/1.1\r\nHost: example.org';

  // Each row: the request head, what differs about the script, and the variables expected (undefined: unset).
  const cases: [string, string, { script?: Partial<CgiScript>; facts?: CgiRequestFacts }, Record<string, string | undefined>][] = [
    [
      'a plain GET without PATH_INFO or query',
      get,
      {},
      {
        AUTH_TYPE: undefined,
        CONTENT_LENGTH: undefined,
        CONTENT_TYPE: undefined,
        GATEWAY_INTERFACE: 'CGI/1.1',
        PATH_INFO: undefined,
        PATH_TRANSLATED: undefined,
        QUERY_STRING: '',
        REMOTE_ADDR: '192.0.2.7',
        REMOTE_HOST: '192.0.2.7',
        REMOTE_IDENT: undefined,
        REMOTE_USER: undefined,
        REQUEST_METHOD: 'GET',
        SCRIPT_NAME: '/cgi-bin/env.py',
        SERVER_NAME: 'example.org',
        SERVER_PORT: '8080',
        SERVER_PROTOCOL: 'HTTP/1.1',
        SERVER_SOFTWARE: 'boxwire',
        REQUEST_URI: '/cgi-bin/env.py',
        SCRIPT_FILENAME: '/srv/cgi/env.py',
        DOCUMENT_ROOT: '/srv/www',
        REMOTE_PORT: '51234',
        SERVER_ADDR: '127.0.0.1',
        HTTPS: undefined,
        REDIRECT_STATUS: '200',
        HTTP_HOST: 'example.org',
      },
    ],
    [
      'PATH_INFO (decoded) and PATH_TRANSLATED under the document root; the query as sent',
      'GET /cgi-bin/env.py/a%20b/c?x=1&y=%41+b HTTP/1.1\r\nHost: example.org:8443',
      { script: { pathInfo: '/a b/c' } },
      {
        PATH_INFO: '/a b/c',
        PATH_TRANSLATED: '/srv/www/a b/c',
        QUERY_STRING: 'x=1&y=%41+b',
        SCRIPT_NAME: '/cgi-bin/env.py',
        SERVER_NAME: 'example.org',
        SERVER_PORT: '8080',
        REQUEST_URI: '/cgi-bin/env.py/a%20b/c?x=1&y=%41+b',
      },
    ],
    [
      'a query without PATH_INFO',
      'GET /cgi-bin/env.py?q HTTP/1.0\r\nHost: example.org',
      {},
      {
        PATH_INFO: undefined,
        PATH_TRANSLATED: undefined,
        QUERY_STRING: 'q',
        SERVER_PROTOCOL: 'HTTP/1.0',
        REQUEST_URI: '/cgi-bin/env.py?q',
      },
    ],
    [
      'a trailing slash is PATH_INFO',
      'GET /cgi-bin/env.py/ HTTP/1.1\r\nHost: example.org',
      { script: { pathInfo: '/' } },
      { PATH_INFO: '/', PATH_TRANSLATED: '/srv/www/' },
    ],
    [
      'a body: CONTENT_LENGTH and CONTENT_TYPE, not HTTP_CONTENT_*',
      'POST /cgi-bin/env.py HTTP/1.1\r\nHost: example.org\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11',
      {},
      {
        REQUEST_METHOD: 'POST',
        CONTENT_LENGTH: '11',
        CONTENT_TYPE: 'application/x-www-form-urlencoded',
        HTTP_CONTENT_LENGTH: undefined,
        HTTP_CONTENT_TYPE: undefined,
      },
    ],
    [
      'a chunked body read in full: its length, and no HTTP_TRANSFER_ENCODING',
      'POST /cgi-bin/env.py HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked',
      { facts: { bodyLength: 5 } },
      { CONTENT_LENGTH: '5', CONTENT_TYPE: undefined, HTTP_TRANSFER_ENCODING: undefined },
    ],
    [
      'a chunked body streamed: no CONTENT_LENGTH, the script reads to the end',
      'POST /cgi-bin/env.py HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain',
      {},
      { CONTENT_LENGTH: undefined, CONTENT_TYPE: 'text/plain' },
    ],
    [
      'an empty body: CONTENT_LENGTH 0',
      'POST /cgi-bin/env.py HTTP/1.1\r\nHost: example.org\r\nContent-Length: 0\r\nContent-Type: text/plain',
      {},
      { CONTENT_LENGTH: '0', CONTENT_TYPE: 'text/plain' },
    ],
    [
      'no body: no CONTENT_TYPE even when the field was sent',
      'GET /cgi-bin/env.py HTTP/1.1\r\nHost: example.org\r\nContent-Type: text/plain',
      {},
      { CONTENT_LENGTH: undefined, CONTENT_TYPE: undefined },
    ],
    [
      'an identity the server established: AUTH_TYPE and REMOTE_USER',
      get,
      { facts: { identity: { type: 'Basic', user: 'alice' } } },
      { AUTH_TYPE: 'Basic', REMOTE_USER: 'alice' },
    ],
    [
      'credentials the server did not check set neither AUTH_TYPE nor REMOTE_USER',
      `${get}\r\nAuthorization: Basic YWxpY2U6c2VjcmV0`,
      {},
      { AUTH_TYPE: undefined, REMOTE_USER: undefined, HTTP_AUTHORIZATION: undefined },
    ],
    [
      'an absolute-form target: the host from it, REQUEST_URI the path and query',
      'GET http://example.net/cgi-bin/env.py?a=b HTTP/1.1\r\nHost: example.org',
      {},
      { SERVER_NAME: 'example.net', REQUEST_URI: '/cgi-bin/env.py?a=b', QUERY_STRING: 'a=b' },
    ],
    [
      'an HTTP/1.0 request without Host: the local address',
      'GET /cgi-bin/env.py HTTP/1.0',
      {},
      { SERVER_NAME: '127.0.0.1', HTTP_HOST: undefined },
    ],
    [
      'a program mapped at a prefix: SCRIPT_NAME is the prefix',
      'GET /app/users/7 HTTP/1.1\r\nHost: example.org',
      { script: { scriptName: '/app', pathInfo: '/users/7', filename: '/usr/lib/app.cgi' } },
      { SCRIPT_NAME: '/app', PATH_INFO: '/users/7', SCRIPT_FILENAME: '/usr/lib/app.cgi', PATH_TRANSLATED: '/srv/www/users/7' },
    ],
  ];

  for (const [name, head, over, expected] of cases) {
    it(name, () => {
      const e = env(head, over);
      for (const [key, value] of Object.entries(expected)) expect(e[key], key).toBe(value);
    });
  }

  it('sets HTTPS on a TLS connection, and brackets an IPv6 local address as SERVER_NAME', () => {
    const e = env('GET /cgi-bin/env.py HTTP/1.0', {
      conn: { ...connection, secure: true, family: 'IPv6', localAddress: '::1', remoteAddress: '::1', localPort: 443 },
    });
    expect(e.HTTPS).toBe('on');
    expect(e.SERVER_NAME).toBe('[::1]');
    expect(e.SERVER_ADDR).toBe('::1');
    expect(e.SERVER_PORT).toBe('443');
  });

  it('shows an IPv4 peer on a dual-stack socket as a dotted quad', () => {
    const e = env(get, { conn: { ...connection, family: 'IPv6', remoteAddress: '::ffff:192.0.2.9' } });
    expect(e.REMOTE_ADDR).toBe('192.0.2.9');
    expect(e.REMOTE_HOST).toBe('192.0.2.9');
  });
});

describe('cgiEnvironment: HTTP_* variables (RFC 3875 §4.1.18)', () => {
  it('maps each field, joining repeats with ", " and cookies with "; "', () => {
    const e = env('GET /x HTTP/1.1\r\nHost: h\r\nAccept: text/html\r\nAccept: */*\r\nCookie: a=1\r\nCookie: b=2\r\nX-Custom-Thing: yes');
    expect(e.HTTP_ACCEPT).toBe('text/html, */*');
    expect(e.HTTP_COOKIE).toBe('a=1; b=2');
    expect(e.HTTP_X_CUSTOM_THING).toBe('yes');
  });

  it('drops Proxy (httpoxy) and Proxy-Authorization always, Authorization unless told to pass it', () => {
    const head =
      'GET /x HTTP/1.1\r\nHost: h\r\nProxy: http://evil.example:8080\r\nProxy-Authorization: Basic eDp5\r\nAuthorization: Bearer abc';
    const e = env(head);
    expect(e.HTTP_PROXY).toBeUndefined();
    expect(e.HTTP_PROXY_AUTHORIZATION).toBeUndefined();
    expect(e.HTTP_AUTHORIZATION).toBeUndefined();
    const passed = env(head, { settings: { passAuthorization: true } });
    expect(passed.HTTP_AUTHORIZATION).toBe('Bearer abc');
    expect(passed.HTTP_PROXY).toBeUndefined();
    expect(passed.HTTP_PROXY_AUTHORIZATION).toBeUndefined();
  });

  it('drops fields whose names would forge or collide with another variable', () => {
    const e = env('GET /x HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\nX_Forwarded_For: 6.6.6.6\r\nContent_Length: 99\r\nX.Dot: 1');
    expect(e.HTTP_X_FORWARDED_FOR).toBe('10.0.0.1');
    expect(e.HTTP_CONTENT_LENGTH).toBeUndefined();
    expect(Object.keys(e).filter((k) => k.startsWith('HTTP_X_DOT') || k.includes('.'))).toEqual([]);
  });

  it('never lets a header field override a meta-variable, an allow-listed or an administrator variable', () => {
    const e = env('GET /x HTTP/1.1\r\nHost: h\r\nX-Admin: from-client', { settings: { extra: { HTTP_X_ADMIN: 'from-admin' } } });
    expect(e.HTTP_X_ADMIN).toBe('from-admin');
  });

  it('passes UTF-8 field values byte for byte and other bytes as they came', () => {
    const utf8 = Buffer.from('café', 'utf8').toString('latin1');
    expect(envValue(utf8)).toBe('café');
    expect(envValue('caf\xe9')).toBe('caf\xe9');
    expect(envValue('plain')).toBe('plain');
  });

  const names: [string, string | undefined][] = [
    ['Accept-Language', 'HTTP_ACCEPT_LANGUAGE'],
    ['x-lower', 'HTTP_X_LOWER'],
    ['DNT', 'HTTP_DNT'],
    ['Proxy', undefined],
    ['PROXY', undefined],
    ['Authorization', undefined],
    ['Content-Type', undefined],
    ['X_Under', undefined],
    ['X!Bang', undefined],
  ];
  for (const [name, variable] of names)
    it(`header ${name} -> ${variable ?? '(dropped)'}`, () => expect(headerVariable(name)).toBe(variable));
});

describe("cgiEnvironment: the server's own environment", () => {
  it('passes only the allow-list, and the administrator variables', () => {
    const e = env('GET /x HTTP/1.1\r\nHost: h', { settings: { extra: { APP_MODE: 'production' } } });
    expect(e.PATH).toBe('/usr/bin:/bin');
    expect(e.LANG).toBe('C.UTF-8');
    expect(e.LC_ALL).toBe('C');
    expect(e.LC_TIME).toBe('en_GB');
    expect(e.TZ).toBe('UTC');
    expect(e.APP_MODE).toBe('production');
    expect(e.HOME).toBeUndefined();
    expect(e.SECRET_TOKEN).toBeUndefined();
  });

  it('passes a variable the administrator names, and gives a PATH when the server has none', () => {
    const e = env('GET /x HTTP/1.1\r\nHost: h', { settings: { inherit: [...defaultInheritedEnv, 'HOME'] }, serverEnv: { HOME: '/root' } });
    expect(e.HOME).toBe('/root');
    expect(e.PATH).toBe('/usr/local/bin:/usr/bin:/bin');
  });

  it('keeps meta-variables over administrator variables of the same name', () => {
    const e = env('GET /x HTTP/1.1\r\nHost: h', {
      settings: { extra: { SERVER_NAME: 'forced', CONTENT_LENGTH: '5', REMOTE_USER: 'root' } },
    });
    expect(e.SERVER_NAME).toBe('h');
    expect(e.CONTENT_LENGTH).toBeUndefined();
    expect(e.REMOTE_USER).toBeUndefined();
  });
});
