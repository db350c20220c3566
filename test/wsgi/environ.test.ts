import { describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../../src/core/connection-info.js';
import { HeaderMap } from '../../src/http/headers.js';
import type { HttpRequest } from '../../src/http/messages.js';
import { RequestBody } from '../../src/http/request-body.js';
import { requestUrl, wsgiEnviron } from '../../src/http/wsgi-environ.js';
import { headerVariable } from '../../src/http/gateway-variables.js';

const connection: ConnectionInfo = {
  id: 1,
  remoteAddress: '10.0.0.7',
  remotePort: 51000,
  localAddress: '127.0.0.1',
  localPort: 8080,
  family: 'IPv4',
  secure: false,
};

function request(fields: Partial<HttpRequest> & { headers?: HeaderMap }): HttpRequest {
  return {
    type: 'request',
    seq: 0,
    method: 'GET',
    target: '/app/x',
    path: '/app/x',
    rawPath: '/app/x',
    query: '',
    version: 'HTTP/1.1',
    headers: new HeaderMap([['Host', 'example.com']]),
    host: 'example.com',
    hostPort: undefined,
    connection,
    body: undefined,
    keepAlive: true,
    received: 0,
    mount: '/app',
    params: { '*': '/x' },
    ...fields,
  };
}

const settings = { serverSoftware: 'boxwire' };

describe('headerVariable: which request headers become HTTP_* variables', () => {
  it.each([
    ['Host', 'HTTP_HOST'],
    ['user-agent', 'HTTP_USER_AGENT'],
    ['X-Forwarded-For', 'HTTP_X_FORWARDED_FOR'],
    ['Accept-Encoding', 'HTTP_ACCEPT_ENCODING'],
    ['X-1', 'HTTP_X_1'],
    // Underscore spoofing: X_Forwarded_For would pose as X-Forwarded-For.
    ['X_Forwarded_For', undefined],
    ['X-Forwarded_For', undefined],
    ["X-It's", undefined],
    ['X.Dot', undefined],
    // httpoxy (CVE-2016-5385): HTTP_PROXY is read by HTTP clients as their proxy.
    ['Proxy', undefined],
    ['proxy', undefined],
    // These have CGI names of their own.
    ['Content-Type', undefined],
    ['Content-Length', undefined],
  ])('%s -> %s', (name, variable) => {
    expect(headerVariable(name)).toBe(variable);
  });
});

describe('wsgiEnviron', () => {
  it('maps the request onto the CGI variables PEP 3333 requires', () => {
    const env = wsgiEnviron(request({ query: 'a=1&b=%20', target: '/app/x?a=1&b=%20' }), settings);
    expect(env).toEqual({
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/app',
      PATH_INFO: '/x',
      QUERY_STRING: 'a=1&b=%20',
      REQUEST_URI: '/app/x?a=1&b=%20',
      SERVER_NAME: 'example.com',
      SERVER_PORT: '8080',
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_SOFTWARE: 'boxwire',
      REMOTE_ADDR: '10.0.0.7',
      REMOTE_PORT: '51000',
      HTTP_HOST: 'example.com',
    });
  });

  it.each([
    ['a mount: the rest of the path', '/app', { '*': '/x/y' }, '/app/x/y', '/app', '/x/y'],
    ['the mount itself', '/app', { '*': '' }, '/app', '/app', ''],
    ['the mount and a slash', '/app', { '*': '/' }, '/app/', '/app', '/'],
    ['the root', '', { '*': '/x' }, '/x', '', '/x'],
  ])('SCRIPT_NAME + PATH_INFO is the path: %s', (_, mount, params, path, scriptName, pathInfo) => {
    const env = wsgiEnviron(request({ mount, params, path, rawPath: path, target: path }), settings);
    expect([env.SCRIPT_NAME, env.PATH_INFO]).toEqual([scriptName, pathInfo]);
    expect(env.SCRIPT_NAME! + env.PATH_INFO!).toBe(path);
  });

  it('PATH_INFO is the path decoded once, never twice; REQUEST_URI is as sent', () => {
    // The parser decoded %2541 to %41; decoding again would make it "A".
    const env = wsgiEnviron(
      request({ target: '/app/%2541%20b', rawPath: '/app/%2541%20b', path: '/app/%41 b', params: { '*': '/%41 b' } }),
      settings,
    );
    expect(env.PATH_INFO).toBe('/%41 b');
    expect(env.REQUEST_URI).toBe('/app/%2541%20b');
  });

  it('drops spoofable and dangerous headers, joins repeats, and keeps Content-Type out of HTTP_*', () => {
    const headers = new HeaderMap([
      ['Host', 'example.com'],
      ['X-Forwarded-For', '10.1.1.1'],
      ['X_Forwarded_For', '6.6.6.6'],
      ['Proxy', 'http://evil.example:3128'],
      ['Accept', 'text/html'],
      ['Accept', 'application/json'],
      ['Cookie', 'a=1'],
      ['Cookie', 'b=2'],
      ['Content-Type', 'text/plain'],
    ]);
    const env = wsgiEnviron(request({ headers }), settings);
    expect(env.HTTP_X_FORWARDED_FOR).toBe('10.1.1.1');
    expect(env.HTTP_PROXY).toBeUndefined();
    expect(env.HTTP_ACCEPT).toBe('text/html, application/json');
    expect(env.HTTP_COOKIE).toBe('a=1; b=2');
    expect(env.CONTENT_TYPE).toBe('text/plain');
    expect(env.HTTP_CONTENT_TYPE).toBeUndefined();
    expect(Object.values(env)).not.toContain('6.6.6.6');
  });

  it('CONTENT_LENGTH is the framed length, not the header text', () => {
    const headers = new HeaderMap([
      ['Host', 'h'],
      ['Content-Length', '0005'],
    ]);
    const env = wsgiEnviron(request({ method: 'POST', headers, body: new RequestBody(5) }), settings);
    expect(env.CONTENT_LENGTH).toBe('5');
    expect(env.HTTP_CONTENT_LENGTH).toBeUndefined();
    const chunked = wsgiEnviron(
      request({ method: 'POST', headers: new HeaderMap([['Transfer-Encoding', 'chunked']]), body: new RequestBody(undefined) }),
      settings,
    );
    expect(chunked.CONTENT_LENGTH).toBeUndefined();
  });

  it('says HTTPS=on over TLS, and names the server by its address without a Host', () => {
    const env = wsgiEnviron(request({ connection: { ...connection, secure: true }, host: '', headers: new HeaderMap() }), settings);
    expect(env.HTTPS).toBe('on');
    expect(env.SSL_CLIENT_VERIFY).toBe('NONE');
    expect(env.SERVER_NAME).toBe('127.0.0.1');
  });

  it('names a verified client certificate as mod_ssl does', () => {
    const peerCertificate = {
      subject: { CN: 'client' },
      issuer: { CN: 'ca' },
      serialNumber: '01',
      fingerprint256: 'ab',
      validFrom: '',
      validTo: '',
    };
    const env = wsgiEnviron(request({ connection: { ...connection, secure: true, peerCertificate } }), settings);
    expect([env.SSL_CLIENT_VERIFY, env.SSL_CLIENT_S_DN_CN]).toEqual(['SUCCESS', 'client']);
  });
});

describe('requestUrl: the URL of a fetch-style Request', () => {
  it.each([
    [{ HTTP_HOST: 'example.com:8080', SCRIPT_NAME: '/api', PATH_INFO: '/x', QUERY_STRING: 'q=1' }, 'http://example.com:8080/api/x?q=1'],
    [{ HTTPS: 'on', HTTP_HOST: 'example.com', SCRIPT_NAME: '', PATH_INFO: '/a b', QUERY_STRING: '' }, 'https://example.com/a%20b'],
    // A ? or # that was percent-encoded in the path stays in the path.
    [{ HTTP_HOST: 'h', SCRIPT_NAME: '', PATH_INFO: '/a?b#c', QUERY_STRING: '' }, 'http://h/a%3Fb%23c'],
    [{ SERVER_NAME: '::1', SERVER_PORT: '80', SCRIPT_NAME: '/x', PATH_INFO: '', QUERY_STRING: '' }, 'http://[::1]/x'],
    [
      { HTTP_HOST: 'bad host', SERVER_NAME: '127.0.0.1', SERVER_PORT: '8080', SCRIPT_NAME: '', PATH_INFO: '/', QUERY_STRING: '' },
      'http://127.0.0.1:8080/',
    ],
  ])('%j -> %s', (env, url) => {
    expect(requestUrl(env as Record<string, string>)).toBe(url);
  });
});

describe('credentials in the environ', () => {
  it('passes Authorization to the application, never Proxy-Authorization or Transfer-Encoding', () => {
    const env = wsgiEnviron(
      request({
        headers: new HeaderMap([
          ['Authorization', 'Basic dTpw'],
          ['Proxy-Authorization', 'Basic cHJveHk='],
          ['Transfer-Encoding', 'chunked'],
          ['Proxy', 'http://evil'],
        ]),
      }),
      { serverSoftware: 'boxwire' },
    );
    expect(env.HTTP_AUTHORIZATION).toBe('Basic dTpw');
    expect(env.HTTP_PROXY_AUTHORIZATION).toBeUndefined();
    expect(env.HTTP_TRANSFER_ENCODING).toBeUndefined();
    expect(env.HTTP_PROXY).toBeUndefined();
  });
});
