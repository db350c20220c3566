/**
 * Byte ranges (RFC 9110 §14): parsing a Range field against a
 * representation's length, the Content-Range values, and the framing of a
 * multipart/byteranges body (§14.6). Pure: the caller supplies the length
 * and, for multipart, the boundary.
 */

export interface ByteRange {
  /** First byte. */
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
}

export type RangeSelection =
  /** No Range, or one to ignore (bad syntax, another unit, too many ranges): send it all, 200. */
  | { readonly type: 'whole' }
  /** Not one range overlaps the representation: 416. */
  | { readonly type: 'unsatisfiable' }
  /** 206, with one part or several, in ascending order, overlaps merged. */
  | { readonly type: 'ranges'; readonly ranges: readonly ByteRange[] };

export interface RangeLimits {
  /** More range-specs than this and the Range is ignored (§14.2 lets a server refuse many small ranges). */
  readonly maxRanges: number;
  /** Ranges closer than this many bytes are sent as one part: the part head would cost more. */
  readonly coalesceGap: number;
}

export const defaultRangeLimits: RangeLimits = { maxRanges: 16, coalesceGap: 80 };

const whole: RangeSelection = Object.freeze({ type: 'whole' });
const unsatisfiable: RangeSelection = Object.freeze({ type: 'unsatisfiable' });
const spec = /^(?:(\d+)-(\d*)|-(\d+))$/;

/**
 * Parses `Range` for a representation of `size` bytes (§14.1.1, §14.2).
 * Invalid syntax is ignored, as §14.2 says: the whole representation is sent.
 */
export function parseRange(value: string | undefined, size: number, limits: RangeLimits = defaultRangeLimits): RangeSelection {
  if (value === undefined) return whole;
  const eq = value.indexOf('=');
  // ranges-specifier = range-unit "=" range-set; range units are case-insensitive (§14.1).
  if (eq < 0 || value.slice(0, eq).trim().toLowerCase() !== 'bytes') return whole;
  const specs = value.slice(eq + 1).split(',');
  const ranges: ByteRange[] = [];
  let count = 0;
  for (const raw of specs) {
    const text = raw.trim();
    if (text === '') continue; // empty list elements are allowed (§5.6.1.2)
    if (++count > limits.maxRanges) return whole;
    const m = spec.exec(text);
    if (!m) return whole;
    if (m[3] !== undefined) {
      // suffix-range: the last N bytes; unsatisfiable when N is 0 or the representation is empty.
      const suffix = Number(m[3]);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size });
      continue;
    }
    const first = Number(m[1]);
    const last = m[2] === '' ? Infinity : Number(m[2]);
    if (last < first) return whole; // an invalid int-range makes the whole field invalid
    if (first < size) ranges.push({ start: first, end: Math.min(last, size - 1) + 1 });
  }
  if (count === 0) return whole;
  if (ranges.length === 0) return unsatisfiable;
  return { type: 'ranges', ranges: coalesce(ranges, limits.coalesceGap) };
}

/**
 * Sorts ranges and merges those that overlap or nearly touch (§14.2 allows
 * it, "regardless of the order"): a request for many overlapping ranges
 * cannot make the response larger than the representation.
 */
export function coalesce(ranges: readonly ByteRange[], gap: number): ByteRange[] {
  if (ranges.length < 2) return [...ranges];
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [{ ...sorted[0]! }];
  for (let i = 1; i < sorted.length; i++) {
    const range = sorted[i]!;
    const last = out[out.length - 1]!;
    if (range.start <= last.end + gap) out[out.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
    else out.push({ ...range });
  }
  return out;
}

/** Content-Range for a part (§14.4): `bytes 0-99/1234`. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end - 1}/${size}`;
}

/** Content-Range of a 416 (§15.5.17): `bytes *\/1234`. */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}

export interface MultipartFrame {
  /** The Content-Type of the whole response. */
  readonly contentType: string;
  /** What goes before each part's bytes, in order. */
  readonly heads: readonly string[];
  /** What follows the last part. */
  readonly tail: string;
}

/**
 * The framing of a multipart/byteranges body (§14.6): each part is a head
 * (boundary, Content-Type, Content-Range), then its bytes; the body ends with
 * the closing boundary. The boundary must not occur in the content: a random
 * one of 20 or more characters is safe.
 */
export function multipartFrame(ranges: readonly ByteRange[], size: number, type: string, boundary: string): MultipartFrame {
  const heads = ranges.map(
    (range, i) => `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: ${contentRange(range, size)}\r\n\r\n`,
  );
  return { contentType: `multipart/byteranges; boundary=${boundary}`, heads, tail: `\r\n--${boundary}--\r\n` };
}
