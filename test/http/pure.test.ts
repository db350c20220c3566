import { describe, expect, it } from 'vitest';
import { HeaderMap, listElements, hasToken } from '../../src/http/headers.js';
import { normalizePath, parseAuthority } from '../../src/http/target.js';
import { wantsKeepAlive } from '../../src/http/parse-head.js';
import { frameResponse, invalidField } from '../../src/http/serialize.js';
import { preferredEncoding, preferredMediaType, mediaQuality } from '../../src/http/negotiate.js';
import { parseHttpDate, formatHttpDate, httpDateNow } from '../../src/http/date.js';
import { escapeLogField, formatAccessLine } from '../../src/http/log-format.js';
import { compilePattern, hostMatches } from '../../src/http/route-pattern.js';
import { escapeHtml } from '../../src/http/html.js';
import { bodyLength, type HttpRequest, type Sent } from '../../src/http/messages.js';
import { RequestBody, readBody } from '../../src/http/request-body.js';
import { splitFieldLine } from '../../src/http/grammar.js';
import { testConnection } from './parser-harness.js';

describe('HeaderMap', () => {
  it('is case-insensitive, keeps order and repeats, and joins repeats', () => {
    const h = new HeaderMap([
      ['Accept', 'a'],
      ['X-One', '1'],
      ['accept', 'b'],
    ]);
    expect(h.get('ACCEPT')).toBe('a, b');
    expect(h.getAll('accept')).toEqual(['a', 'b']);
    expect(h.count('Accept')).toBe(2);
    expect([...h]).toEqual([
      ['Accept', 'a'],
      ['X-One', '1'],
      ['accept', 'b'],
    ]);
    h.set('ACCEPT', 'c');
    expect([...h]).toEqual([
      ['ACCEPT', 'c'],
      ['X-One', '1'],
    ]);
    h.delete('x-one');
    expect(h.size).toBe(1);
    expect(new HeaderMap({ 'Set-Cookie': ['a=1', 'b=2'], n: 3, skip: undefined }).toObject()).toEqual({
      'set-cookie': ['a=1', 'b=2'],
      n: '3',
    });
  });

  it.each([
    ['a, b,, c', ['a', 'b', 'c']],
    ['  ', []],
    ['"x, y", z', ['"x, y"', 'z']],
    ['"a\\"b", c', ['"a\\"b"', 'c']],
  ])('listElements(%j)', (value, expected) => expect(listElements(value)).toEqual(expected));

  it('finds tokens in list fields', () => {
    expect(hasToken('keep-alive, Upgrade', 'upgrade')).toBe(true);
    expect(hasToken('closed', 'close')).toBe(false);
  });
});

describe('field lines', () => {
  it.each([
    ['Host: x', { name: 'host', value: 'x' }],
    ['X:  a b \t', { name: 'x', value: 'a b' }],
    ['X:', { name: 'x', value: '' }],
    [' X: a', 'obs-fold'],
    ['X : a', 'malformed'],
    [': a', 'malformed'],
    ['X: a\x00', 'bad-value'],
    ['X: a\x7f', 'bad-value'],
    [`X: ${'a '.repeat(20000)}b`, { name: 'x', value: `${'a '.repeat(20000)}b` }],
  ])('splitFieldLine(%j)', (line, expected) => expect(splitFieldLine(line)).toEqual(expected));

  it('is linear on a long value full of spaces (no backtracking)', () => {
    const line = `X: a${' '.repeat(200_000)}\x01`;
    const t = performance.now();
    expect(splitFieldLine(line)).toBe('bad-value');
    expect(performance.now() - t).toBeLessThan(200);
  });
});

describe('paths: decode once, normalise, refuse', () => {
  it.each([
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/./b/../c', '/a/c'],
    ['/..', '/'],
    ['/a/..', '/'],
    ['/a/../', '/'],
    ['/a//b', '/a/b'],
    ['/a/b/.', '/a/b/'],
    ['/%41', '/A'],
    ['/%25', '/%'],
    ['/%2525', '/%25'],
  ])('normalizePath(%j) = %j', (raw, expected) => expect(normalizePath(raw)).toBe(expected));

  it.each([
    '',
    'a',
    '/%',
    '/%4',
    '/%zz',
    '/%00',
    '/%0d%0a',
    '/%7f',
    '/%c0%ae',
    '/%ff',
    '/%ed%a0%80',
    '/a%2Fb',
    '/%2e%2e/x',
    '/a/%2E',
    '/.%2e/',
  ])('normalizePath(%j) refuses', (raw) => expect(normalizePath(raw)).toBeUndefined());

  it.each([
    ['example.com', { host: 'example.com', port: undefined }],
    ['Example.COM:80', { host: 'example.com', port: 80 }],
    ['[::1]:443', { host: '[::1]', port: 443 }],
    ['', { host: '', port: undefined }],
    ['a:', { host: 'a', port: undefined }],
    ['a:00080', { host: 'a', port: 80 }],
    ['[::1]', { host: '[::1]', port: undefined }],
    ['[::1]:', { host: '[::1]', port: undefined }],
    ["x-y.z_~!$&'()*+,;=%41:1", { host: "x-y.z_~!$&'()*+,;=%41", port: 1 }],
  ])('parseAuthority(%j)', (value, expected) => expect(parseAuthority(value)).toEqual(expected));

  it.each(['a b', 'a:99999', 'a:65536', 'a:065535', 'a@b', 'a/b', '[::1', 'a:b', '[::1]x', '[zz]', 'a:1:2', 'h\u00e9', 'a:-1'])(
    'parseAuthority(%j) refuses',
    (value) => expect(parseAuthority(value)).toBeUndefined(),
  );
});

describe('frameResponse', () => {
  const base = { status: 200, method: 'GET', version: 'HTTP/1.1' as const, keepAlive: true, date: 'D', server: 'boxwire' };
  const head = (over: Partial<Parameters<typeof frameResponse>[0]> & { headers?: HeaderMap }) => {
    const r = frameResponse({ ...base, headers: new HeaderMap(), bodyLength: 5, ...over });
    if (!r.ok) throw new Error(r.reason);
    return r.framed;
  };

  it('writes status, Date, Server, fields and Content-Length', () => {
    const f = head({ headers: new HeaderMap({ 'Content-Type': 'text/plain' }) });
    expect(f.head).toBe('HTTP/1.1 200 OK\r\nDate: D\r\nServer: boxwire\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n');
    expect([f.chunked, f.close, f.hasBody]).toEqual([false, false, true]);
  });

  it('chunks an unknown length on HTTP/1.1 and closes on HTTP/1.0', () => {
    expect(head({ bodyLength: undefined }).chunked).toBe(true);
    const old = head({ bodyLength: undefined, version: 'HTTP/1.0' });
    expect([old.chunked, old.close]).toEqual([false, true]);
    expect(old.head).toContain('Connection: close');
  });

  it('keeps an HTTP/1.0 connection alive only when asked, and says so', () => {
    expect(head({ version: 'HTTP/1.0' }).head).toContain('Connection: keep-alive\r\n');
    expect(head({ keepAlive: false }).head).toContain('Connection: close\r\n');
  });

  it('sends no content for HEAD, 204 and 304, and says the length of HEAD', () => {
    expect(head({ method: 'HEAD' }).hasBody).toBe(false);
    expect(head({ method: 'HEAD' }).head).toContain('Content-Length: 5');
    expect(head({ status: 204 }).head).not.toContain('Content-Length');
    expect(head({ status: 304 }).head).not.toContain('Content-Length');
    expect(head({ status: 304, headers: new HeaderMap({ 'content-length': '99' }) }).head).toContain('Content-Length: 99');
  });

  it('owns the framing fields: a handler cannot set Transfer-Encoding, and Connection: close is honoured', () => {
    const f = head({ headers: new HeaderMap({ 'Transfer-Encoding': 'chunked', Connection: 'close', 'Content-Length': '999' }) });
    expect(f.head).not.toContain('Transfer-Encoding');
    expect(f.head).toContain('Content-Length: 5');
    expect(f.close).toBe(true);
  });

  it.each([
    [{ 'X-A': 'a\r\nSet-Cookie: evil=1' }, /invalid character/],
    [{ 'X-A': 'a\nb' }, /invalid character/],
    [{ 'X-A': 'a\x00' }, /invalid character/],
    [{ 'Bad Name': 'x' }, /invalid header name/],
    [{ 'X:Y': 'x' }, /invalid header name/],
    [{ 'X-A': 'snowman \u2603' }, /invalid character/],
  ])('refuses a head that could be split: %j', (fields, reason) => {
    const r = frameResponse({ ...base, headers: new HeaderMap(fields), bodyLength: 0 });
    expect(r.ok).toBe(false);
    expect(invalidField(new HeaderMap(fields))).toMatch(reason);
  });
});

describe('negotiation', () => {
  it.each([
    [undefined, 'text/html'],
    ['*/*', 'text/html'],
    ['application/json', 'application/json'],
    ['text/html;q=0.5, application/json', 'application/json'],
    ['application/*;q=0.9, text/html;q=0.8', 'application/json'],
    ['image/png', undefined],
  ])('Accept %j prefers %j', (accept, expected) => expect(preferredMediaType(accept, ['text/html', 'application/json'])).toBe(expected));

  it('the most specific range wins', () => expect(mediaQuality('text/*;q=0.2, text/html;q=0.9, */*;q=0.1', 'text/html')).toBe(0.9));

  it.each([
    [undefined, 'identity'],
    ['gzip', 'gzip'],
    ['gzip, br', 'br'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['*', 'br'],
    ['br;q=0, *;q=0.5', 'gzip'],
    ['deflate', 'identity'],
    ['identity;q=0, *;q=0', undefined],
  ])('Accept-Encoding %j picks %j', (value, expected) => expect(preferredEncoding(value, ['br', 'gzip'])).toBe(expected));
});

describe('dates', () => {
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT', 784111777000],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 784111777000],
    ['Sun Nov  6 08:49:37 1994', 784111777000],
    ['2020-01-01', undefined],
    ['Sun, 06 Nov 1994 08:49:37 +0000', undefined],
    [undefined, undefined],
  ])('parseHttpDate(%j)', (value, expected) => expect(parseHttpDate(value)).toBe(expected));

  it('formats IMF-fixdate and caches it per second', () => {
    expect(formatHttpDate(784111777000)).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(httpDateNow(784111777000)).toBe(httpDateNow(784111777999));
  });
});

describe('access log lines', () => {
  const request = {
    type: 'request',
    seq: 0,
    method: 'GET',
    target: '/a"b',
    path: '/a"b',
    rawPath: '/a"b',
    query: '',
    version: 'HTTP/1.1',
    headers: new HeaderMap({ Referer: 'http://x/', 'User-Agent': 'agent "007"' }),
    host: 'x',
    hostPort: undefined,
    connection: testConnection,
    body: undefined,
    keepAlive: true,
    received: 0,
  } as HttpRequest;
  const sent: Sent = {
    type: 'sent',
    request,
    status: 200,
    bytes: 1234,
    duration: 1,
    complete: true,
    close: false,
    headers: new HeaderMap(),
  };

  it('Common and Combined, with client text escaped', () => {
    const common = formatAccessLine(sent, 'common');
    expect(common).toMatch(/^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/a\\"b HTTP\/1\.1" 200 1234$/);
    expect(formatAccessLine(sent, 'combined')).toBe(`${common} "http://x/" "agent \\"007\\""`);
    expect(formatAccessLine({ ...sent, bytes: 0 }, 'common')).toMatch(/ 200 -$/);
  });

  it('escapes quotes, backslashes and control bytes', () => expect(escapeLogField('a"\\\n\xff')).toBe('a\\"\\\\\\x0a\\xff'));
});

describe('route patterns', () => {
  it.each([
    ['/', '/', { mount: '/', params: {} }],
    ['/', '/x', undefined],
    ['/about', '/about', { mount: '/about', params: {} }],
    ['/about', '/about/', undefined],
    ['/static/*', '/static', { mount: '/static', params: { '*': '' } }],
    ['/static/*', '/static/a/b.css', { mount: '/static', params: { '*': '/a/b.css' } }],
    ['/static/*', '/staticky', undefined],
    ['/*', '/anything', { mount: '', params: { '*': '/anything' } }],
    ['*', '/x', { mount: '', params: { '*': '/x' } }],
    ['/users/:id', '/users/42', { mount: '/users/42', params: { id: '42' } }],
    ['/users/:id', '/users/', undefined],
    ['/users/:id/posts/:post', '/users/a/posts/b', { mount: '/users/a/posts/b', params: { id: 'a', post: 'b' } }],
    ['/u/:id/*', '/u/7/x/y', { mount: '/u/7', params: { id: '7', '*': '/x/y' } }],
    ['/a.b/:x', '/aXb/1', undefined],
  ])('%s matches %s', (pattern, path, expected) => expect(compilePattern(pattern).match(path)).toEqual(expected));

  it.each(['no-slash', '/a/:', '/a/b*', '/:bad-name'])('refuses %j', (pattern) => expect(() => compilePattern(pattern)).toThrow(TypeError));

  it('matches hosts exactly or by wildcard', () => {
    expect(hostMatches(undefined, 'a')).toBe(true);
    expect(hostMatches('Example.com', 'example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
  });
});

describe('bodies', () => {
  it('knows lengths without reading', () => {
    expect(bodyLength('h\u00e9')).toBe(3);
    expect(bodyLength(undefined)).toBe(0);
    expect(bodyLength({ type: 'file', path: 'x', start: 10, end: 30 })).toBe(20);
    expect(bodyLength({ type: 'parts', parts: ['ab', Buffer.from('c'), { type: 'file', path: 'x', start: 0, end: 5 }] })).toBe(8);
    expect(bodyLength((async function* () {})())).toBeUndefined();
  });

  it('a request body is pulled, and reading past a limit is a 413', async () => {
    let wanted = 0;
    const body = new RequestBody(6, { wanted: () => wanted++ });
    body.push(Buffer.from('abc'));
    const first = body.read();
    body.push(Buffer.from('def'));
    body.end();
    expect(Buffer.from((await first)!).toString()).toBe('abc');
    expect(Buffer.from((await body.read())!).toString()).toBe('def');
    expect(await body.read()).toBeNull();
    expect(wanted).toBeGreaterThan(0);
    const big = new RequestBody(undefined);
    big.push(Buffer.alloc(10));
    big.end();
    await expect(readBody(big, 5)).rejects.toMatchObject({ status: 413 });
  });

  it('escapes HTML', () => expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;'));
});

describe('wantsKeepAlive (RFC 9112 §9.3)', () => {
  it.each([
    [undefined, 'HTTP/1.1', true],
    [undefined, 'HTTP/1.0', false],
    ['close', 'HTTP/1.1', false],
    ['Keep-Alive', 'HTTP/1.0', true],
    // Two Connection lines, as a load generator sends them, join to a list.
    ['keep-alive,  close', 'HTTP/1.1', false],
    ['keep-alive,  close', 'HTTP/1.0', false],
    ['Upgrade, keep-alive', 'HTTP/1.0', true],
    ['upgrade', 'HTTP/1.0', false],
    ['upgrade', 'HTTP/1.1', true],
    [' ,\tclose\t, ', 'HTTP/1.1', false],
    ['closed, keep-alives', 'HTTP/1.0', false],
    ['closed', 'HTTP/1.1', true],
    ['"close", keep-alive', 'HTTP/1.0', true],
    ['x="a,close", close', 'HTTP/1.1', false],
  ] as const)('Connection %j on %s: %s', (connection, version, expected) => expect(wantsKeepAlive(connection, version)).toBe(expected));
});
