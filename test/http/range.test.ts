import { describe, expect, it } from 'vitest';
import { coalesce, contentRange, multipartFrame, parseRange, unsatisfiedRange, type RangeSelection } from '../../src/http/range.js';

const ranges = (...pairs: [number, number][]): RangeSelection => ({
  type: 'ranges',
  ranges: pairs.map(([start, end]) => ({ start, end })),
});
const whole: RangeSelection = { type: 'whole' };
const unsatisfiable: RangeSelection = { type: 'unsatisfiable' };

describe('parseRange (RFC 9110 §14.1.1, §14.2)', () => {
  const size = 1000;
  it.each<[string | undefined, RangeSelection]>([
    [undefined, whole],
    ['bytes=0-99', ranges([0, 100])],
    ['bytes=100-', ranges([100, 1000])],
    ['bytes=-100', ranges([900, 1000])],
    ['bytes=0-0', ranges([0, 1])],
    ['bytes=999-999', ranges([999, 1000])],
    ['bytes=990-2000', ranges([990, 1000])],
    ['bytes=-2000', ranges([0, 1000])],
    ['BYTES=0-9', ranges([0, 10])],
    ['bytes= 0-9 ,  20-29 ', ranges([0, 30])], // 10 bytes apart: one part
    ['bytes=0-9,500-509', ranges([0, 10], [500, 510])],
    ['bytes=500-509,0-9', ranges([0, 10], [500, 510])],
    ['bytes=0-499,100-599', ranges([0, 600])],
    ['bytes=0-9,,500-509,', ranges([0, 10], [500, 510])],
    ['bytes=1000-', unsatisfiable],
    ['bytes=5000-6000', unsatisfiable],
    ['bytes=-0', unsatisfiable],
    ['bytes=1000-1100,-0', unsatisfiable],
    ['bytes=1000-1100,0-9', ranges([0, 10])],
    ['bytes=9-0', whole],
    ['bytes=0-9,9-0', whole],
    ['bytes=a-b', whole],
    ['bytes=0-9x', whole],
    ['bytes 0-9', whole],
    ['bytes=', whole],
    ['bytes=,', whole],
    ['items=0-9', whole],
    ['bytes=--5', whole],
    ['bytes=0x10-20', whole],
    ['bytes=1e3-', whole],
    ['bytes=0 - 9', whole],
    ['bytes=99999999999999999999999-', unsatisfiable],
  ])('%j -> %j', (header, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it('refuses more ranges than the limit by ignoring the field (the whole file is sent)', () => {
    const many = `bytes=${Array.from({ length: 17 }, (_, i) => `${i * 50}-${i * 50 + 1}`).join(',')}`;
    expect(parseRange(many, size)).toEqual(whole);
    const sixteen = `bytes=${Array.from({ length: 16 }, (_, i) => `${i * 50}-${i * 50 + 1}`).join(',')}`;
    expect(parseRange(sixteen, size, { maxRanges: 16, coalesceGap: 0 })).toMatchObject({ type: 'ranges' });
  });

  it('merges a flood of overlapping ranges into one: the response is never larger than the file', () => {
    const overlapping = `bytes=${Array.from({ length: 16 }, () => '0-999').join(',')}`;
    expect(parseRange(overlapping, size)).toEqual(ranges([0, 1000]));
  });

  it('on an empty file every range is unsatisfiable, and invalid syntax still means the whole (empty) file', () => {
    expect(parseRange('bytes=0-', 0)).toEqual(unsatisfiable);
    expect(parseRange('bytes=-5', 0)).toEqual(unsatisfiable);
    expect(parseRange('bytes=x', 0)).toEqual(whole);
  });
});

describe('coalesce', () => {
  it.each<[[number, number][], number, [number, number][]]>([
    [[[0, 10]], 0, [[0, 10]]],
    [
      [
        [20, 30],
        [0, 10],
      ],
      0,
      [
        [0, 10],
        [20, 30],
      ],
    ],
    [
      [
        [0, 10],
        [10, 20],
      ],
      0,
      [[0, 20]],
    ],
    [
      [
        [0, 10],
        [15, 20],
      ],
      5,
      [[0, 20]],
    ],
    [
      [
        [0, 10],
        [16, 20],
      ],
      5,
      [
        [0, 10],
        [16, 20],
      ],
    ],
    [
      [
        [0, 100],
        [10, 20],
        [50, 60],
      ],
      0,
      [[0, 100]],
    ],
  ])('%j with gap %i -> %j', (input, gap, expected) => {
    const toRanges = (list: [number, number][]) => list.map(([start, end]) => ({ start, end }));
    expect(coalesce(toRanges(input), gap)).toEqual(toRanges(expected));
  });
});

describe('Content-Range and multipart framing', () => {
  it('formats Content-Range (§14.4)', () => {
    expect(contentRange({ start: 0, end: 100 }, 1000)).toBe('bytes 0-99/1000');
    expect(unsatisfiedRange(1000)).toBe('bytes */1000');
  });

  it('frames multipart/byteranges parts (§14.6)', () => {
    const frame = multipartFrame(
      [
        { start: 0, end: 2 },
        { start: 5, end: 7 },
      ],
      10,
      'text/plain',
      'B',
    );
    expect(frame.contentType).toBe('multipart/byteranges; boundary=B');
    expect(frame.heads).toEqual([
      '--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n',
      '\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/10\r\n\r\n',
    ]);
    expect(frame.tail).toBe('\r\n--B--\r\n');
  });
});
