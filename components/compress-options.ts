/**
 * Options of on-the-fly compression (`compress`): their type, defaults and
 * checks, resolved once when the server is made.
 */
import type { Coding } from '../src/http/compression.js';
import { badOption } from '../src/http/option-checks.js';

export interface CompressOptions {
  /** Codings offered, in the order preferred on a tie. Default ["br", "gzip"]. */
  readonly encodings?: readonly Coding[];
  /** Bodies known to be smaller than this many bytes are sent as they are. Default 1024. */
  readonly minSize?: number;
  /** gzip level, 1 (fast) to 9 (small). Default 6. */
  readonly gzipLevel?: number;
  /** Brotli quality, 0 (fast) to 11 (small). Default 4: on the fly, speed matters. */
  readonly brotliQuality?: number;
}

export type ResolvedCompressOptions = Required<CompressOptions>;

export const defaultCompress: ResolvedCompressOptions = { encodings: ['br', 'gzip'], minSize: 1024, gzipLevel: 6, brotliQuality: 4 };

export function resolveCompressOptions(compress: boolean | CompressOptions | undefined): ResolvedCompressOptions | false {
  if (compress === undefined || compress === false) return false;
  if (compress === true) return defaultCompress;
  if (typeof compress !== 'object' || compress === null) throw badOption('compress', 'true, false or an object', compress);
  for (const key of Object.keys(compress))
    if (!(key in defaultCompress))
      throw new TypeError(`boxwire: unknown option "compress.${key}" (known: ${Object.keys(defaultCompress).join(', ')})`);
  const o = { ...defaultCompress, ...compress };
  if (!Array.isArray(o.encodings) || o.encodings.length === 0 || o.encodings.some((c) => c !== 'br' && c !== 'gzip')) {
    throw badOption('compress.encodings', 'a non-empty list of "br" and "gzip"', o.encodings);
  }
  if (!Number.isInteger(o.minSize) || o.minSize < 0) throw badOption('compress.minSize', 'a whole number of bytes', o.minSize);
  if (!Number.isInteger(o.gzipLevel) || o.gzipLevel < 1 || o.gzipLevel > 9)
    throw badOption('compress.gzipLevel', 'a whole number from 1 to 9', o.gzipLevel);
  if (!Number.isInteger(o.brotliQuality) || o.brotliQuality < 0 || o.brotliQuality > 11) {
    throw badOption('compress.brotliQuality', 'a whole number from 0 to 11', o.brotliQuality);
  }
  return { ...o, encodings: [...new Set(o.encodings)] };
}
