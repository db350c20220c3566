import { describe, expect, it } from 'vitest';
import { declaredLength, headersProblem, statusCode, statusProblem } from '../../src/http/wsgi-response.js';

describe('statusProblem: PEP 3333 status strings', () => {
  it.each(['200 OK', '404 Not Found', '599 Whatever', '201 ', "418 I'm a teapot"])('takes %j', (status) => {
    expect(statusProblem(status)).toBeUndefined();
  });
  it.each([
    ['200', /three digits, a space/],
    ['OK', /three digits/],
    ['2000 OK', /three digits/],
    ['200 OK\r\nSet-Cookie: x=1', /three digits/],
    ['200 OK\n', /three digits/],
    ['100 Continue', /final response/],
    ['600 Beyond', /final response/],
    [200, /must be a string/],
    [undefined, /must be a string/],
  ])('refuses %j', (status, reason) => {
    expect(statusProblem(status)).toMatch(reason);
  });
  it('reads the code', () => expect(statusCode('404 Not Found')).toBe(404));
});

describe('headersProblem: PEP 3333 response headers', () => {
  it.each([
    [[]],
    [
      [
        ['Content-Type', 'text/plain'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ],
    ],
    [[['X-Tab', 'a\tb']]],
  ])('takes %j', (headers) => {
    expect(headersProblem(headers)).toBeUndefined();
  });
  it.each([
    ['a record instead of pairs', { 'Content-Type': 'text/plain' }, /array of \[name, value\] pairs/],
    ['a triple', [['a', 'b', 'c']], /pair/],
    ['a number value', [['Content-Length', 5]], /must be a string/],
    ['a name with a space', [['Bad Name', 'x']], /not a token/],
    ['a name with a colon', [['X:Y', 'x']], /not a token/],
    ['CR LF in a value (response splitting)', [['X', 'a\r\nSet-Cookie: evil=1']], /control character/],
    ['a bare LF', [['X', 'a\nb']], /control character/],
    ['NUL', [['X', 'a\0b']], /control character/],
    ['Connection', [['Connection', 'close']], /hop-by-hop/],
    ['Keep-Alive', [['keep-alive', 'timeout=5']], /hop-by-hop/],
    ['Transfer-Encoding', [['Transfer-Encoding', 'chunked']], /hop-by-hop/],
    ['Upgrade', [['Upgrade', 'websocket']], /hop-by-hop/],
    ['TE', [['TE', 'trailers']], /hop-by-hop/],
    ['Trailer', [['Trailer', 'X']], /hop-by-hop/],
    ['Proxy-Authenticate', [['Proxy-Authenticate', 'Basic']], /hop-by-hop/],
    ['Proxy-Authorization', [['Proxy-Authorization', 'Basic x']], /hop-by-hop/],
  ])('refuses %s', (_, headers, reason) => {
    expect(headersProblem(headers)).toMatch(reason);
  });
});

describe('declaredLength', () => {
  it.each([
    [[['Content-Length', '12']], 12],
    [[['content-length', ' 0 ']], 0],
    [[['Content-Type', 'x']], undefined],
    [[['Content-Length', '-1']], undefined],
  ] as const)('%j -> %s', (headers, length) => {
    expect(declaredLength(headers as unknown as [string, string][])).toBe(length);
  });
});
