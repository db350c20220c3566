/**
 * The upstream response head parser (src/http/parse-response-head.ts):
 * table tests, each fed whole and a byte at a time. Whatever could be read
 * two ways is refused (the proxy answers 502 and drops the connection).
 */
import { describe, expect, it } from 'vitest';
import { ResponseHeadReader, type HeadReaderResult } from '../../src/http/parse-response-head.js';

const limits = { method: 'GET', maxHeaders: 100, maxBytes: 16 * 1024 };

/** Reads a head fed whole and a byte at a time; both must agree. */
function read(text: string, method = 'GET', maxBytes = limits.maxBytes): HeadReaderResult | undefined {
  const bytes = Buffer.from(text, 'latin1');
  const whole = new ResponseHeadReader({ ...limits, method, maxBytes }).push(bytes);
  const reader = new ResponseHeadReader({ ...limits, method, maxBytes });
  let bytewise: HeadReaderResult | undefined;
  let restAfter = Buffer.alloc(0);
  for (let i = 0; i < bytes.length && !bytewise; i++) {
    bytewise = reader.push(bytes.subarray(i, i + 1));
    if (bytewise) restAfter = bytes.subarray(i + 1);
  }
  expect(bytewise?.ok).toBe(whole?.ok);
  if (whole?.ok && bytewise?.ok) {
    expect(bytewise.head).toEqual(whole.head);
    expect(Buffer.concat([bytewise.rest, restAfter])).toEqual(whole.rest);
  }
  if (whole && !whole.ok && bytewise && !bytewise.ok) expect(bytewise.reason).toBe(whole.reason);
  return whole;
}

describe('upstream response heads', () => {
  it.each([
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 200, 'OK', { kind: 'length', length: 5 }, true, 'hello'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n', 200, 'OK', { kind: 'chunked' }, true, '5\r\n'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n', 200, 'OK', { kind: 'chunked' }, true, ''],
    ['HTTP/1.1 200 OK\r\n\r\nuntil close', 200, 'OK', { kind: 'close' }, false, 'until close'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 200, 'OK', { kind: 'none' }, true, ''],
    ['HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\n', 200, 'OK', { kind: 'length', length: 3 }, true, ''],
    ['HTTP/1.1 204 No Content\r\n\r\n', 204, 'No Content', { kind: 'none' }, true, ''],
    ['HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n', 304, 'Not Modified', { kind: 'none' }, true, ''],
    ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200', 100, 'Continue', { kind: 'none' }, true, 'HTTP/1.1 200'],
    ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n', 200, 'OK', { kind: 'length', length: 1 }, false, ''],
    ['HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n', 200, 'OK', { kind: 'length', length: 1 }, false, ''],
    ['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n', 200, 'OK', { kind: 'length', length: 1 }, true, ''],
    ['HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n', 200, '', { kind: 'length', length: 1 }, true, ''],
    ['HTTP/1.1 404 \r\nContent-Length: 1\r\n\r\n', 404, '', { kind: 'length', length: 1 }, true, ''],
    ['HTTP/1.1 599 Odd \t but fine\xe9\r\nContent-Length: 1\r\n\r\n', 599, 'Odd \t but fine\xe9', { kind: 'length', length: 1 }, true, ''],
  ])('%j', (text, status, reason, framing, keepAlive, rest) => {
    const result = read(text);
    expect(result).toMatchObject({ ok: true, head: { status, reason, framing, keepAlive } });
    expect((result as { rest: Buffer }).rest.toString('latin1')).toBe(rest);
  });

  it('keeps the fields in order, as the server spelled them, repeats kept', () => {
    const result = read('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Thing:  v  \r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n');
    expect(result?.ok && [...result.head.headers]).toEqual([
      ['Set-Cookie', 'a=1'],
      ['X-Thing', 'v'],
      ['set-cookie', 'b=2'],
      ['Content-Length', '0'],
    ]);
  });

  it('a response to HEAD has no body, whatever its framing fields say', () => {
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'HEAD')).toMatchObject({ ok: true, head: { framing: { kind: 'none' } } });
    expect(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HEAD')).toMatchObject({
      ok: true,
      head: { framing: { kind: 'none' }, keepAlive: true },
    });
  });

  it.each([
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 'both Transfer-Encoding and Content-Length'],
    ['HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n', 'both Transfer-Encoding and Content-Length'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 'conflicting Content-Length'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n', 'conflicting Content-Length'],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'malformed Content-Length'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n', 'malformed Content-Length'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n', 'out of range'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'only chunked'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'only chunked'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 'only chunked'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n', 'only chunked'],
    ['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.0'],
    ['HTTP/1.1 200 OK\r\nX:\x01\r\n\r\n', 'control character'],
    ['HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n', 'control character'],
    ['HTTP/1.1 200 OK\r\nX : a\r\n\r\n', 'malformed header field'],
    ['HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n', 'obsolete line folding'],
    ['HTTP/1.1 200 OK\r\nno colon\r\n\r\n', 'malformed header field'],
    ['HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', 'bare LF'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n', 'bare LF'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n', 'bare LF'],
    ['\r\nHTTP/1.1 200 OK\r\n\r\n', 'empty line'],
    ['HTTP/1.1 2000 OK\r\n\r\n', 'malformed status line'],
    ['HTTP/1.1 20 OK\r\n\r\n', 'malformed status line'],
    ['HTTP/1.1 099 OK\r\n\r\n', 'malformed status line'],
    ['HTTP/1.1 600 Nope\r\n\r\n', 'out of range'],
    ['HTTP/1.1  200 OK\r\n\r\n', 'malformed status line'],
    ['HTTP/2.0 200 OK\r\n\r\n', 'malformed status line'],
    ['HTTP/1.2 200 OK\r\n\r\n', 'malformed status line'],
    ['http/1.1 200 OK\r\n\r\n', 'malformed status line'],
    ['HTTP/1.1 200 O\rK\r\n\r\n', 'malformed status line'],
    ['ICY 200 OK\r\n\r\n', 'malformed status line'],
    ['<html>hello</html>\r\n\r\n', 'malformed status line'],
  ])('refuses %j', (text, reason) => {
    const result = read(text);
    expect(result?.ok).toBe(false);
    expect((result as { reason: string }).reason).toContain(reason);
  });

  it('refuses a head over the size limit as soon as it is over, and too many fields', () => {
    const long = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(200)}`;
    const reader = new ResponseHeadReader({ ...limits, maxBytes: 100 });
    expect(reader.push(Buffer.from(long))).toMatchObject({ ok: false, reason: expect.stringContaining('over 100 bytes') });
    expect(read(`HTTP/1.1 200 OK\r\n${'X: 1\r\n'.repeat(101)}\r\n`)).toMatchObject({ ok: false, reason: 'more than 100 header fields' });
  });

  it('waits while the head is incomplete', () => {
    const reader = new ResponseHeadReader(limits);
    expect(reader.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n'))).toBeUndefined();
    expect(reader.push(Buffer.from('\r'))).toBeUndefined();
    expect(reader.push(Buffer.from('\nx'))).toMatchObject({ ok: true });
  });
});
