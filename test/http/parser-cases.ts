/**
 * The parser's case table: requests and what must come of them. `expect`
 * lists the outcomes in order: 200 for a request accepted (and its body read
 * whole), a status for a refusal, `body:<status>` for a request accepted whose
 * body then failed. `check` looks closer at what was parsed.
 */
import type { Seen } from './parser-harness.js';

export interface Case {
  readonly name: string;
  readonly raw: string;
  readonly expect: readonly (number | `body:${number}`)[];
  readonly check?: (seen: readonly Seen[]) => void;
  readonly limits?: Record<string, number>;
}

const H = 'Host: example.com\r\n';
const get = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\n${H}${extra}\r\n`;
const post = (headers: string, body: string): string => `POST /submit HTTP/1.1\r\n${H}${headers}\r\n${body}`;
const chunked = (body: string): string => post('Transfer-Encoding: chunked\r\n', body);

function equal(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}
const first = (seen: readonly Seen[]): Seen => seen[0]!;

export const validCases: Case[] = [
  { name: 'simple GET', raw: get('/'), expect: [200], check: (s) => equal(first(s).path, '/', 'path') },
  {
    name: 'GET with a query',
    raw: get('/search?q=boxes&n=1'),
    expect: [200],
    check: (s) => equal([first(s).path, first(s).query], ['/search', 'q=boxes&n=1'], 'path and query'),
  },
  { name: 'empty query', raw: get('/a?'), expect: [200], check: (s) => equal(first(s).query, '', 'query') },
  { name: 'HEAD', raw: `HEAD / HTTP/1.1\r\n${H}\r\n`, expect: [200] },
  { name: 'DELETE', raw: `DELETE /x HTTP/1.1\r\n${H}\r\n`, expect: [200] },
  {
    name: 'a token method the parser does not know (the router answers 501)',
    raw: `BREW /pot HTTP/1.1\r\n${H}\r\n`,
    expect: [200],
    check: (s) => equal(first(s).method, 'BREW', 'method'),
  },
  {
    name: 'lower-case method is a different token, still a token',
    raw: `get / HTTP/1.1\r\n${H}\r\n`,
    expect: [200],
    check: (s) => equal(first(s).method, 'get', 'method'),
  },
  { name: 'method with every tchar class', raw: `X-!#$%&'*+.^_\`|~9 / HTTP/1.1\r\n${H}\r\n`, expect: [200] },
  {
    name: 'POST with Content-Length',
    raw: post('Content-Length: 5\r\n', 'hello'),
    expect: [200],
    check: (s) => equal(first(s).body, 'hello', 'body'),
  },
  {
    name: 'POST with Content-Length: 0 has no body',
    raw: post('Content-Length: 0\r\n', ''),
    expect: [200],
    check: (s) => equal(first(s).body, undefined, 'body'),
  },
  {
    name: 'Content-Length with leading zeros',
    raw: post('Content-Length: 005\r\n', 'hello'),
    expect: [200],
    check: (s) => equal(first(s).body, 'hello', 'body'),
  },
  { name: 'Content-Length repeated with the same value', raw: post('Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'), expect: [200] },
  { name: 'Content-Length as a list of one value', raw: post('Content-Length: 5, 5\r\n', 'hello'), expect: [200] },
  {
    name: 'chunked body',
    raw: chunked('5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'),
    expect: [200],
    check: (s) => equal(first(s).body, 'hello world', 'body'),
  },
  {
    name: 'chunked, upper-case hex size',
    raw: chunked('A\r\n0123456789\r\n0\r\n\r\n'),
    expect: [200],
    check: (s) => equal(first(s).body, '0123456789', 'body'),
  },
  { name: 'chunked, lower-case hex size', raw: chunked('a\r\n0123456789\r\n0\r\n\r\n'), expect: [200] },
  {
    name: 'chunked, leading zeros in the size',
    raw: chunked('0005\r\nhello\r\n000\r\n\r\n'),
    expect: [200],
    check: (s) => equal(first(s).body, 'hello', 'body'),
  },
  {
    name: 'chunked with an extension',
    raw: chunked('5;name=value\r\nhello\r\n0\r\n\r\n'),
    expect: [200],
    check: (s) => equal(first(s).body, 'hello', 'body'),
  },
  { name: 'chunked with a quoted extension', raw: chunked('5;n="a \\"q\\" b"\r\nhello\r\n0\r\n\r\n'), expect: [200] },
  { name: 'chunked with a bare extension name and spaces around ;', raw: chunked('5 ; flag\r\nhello\r\n0\r\n\r\n'), expect: [200] },
  {
    name: 'chunked with trailers',
    raw: chunked('5\r\nhello\r\n0\r\nChecksum: abc\r\nX-Done: yes\r\n\r\n'),
    expect: [200],
    check: (s) =>
      equal(
        first(s).trailers,
        [
          ['checksum', 'abc'],
          ['x-done', 'yes'],
        ],
        'trailers',
      ),
  },
  { name: 'Transfer-Encoding: Chunked in another case', raw: post('Transfer-Encoding: Chunked\r\n', '0\r\n\r\n'), expect: [200] },
  { name: 'Transfer-Encoding with an empty list element', raw: post('Transfer-Encoding: , chunked\r\n', '0\r\n\r\n'), expect: [200] },
  { name: 'an empty chunked body', raw: chunked('0\r\n\r\n'), expect: [200], check: (s) => equal(first(s).body, '', 'body') },
  {
    name: 'HTTP/1.0 without Host',
    raw: 'GET / HTTP/1.0\r\n\r\n',
    expect: [200],
    check: (s) => equal([first(s).version, first(s).keepAlive], ['HTTP/1.0', false], 'version, keep-alive'),
  },
  {
    name: 'HTTP/1.0 with keep-alive',
    raw: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
    expect: [200],
    check: (s) => equal(first(s).keepAlive, true, 'keep-alive'),
  },
  {
    name: 'HTTP/1.1 Connection: close',
    raw: get('/', 'Connection: close\r\n'),
    expect: [200],
    check: (s) => equal(first(s).keepAlive, false, 'keep-alive'),
  },
  {
    name: 'Connection: close among other tokens',
    raw: get('/', 'Connection: Upgrade, Close\r\n'),
    expect: [200],
    check: (s) => equal(first(s).keepAlive, false, 'keep-alive'),
  },
  {
    name: 'absolute-form target',
    raw: `GET http://other.example:8080/p?q=1 HTTP/1.1\r\n${H}\r\n`,
    expect: [200],
    check: (s) => equal([first(s).host, first(s).path, first(s).query], ['other.example', '/p', 'q=1'], 'authority wins over Host'),
  },
  {
    name: 'absolute-form https without a path',
    raw: `GET https://x.example HTTP/1.1\r\n${H}\r\n`,
    expect: [200],
    check: (s) => equal(first(s).path, '/', 'path'),
  },
  {
    name: 'absolute-form with only a query',
    raw: `GET http://x.example?a=b HTTP/1.1\r\n${H}\r\n`,
    expect: [200],
    check: (s) => equal([first(s).path, first(s).query], ['/', 'a=b'], 'path and query'),
  },
  { name: 'OPTIONS *', raw: `OPTIONS * HTTP/1.1\r\n${H}\r\n`, expect: [200], check: (s) => equal(first(s).target, '*', 'target') },
  { name: 'CONNECT authority-form', raw: `CONNECT example.com:443 HTTP/1.1\r\n${H}\r\n`, expect: [200] },
  { name: 'one empty line before the request-line', raw: `\r\n${get('/')}`, expect: [200] },
  { name: 'two empty lines before the request-line', raw: `\r\n\r\n${get('/')}`, expect: [200] },
  {
    name: 'header with an empty value',
    raw: get('/', 'X-Empty:\r\n'),
    expect: [200],
    check: (s) =>
      equal(
        first(s).headers!.find(([k]) => k === 'x-empty'),
        ['x-empty', ''],
        'header',
      ),
  },
  {
    name: 'header value trimmed of spaces and tabs',
    raw: get('/', 'X-A: \t padded \t \r\n'),
    expect: [200],
    check: (s) => equal(first(s).headers!.find(([k]) => k === 'x-a')![1], 'padded', 'value'),
  },
  {
    name: 'header value with inner spaces kept',
    raw: get('/', 'X-A: a  b\tc\r\n'),
    expect: [200],
    check: (s) => equal(first(s).headers!.find(([k]) => k === 'x-a')![1], 'a  b\tc', 'value'),
  },
  {
    name: 'header value with obs-text bytes',
    raw: get('/', 'X-Latin: caf\xe9\r\n'),
    expect: [200],
    check: (s) => equal(first(s).headers!.find(([k]) => k === 'x-latin')![1], 'caf\xe9', 'value'),
  },
  {
    name: 'header names are case-insensitive and lower-cased',
    raw: `GET / HTTP/1.1\r\nHOST: example.com\r\nX-MiXeD: 1\r\n\r\n`,
    expect: [200],
    check: (s) =>
      equal(
        first(s).headers,
        [
          ['host', 'example.com'],
          ['x-mixed', '1'],
        ],
        'headers',
      ),
  },
  {
    name: 'repeated fields kept in order',
    raw: get('/', 'Accept: a\r\nX: 1\r\nAccept: b\r\n'),
    expect: [200],
    check: (s) =>
      equal(
        first(s).headers!.filter(([k]) => k === 'accept'),
        [
          ['accept', 'a'],
          ['accept', 'b'],
        ],
        'repeats',
      ),
  },
  {
    name: 'exactly 100 fields',
    raw: `GET / HTTP/1.1\r\n${H}${Array.from({ length: 99 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`,
    expect: [200],
  },
  {
    name: 'Host with a port',
    raw: `GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n`,
    expect: [200],
    check: (s) => equal(first(s).host, 'example.com', 'host'),
  },
  {
    name: 'Host as an IPv6 literal',
    raw: `GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n`,
    expect: [200],
    check: (s) => equal(first(s).host, '[::1]', 'host'),
  },
  { name: 'Host as an IPv4 address', raw: `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, expect: [200] },
  {
    name: 'Host upper-case is lower-cased',
    raw: `GET / HTTP/1.1\r\nHost: EXAMPLE.com\r\n\r\n`,
    expect: [200],
    check: (s) => equal(first(s).host, 'example.com', 'host'),
  },
  {
    name: 'empty Host beside an absolute-form target, which names its authority',
    raw: `GET http://example.com/a HTTP/1.1\r\nHost:\r\n\r\n`,
    expect: [200],
    check: (s) => equal(first(s).host, 'example.com', 'host'),
  },
  {
    name: 'a method of 64 characters, the longest taken',
    raw: `${'M'.repeat(64)} / HTTP/1.1\r\n${H}\r\n`,
    expect: [200],
  },
  {
    name: 'percent-encoded path is decoded once',
    raw: get('/a%20b/%E2%9C%93'),
    expect: [200],
    check: (s) => equal(first(s).path, '/a b/\u2713', 'path'),
  },
  { name: 'encoded percent stays a percent', raw: get('/100%25'), expect: [200], check: (s) => equal(first(s).path, '/100%', 'path') },
  {
    name: 'an encoded dot inside a name is just a dot',
    raw: get('/file%2etxt/a%2e'),
    expect: [200],
    check: (s) => equal(first(s).path, '/file.txt/a.', 'path'),
  },
  { name: 'dot segments removed', raw: get('/a/b/../c/./d'), expect: [200], check: (s) => equal(first(s).path, '/a/c/d', 'path') },

  {
    name: '.. cannot climb above /',
    raw: get('/../../../etc/passwd'),
    expect: [200],
    check: (s) => equal(first(s).path, '/etc/passwd', 'path'),
  },
  { name: 'repeated slashes merged', raw: get('//a///b//'), expect: [200], check: (s) => equal(first(s).path, '/a/b/', 'path') },
  { name: 'trailing slash kept', raw: get('/dir/'), expect: [200], check: (s) => equal(first(s).path, '/dir/', 'path') },
  { name: 'target with | { } ^ and quotes', raw: get('/a|b{c}^"d"'), expect: [200] },
  {
    name: 'Expect: 100-continue with a body',
    raw: post('Expect: 100-continue\r\nContent-Length: 2\r\n', 'ok'),
    expect: [200],
    check: (s) => equal(first(s).body, 'ok', 'body'),
  },
  {
    name: 'Expect: 100-continue on HTTP/1.0 is ignored',
    raw: 'POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok',
    expect: [200],
  },
  { name: 'body exactly at the limit', raw: post('Content-Length: 10\r\n', '0123456789'), expect: [200], limits: { body: 10 } },
  { name: 'chunked body exactly at the limit', raw: chunked('a\r\n0123456789\r\n0\r\n\r\n'), expect: [200], limits: { body: 10 } },
  {
    name: 'request-line exactly at the limit',
    raw: `GET /${'a'.repeat(64 - 'GET / HTTP/1.1'.length)} HTTP/1.1\r\n${H}\r\n`,
    expect: [200],
    limits: { requestLine: 64 },
  },
  {
    name: 'pipelined GETs',
    raw: get('/1') + get('/2') + get('/3'),
    expect: [200, 200, 200],
    check: (s) =>
      equal(
        s.map((x) => x.path),
        ['/1', '/2', '/3'],
        'order',
      ),
  },
  {
    name: 'pipelined POST then GET',
    raw: post('Content-Length: 3\r\n', 'abc') + get('/after'),
    expect: [200, 200],
    check: (s) => equal([s[0]!.body, s[1]!.path], ['abc', '/after'], 'bodies and order'),
  },
  { name: 'pipelined chunked then GET', raw: chunked('3\r\nabc\r\n0\r\n\r\n') + get('/after'), expect: [200, 200] },
  { name: 'nothing is read after Connection: close', raw: get('/1', 'Connection: close\r\n') + get('/2'), expect: [200] },
  {
    name: 'twenty pipelined requests (more than the pipeline depth)',
    raw: Array.from({ length: 20 }, (_, i) => get(`/${i}`)).join(''),
    expect: Array(20).fill(200),
  },
];

export const invalidCases: Case[] = [
  // The request-line.
  { name: 'missing version (HTTP/0.9 style)', raw: 'GET /\r\n\r\n', expect: [400] },
  { name: 'only a method', raw: 'GET\r\n\r\n', expect: [400] },
  { name: 'two spaces between method and target', raw: `GET  / HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'tab instead of space', raw: `GET\t/ HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'trailing space after the version', raw: `GET / HTTP/1.1 \r\n${H}\r\n`, expect: [400] },
  { name: 'leading space before the method', raw: ` GET / HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'empty method', raw: ` / HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'lower-case protocol name', raw: `GET / http/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'version with junk after it', raw: `GET / HTTP/1.1x\r\n${H}\r\n`, expect: [400] },
  { name: 'version without a dot', raw: `GET / HTTP/11\r\n${H}\r\n`, expect: [400] },
  { name: 'version missing the minor digit', raw: `GET / HTTP/1.\r\n${H}\r\n`, expect: [400] },
  { name: 'version with two-digit major', raw: `GET / HTTP/10.1\r\n${H}\r\n`, expect: [400] },
  { name: 'space inside the target', raw: `GET /a b HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'fragment in the target', raw: get('/a#frag'), expect: [400] },
  { name: 'control character in the target', raw: get('/a\x01b'), expect: [400] },
  { name: 'DEL in the target', raw: get('/a\x7fb'), expect: [400] },
  { name: 'non-ASCII byte in the target', raw: get('/caf\xe9'), expect: [400] },
  { name: 'target that is not a path', raw: get('foo'), expect: [400] },
  { name: '* with GET', raw: get('*'), expect: [400] },
  { name: 'absolute-form with another scheme', raw: `GET ftp://x.example/ HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'absolute-form with userinfo', raw: `GET http://user:pw@x.example/ HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'absolute-form without an authority', raw: `GET http:///x HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'CONNECT without a port', raw: `CONNECT example.com HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'bare LF ending the request-line', raw: `GET / HTTP/1.1\n${H}\r\n`, expect: [400] },
  { name: 'bare LF everywhere', raw: 'GET / HTTP/1.1\nHost: x\n\n', expect: [400] },
  { name: 'bare CR in the request-line', raw: `GET /\r HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  // Versions.
  { name: 'HTTP/2.0', raw: `GET / HTTP/2.0\r\n${H}\r\n`, expect: [505] },
  { name: 'HTTP/1.2', raw: `GET / HTTP/1.2\r\n${H}\r\n`, expect: [505] },
  { name: 'HTTP/0.9 with a version', raw: `GET / HTTP/0.9\r\n${H}\r\n`, expect: [505] },
  { name: 'HTTP/3.0', raw: `GET / HTTP/3.0\r\n${H}\r\n`, expect: [505] },
  { name: 'HTTP/9.9', raw: `GET / HTTP/9.9\r\n${H}\r\n`, expect: [505] },
  // Host.
  { name: 'HTTP/1.1 without Host', raw: 'GET / HTTP/1.1\r\n\r\n', expect: [400] },
  // RFC 9112 §3.2, RFC 9110 §4.2.1: an http URI always has a host, so the field cannot be empty.
  { name: 'empty Host with an origin-form target', raw: 'GET / HTTP/1.1\r\nHost:\r\n\r\n', expect: [400] },
  { name: 'empty Host of spaces', raw: 'GET / HTTP/1.1\r\nHost:   \r\n\r\n', expect: [400] },
  { name: 'empty Host on HTTP/1.0', raw: 'GET / HTTP/1.0\r\nHost:\r\n\r\n', expect: [400] },
  { name: 'empty Host with OPTIONS *', raw: 'OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n', expect: [400] },
  // RFC 9110 §9.3.6: CONNECT's target is host:port only.
  { name: 'CONNECT with an origin-form target', raw: `CONNECT /cgi-bin/env.py HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  { name: 'CONNECT with an absolute-form target', raw: `CONNECT http://example.com/ HTTP/1.1\r\n${H}\r\n`, expect: [400] },
  // RFC 9112 §3: a method longer than any implemented is 501, not a long target (414), however long the line.
  { name: 'a method of 65 characters', raw: `${'M'.repeat(65)} / HTTP/1.1\r\n${H}\r\n`, expect: [501] },
  { name: 'a request-line that is one long method', raw: `${'M'.repeat(10_000)} / HTTP/1.1\r\n${H}\r\n`, expect: [501] },
  { name: 'a long method before any space or line end', raw: 'M'.repeat(100), expect: [501] },
  {
    name: 'a long method over a short request-line limit',
    raw: `${'M'.repeat(100)} / HTTP/1.1\r\n${H}\r\n`,
    expect: [501],
    limits: { requestLine: 64 },
  },
  { name: 'bytes that are no method at all, before any space', raw: `\x16\x03\x01${'\x00'.repeat(80)}`, expect: [400] },
  { name: 'two Host fields', raw: `GET / HTTP/1.1\r\n${H}${H}\r\n`, expect: [400] },
  { name: 'two Host fields on HTTP/1.0', raw: `GET / HTTP/1.0\r\n${H}${H}\r\n`, expect: [400] },
  { name: 'Host with a space', raw: 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', expect: [400] },
  { name: 'Host with a slash', raw: 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', expect: [400] },
  { name: 'Host with userinfo', raw: 'GET / HTTP/1.1\r\nHost: u@a\r\n\r\n', expect: [400] },
  { name: 'Host port out of range', raw: 'GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n', expect: [400] },
  { name: 'Host port not numeric', raw: 'GET / HTTP/1.1\r\nHost: a:b\r\n\r\n', expect: [400] },
  // Field lines.
  { name: 'field without a colon', raw: get('/', 'NoColon\r\n'), expect: [400] },
  { name: 'space before the colon', raw: get('/', 'X-A : 1\r\n'), expect: [400] },
  { name: 'tab before the colon', raw: get('/', 'X-A\t: 1\r\n'), expect: [400] },
  { name: 'empty field name', raw: get('/', ': value\r\n'), expect: [400] },
  { name: 'field name with a space inside', raw: get('/', 'X A: 1\r\n'), expect: [400] },
  { name: 'obs-fold with a space', raw: get('/', 'X-A: one\r\n two\r\n'), expect: [400] },
  { name: 'obs-fold with a tab', raw: get('/', 'X-A: one\r\n\ttwo\r\n'), expect: [400] },
  { name: 'bare CR inside a value', raw: get('/', 'X-A: a\rb\r\n'), expect: [400] },
  { name: 'bare LF inside the fields', raw: get('/', 'X-A: a\nX-B: b\r\n'), expect: [400] },
  { name: 'NUL in a value', raw: get('/', 'X-A: a\x00b\r\n'), expect: [400] },
  { name: 'DEL in a value', raw: get('/', 'X-A: a\x7fb\r\n'), expect: [400] },
  { name: 'non-ASCII in a field name', raw: get('/', 'X-\xe9: 1\r\n'), expect: [400] },
  // Content-Length.
  { name: 'Content-Length not a number', raw: post('Content-Length: abc\r\n', ''), expect: [400] },
  { name: 'Content-Length negative', raw: post('Content-Length: -1\r\n', ''), expect: [400] },
  { name: 'Content-Length with a plus sign', raw: post('Content-Length: +5\r\n', 'hello'), expect: [400] },
  { name: 'Content-Length with a space inside', raw: post('Content-Length: 1 2\r\n', ''), expect: [400] },
  { name: 'Content-Length in hex', raw: post('Content-Length: 0x5\r\n', 'hello'), expect: [400] },
  { name: 'Content-Length with a decimal point', raw: post('Content-Length: 5.0\r\n', 'hello'), expect: [400] },
  { name: 'Content-Length empty', raw: post('Content-Length:\r\n', ''), expect: [400] },
  { name: 'Content-Length fields that disagree', raw: post('Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!'), expect: [400] },
  { name: 'Content-Length list that disagrees', raw: post('Content-Length: 5, 6\r\n', 'hello!'), expect: [400] },
  { name: 'Content-Length beyond a safe integer', raw: post('Content-Length: 99999999999999999999\r\n', ''), expect: [400] },
  // Transfer-Encoding.
  {
    name: 'Transfer-Encoding and Content-Length together',
    raw: post('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', '0\r\n\r\n'),
    expect: [400],
  },
  {
    name: 'Content-Length then Transfer-Encoding',
    raw: post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    expect: [400],
  },
  { name: 'Transfer-Encoding not ending in chunked', raw: post('Transfer-Encoding: chunked, gzip\r\n', ''), expect: [400] },
  { name: 'Transfer-Encoding: gzip alone', raw: post('Transfer-Encoding: gzip\r\n', ''), expect: [400] },
  { name: 'Transfer-Encoding: identity', raw: post('Transfer-Encoding: identity\r\n', ''), expect: [400] },
  { name: 'chunked applied twice', raw: post('Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'), expect: [400] },
  {
    name: 'chunked applied twice across fields',
    raw: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
    expect: [400],
  },
  { name: 'Transfer-Encoding with a near-miss name', raw: post('Transfer-Encoding: xchunked\r\n', ''), expect: [400] },
  { name: 'Transfer-Encoding empty', raw: post('Transfer-Encoding:\r\n', ''), expect: [400] },
  { name: 'Transfer-Encoding on HTTP/1.0', raw: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', expect: [400] },
  { name: 'gzip before chunked is not implemented', raw: post('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n'), expect: [501] },
  { name: 'deflate before chunked is not implemented', raw: post('Transfer-Encoding: deflate, chunked\r\n', '0\r\n\r\n'), expect: [501] },
  // Chunked framing.
  { name: 'chunk size not hex', raw: chunked('g\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk size negative', raw: chunked('-5\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk size with 0x', raw: chunked('0x5\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk size of 17 hex digits', raw: chunked('00000000000000005\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk size too large for a safe integer', raw: chunked('FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk size followed by a space and no extension', raw: chunked('5 \r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk size line with a bare LF', raw: chunked('5\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'empty chunk size line', raw: chunked('\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk extension without a name', raw: chunked('5;=x\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk extension with an unclosed quote', raw: chunked('5;a="x\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk data longer than its size', raw: chunked('3\r\nhello\r\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk data without CRLF after it', raw: chunked('5\r\nhelloXX0\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk data followed by a bare LF', raw: chunked('5\r\nhello\n0\r\n\r\n'), expect: ['body:400'] },
  { name: 'malformed trailer', raw: chunked('0\r\nno colon here\r\n\r\n'), expect: ['body:400'] },
  { name: 'obs-fold in a trailer', raw: chunked('0\r\nX-A: 1\r\n 2\r\n\r\n'), expect: ['body:400'] },
  { name: 'chunk-size line over the limit', raw: chunked(`5;${'x'.repeat(5000)}\r\nhello\r\n0\r\n\r\n`), expect: ['body:400'] },
  { name: 'chunked body cut short by the client', raw: chunked('5\r\nhel'), expect: ['body:400'] },
  { name: 'Content-Length body cut short by the client', raw: post('Content-Length: 10\r\n', 'short'), expect: ['body:400'] },
  // Path encoding.
  { name: 'malformed percent-escape', raw: get('/a%zzb'), expect: [400] },
  { name: 'percent-escape with one digit', raw: get('/a%4'), expect: [400] },
  { name: 'lone percent at the end', raw: get('/a%'), expect: [400] },
  { name: 'encoded NUL', raw: get('/a%00b'), expect: [400] },
  { name: 'encoded newline', raw: get('/a%0ab'), expect: [400] },
  { name: 'encoded DEL', raw: get('/a%7fb'), expect: [400] },
  { name: 'overlong UTF-8 for "."', raw: get('/%c0%ae%c0%ae/etc'), expect: [400] },
  { name: 'encoded dot segments are ambiguous', raw: get('/a/%2e%2e/%2E%2E/etc'), expect: [400] },
  { name: 'a half-encoded dot segment is ambiguous', raw: get('/a/.%2e/etc'), expect: [400] },
  { name: 'an encoded slash is ambiguous', raw: get('/v1/..%2F..%2Fadmin'), expect: [400] },
  { name: 'an encoded slash in lower case too', raw: get('/a%2fb'), expect: [400] },
  { name: 'overlong UTF-8 for "/"', raw: get('/a%c0%afb'), expect: [400] },
  { name: 'invalid UTF-8 byte', raw: get('/a%ffb'), expect: [400] },
  { name: 'UTF-16 surrogate encoded in UTF-8', raw: get('/a%ed%a0%80b'), expect: [400] },
  { name: 'truncated UTF-8 sequence', raw: get('/a%e2%9cb'), expect: [400] },
  // Expectations.
  { name: 'an expectation other than 100-continue', raw: get('/', 'Expect: the-unexpected\r\n'), expect: [417] },
  { name: '100-continue with a parameter', raw: post('Expect: 100-continue; x=1\r\nContent-Length: 0\r\n', ''), expect: [417] },
  // Limits.
  { name: 'Content-Length over the body limit', raw: post('Content-Length: 11\r\n', '01234567890'), expect: [413], limits: { body: 10 } },
  { name: 'chunked body over the body limit', raw: chunked('b\r\n01234567890\r\n0\r\n\r\n'), expect: ['body:413'], limits: { body: 10 } },
  { name: 'request-line over the limit', raw: `GET /${'a'.repeat(100)} HTTP/1.1\r\n${H}\r\n`, expect: [414], limits: { requestLine: 64 } },
  { name: 'request-line over the limit before any line end', raw: `GET /${'a'.repeat(100)}`, expect: [414], limits: { requestLine: 64 } },
  { name: 'header section over the limit', raw: get('/', `X-Big: ${'a'.repeat(300)}\r\n`), expect: [431], limits: { headerSize: 256 } },
  {
    name: 'header section over the limit before its end',
    raw: `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(300)}`,
    expect: [431],
    limits: { headerSize: 256 },
  },
  {
    name: 'more than 100 fields',
    raw: `GET / HTTP/1.1\r\n${H}${Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`,
    expect: [431],
  },
  { name: 'more fields than a lower limit', raw: get('/', 'A: 1\r\nB: 2\r\nC: 3\r\n'), expect: [431], limits: { headerCount: 3 } },
  // After a refusal nothing more is read.
  { name: 'a good request after a bad one is not read', raw: `GET / HTTP/2.0\r\n${H}\r\n${get('/')}`, expect: [505] },
  {
    name: 'a bad request after good ones is refused in order',
    raw: `${get('/1')}${get('/2')}GET / HTTP/1.1\r\n\r\n`,
    expect: [200, 200, 400],
  },
];

/** Families of cases generated over character classes: each member is its own case. */
function generated(): Case[] {
  const cases: Case[] = [];
  for (let c = 0; c < 0x20; c++) {
    if (c === 0x09) continue;
    const hex = c.toString(16).padStart(2, '0');
    cases.push({
      name: `control character 0x${hex} in a header value`,
      raw: get('/', `X-A: a${String.fromCharCode(c)}b\r\n`),
      expect: [400],
    });
  }
  for (const c of ['(', ')', ',', '/', ':', ';', '<', '=', '>', '?', '@', '[', '\\', ']', '{', '}', '"']) {
    cases.push({ name: `separator ${JSON.stringify(c)} in a method`, raw: `G${c}T / HTTP/1.1\r\n${H}\r\n`, expect: [400] });
  }
  for (const c of ['(', ')', ',', '/', ';', '<', '=', '>', '?', '@', '[', '\\', ']', '{', '}', '"']) {
    cases.push({ name: `separator ${JSON.stringify(c)} in a field name`, raw: get('/', `X${c}A: 1\r\n`), expect: [400] });
  }
  for (const name of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'M-SEARCH']) {
    cases.push({
      name: `method ${name}`,
      raw: `${name} /x HTTP/1.1\r\n${H}\r\n`,
      expect: [200],
      check: (s) => equal(first(s).method, name, 'method'),
    });
  }
  return cases;
}

export const allCases: Case[] = [...validCases, ...invalidCases, ...generated()];
