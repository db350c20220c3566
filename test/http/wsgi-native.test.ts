/**
 * PEP 3333 native strings for Python: the decoded path as its UTF-8 bytes,
 * everything else as the bytes it was, and the NUL that would break the
 * framing refused.
 */
import { describe, expect, it } from 'vitest';
import { nativeEnviron, nativePath, nativeString, nulField } from '../../src/http/wsgi-native.js';

describe('PEP 3333 native strings', () => {
  it.each([
    ['/plain/ascii', '/plain/ascii'],
    ['/café', '/caf\u00c3\u00a9'],
    ['/€', '/\u00e2\u0082\u00ac'],
    ['/😀', '/\u00f0\u009f\u0098\u0080'],
    // A decoded "%" stays one byte: decoded once, never again.
    ['/100%', '/100%'],
  ])('path %j is %j', (path, native) => {
    expect(nativePath(path)).toBe(native);
    expect(Buffer.from(native, 'latin1').toString('utf8')).toBe(path);
  });

  it.each([
    ['text/plain', 'text/plain'],
    // Header values are bytes as characters already (the parser reads latin-1): they stay so.
    ['caf\u00e9', 'caf\u00e9'],
    ['\u00ff\u0080', '\u00ff\u0080'],
    // A value of the server's own beyond latin-1 becomes its UTF-8 bytes.
    ['boxwire ☃', 'boxwire \u00e2\u0098\u0083'],
  ])('value %j is %j', (value, native) => expect(nativeString(value)).toBe(native));

  it('converts a whole environ: paths as UTF-8, the rest as it is', () => {
    expect(nativeEnviron({ SCRIPT_NAME: '/ü', PATH_INFO: '/é', HTTP_X: '\u00e9', SERVER_SOFTWARE: 'b☃' })).toEqual({
      SCRIPT_NAME: '/\u00c3\u00bc',
      PATH_INFO: '/\u00c3\u00a9',
      HTTP_X: '\u00e9',
      SERVER_SOFTWARE: 'b\u00e2\u0098\u0083',
    });
  });

  it.each([
    [{ PATH_INFO: '/a', HTTP_X: 'b' }, undefined],
    [{ PATH_INFO: '/a', HTTP_X: 'b\0HTTP_AUTHORIZATION' }, 'HTTP_X'],
    [{ 'X\0Y': 'v' }, 'X\0Y'],
    [{ QUERY_STRING: 'a=\0' }, 'QUERY_STRING'],
  ])('refuses NUL, which would shift the pairs of the frame: %j', (env, field) => expect(nulField(env)).toBe(field));
});
