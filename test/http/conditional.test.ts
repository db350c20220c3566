import { describe, expect, it } from 'vitest';
import { evaluatePreconditions, ifRangeAllowsRange, type Precondition, type Validators } from '../../src/http/conditional.js';
import { fileEtag, parseEntityTagList, strongMatch, weakEtag, weakMatch } from '../../src/http/etag.js';
import { HeaderMap } from '../../src/http/headers.js';

const modified = Date.UTC(2024, 0, 10, 12, 0, 0);
const v: Validators = { etag: '"abc"', lastModified: modified };
const before = 'Tue, 09 Jan 2024 12:00:00 GMT';
const at = 'Wed, 10 Jan 2024 12:00:00 GMT';
const after = 'Thu, 11 Jan 2024 12:00:00 GMT';

describe('evaluatePreconditions (RFC 9110 §13.2.2)', () => {
  it.each<[string, string, Record<string, string>, Precondition]>([
    ['no conditions', 'GET', {}, 'proceed'],
    // Step 1: If-Match, strong comparison
    ['If-Match same', 'GET', { 'if-match': '"abc"' }, 'proceed'],
    ['If-Match in a list', 'GET', { 'if-match': '"x", "abc"' }, 'proceed'],
    ['If-Match *', 'GET', { 'if-match': '*' }, 'proceed'],
    ['If-Match other', 'GET', { 'if-match': '"x"' }, 'failed'],
    ['If-Match weak never matches', 'GET', { 'if-match': 'W/"abc"' }, 'failed'],
    ['If-Match malformed', 'GET', { 'if-match': 'abc' }, 'failed'],
    // Step 2: If-Unmodified-Since, only without If-Match
    ['If-Unmodified-Since after', 'GET', { 'if-unmodified-since': after }, 'proceed'],
    ['If-Unmodified-Since at', 'GET', { 'if-unmodified-since': at }, 'proceed'],
    ['If-Unmodified-Since before', 'GET', { 'if-unmodified-since': before }, 'failed'],
    ['If-Unmodified-Since invalid is ignored', 'GET', { 'if-unmodified-since': 'yesterday' }, 'proceed'],
    ['If-Match wins over If-Unmodified-Since', 'GET', { 'if-match': '"abc"', 'if-unmodified-since': before }, 'proceed'],
    // Step 3: If-None-Match, weak comparison
    ['If-None-Match same', 'GET', { 'if-none-match': '"abc"' }, 'not-modified'],
    ['If-None-Match weak form matches', 'GET', { 'if-none-match': 'W/"abc"' }, 'not-modified'],
    ['If-None-Match *', 'HEAD', { 'if-none-match': '*' }, 'not-modified'],
    ['If-None-Match other', 'GET', { 'if-none-match': '"x"' }, 'proceed'],
    ['If-None-Match with commas inside tags', 'GET', { 'if-none-match': '"a,b", "abc"' }, 'not-modified'],
    ['If-None-Match for POST fails', 'POST', { 'if-none-match': '"abc"' }, 'failed'],
    ['If-None-Match malformed is ignored', 'GET', { 'if-none-match': 'abc' }, 'proceed'],
    // Step 4: If-Modified-Since, GET and HEAD only, only without If-None-Match
    ['If-Modified-Since at', 'GET', { 'if-modified-since': at }, 'not-modified'],
    ['If-Modified-Since after', 'GET', { 'if-modified-since': after }, 'not-modified'],
    ['If-Modified-Since before', 'GET', { 'if-modified-since': before }, 'proceed'],
    ['If-Modified-Since, RFC 850 form', 'GET', { 'if-modified-since': 'Wednesday, 10-Jan-24 12:00:00 GMT' }, 'not-modified'],
    ['If-Modified-Since, asctime form', 'GET', { 'if-modified-since': 'Wed Jan 10 12:00:00 2024' }, 'not-modified'],
    ['If-Modified-Since invalid is ignored', 'GET', { 'if-modified-since': 'not a date' }, 'proceed'],
    ['If-Modified-Since ignored for POST', 'POST', { 'if-modified-since': after }, 'proceed'],
    ['If-None-Match wins over If-Modified-Since', 'GET', { 'if-none-match': '"x"', 'if-modified-since': after }, 'proceed'],
    // Order: 412 before 304
    ['If-Match fails before If-None-Match', 'GET', { 'if-match': '"x"', 'if-none-match': '"abc"' }, 'failed'],
    ['If-Unmodified-Since fails before If-Modified-Since', 'GET', { 'if-unmodified-since': before, 'if-modified-since': after }, 'failed'],
  ])('%s', (_, method, fields, expected) => {
    expect(evaluatePreconditions(method, new HeaderMap(fields), v)).toBe(expected);
  });
});

describe('ifRangeAllowsRange (§13.1.5)', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['"abc"', true],
    ['"x"', false],
    ['W/"abc"', false],
    [at, true],
    [after, false],
    [before, false],
    ['garbage', false],
  ])('%j -> %j', (value, expected) => {
    expect(ifRangeAllowsRange(value, v)).toBe(expected);
  });
});

describe('entity tags (§8.8.3)', () => {
  it('makes distinct strong tags from size and mtime', () => {
    expect(fileEtag(10, 1000.5)).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(fileEtag(10, 1000.5)).not.toBe(fileEtag(10, 1000.6));
    expect(fileEtag(10, 1000)).not.toBe(fileEtag(11, 1000));
    expect(fileEtag(10, 1000, '-br')).not.toBe(fileEtag(10, 1000));
  });

  it.each<[string, ReturnType<typeof parseEntityTagList>]>([
    ['*', '*'],
    ['"a"', [{ weak: false, opaque: '"a"' }]],
    [
      'W/"a", "b"',
      [
        { weak: true, opaque: '"a"' },
        { weak: false, opaque: '"b"' },
      ],
    ],
    [
      '  "a" ,, "b" ',
      [
        { weak: false, opaque: '"a"' },
        { weak: false, opaque: '"b"' },
      ],
    ],
    ['""', [{ weak: false, opaque: '""' }]],
    ['"a,b"', [{ weak: false, opaque: '"a,b"' }]],
    ['a', undefined],
    ['"a', undefined],
    ['"a" "b"', undefined],
    ['w/"a"', undefined],
    ['"a b"', undefined],
    ['', undefined],
  ])('parses %j', (value, expected) => {
    expect(parseEntityTagList(value)).toEqual(expected);
  });

  it('compares strongly and weakly', () => {
    const a = { weak: false, opaque: '"1"' };
    const wa = { weak: true, opaque: '"1"' };
    const b = { weak: false, opaque: '"2"' };
    expect([strongMatch(a, a), strongMatch(a, wa), strongMatch(wa, wa), strongMatch(a, b)]).toEqual([true, false, false, false]);
    expect([weakMatch(a, a), weakMatch(a, wa), weakMatch(wa, wa), weakMatch(a, b)]).toEqual([true, true, true, false]);
    expect(weakEtag('"1"')).toBe('W/"1"');
    expect(weakEtag('W/"1"')).toBe('W/"1"');
  });
});
