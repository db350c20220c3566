/**
 * Options of the document root (`root`, `static`) and of on-the-fly
 * compression (`compress`): their types, defaults and checks. `resolveOptions`
 * (options.ts) calls these once, at construction; a bad value is refused with
 * a TypeError naming the option.
 */
import path from 'node:path';
import { normalizeMimeOverrides } from './http/content-type.js';
import type { CachePolicy } from './http/cache-control.js';
import { defaultRangeLimits, type RangeLimits } from './http/range.js';
import type { DotfilesPolicy, SymlinkPolicy } from './http/resolve-path.js';

/** The content codings we produce or serve precompressed, and the file extension of each. */
export type Coding = 'br' | 'gzip';
export const codingExtensions: Readonly<Record<Coding, string>> = { br: '.br', gzip: '.gz' };

export interface StaticCacheOptions {
  /** Files whose metadata is kept. */
  readonly entries: number;
  /** Bytes of file content kept in memory, in all. */
  readonly bytes: number;
  /** Files up to this size are kept in memory; larger ones are read from disk for each response. */
  readonly fileSize: number;
  /**
   * Milliseconds a cached answer is trusted on the strength of the directory
   * watches alone before its files are checked by stat again; 0 checks by
   * stat on every request (and watches nothing).
   */
  readonly revalidate: number;
}

export interface StaticOptions {
  /** Files tried, in order, for a URL ending in "/". Default ["index.html"]; [] for none. */
  readonly index?: readonly string[];
  /** An HTML listing for a directory without an index file. Default false (404). */
  readonly listing?: boolean;
  /** Names beginning with ".": "ignore" (404, default), "deny" (403) or "allow". */
  readonly dotfiles?: DotfilesPolicy;
  /** Symlinks: followed while they stay "inside" the root (default), "follow" any, or "refuse" all. */
  readonly symlinks?: SymlinkPolicy;
  /** Content types by extension, over the built-in table: { ".md": "text/markdown" }. */
  readonly mime?: Readonly<Record<string, string>>;
  /** Cache-Control max-age, in seconds. Default 0: clients revalidate (a cheap 304). */
  readonly maxAge?: number;
  /** File names matching this are fingerprinted: "max-age=31536000, immutable". Default false. */
  readonly immutable?: RegExp | false;
  /** Serve `file.br` / `file.gz` in place of `file` to clients that accept them: true (br, gzip) or the codings in order. Default false. */
  readonly precompressed?: boolean | readonly Coding[];
  /** Directories never served from, even when inside the root (CGI directories, say). */
  readonly exclude?: readonly string[];
  /** File metadata and small files' content kept in memory (checked against the file on every request); false for none. */
  readonly cache?: Partial<StaticCacheOptions> | false;
  /** More ranges than this in one Range field and the whole file is sent. Default 16. */
  readonly maxRanges?: number;
}

export interface ResolvedStaticOptions {
  readonly index: readonly string[];
  readonly listing: boolean;
  readonly dotfiles: DotfilesPolicy;
  readonly symlinks: SymlinkPolicy;
  readonly mime: ReadonlyMap<string, string>;
  readonly cachePolicy: CachePolicy;
  readonly precompressed: readonly Coding[];
  /** Absolute paths. */
  readonly exclude: readonly string[];
  readonly cache: StaticCacheOptions | false;
  readonly ranges: RangeLimits;
}

export const defaultStaticCache: StaticCacheOptions = { entries: 10_000, bytes: 64 * 1024 * 1024, fileSize: 256 * 1024, revalidate: 1000 };

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

const staticKeys = new Set(['index', 'listing', 'dotfiles', 'symlinks', 'mime', 'maxAge', 'immutable', 'precompressed', 'exclude', 'cache', 'maxRanges']);

const bad = (option: string, must: string, got: unknown): TypeError =>
  new TypeError(`boxwire: option "${option}" must be ${must} (got ${JSON.stringify(got) ?? String(got)})`);

/** `root`: an absolute path (relative ones against the working directory), or false. */
export function resolveRoot(root: string | false | undefined): string | false {
  if (root === false) return false;
  const given = root ?? './static';
  if (typeof given !== 'string' || given === '' || given.includes('\0')) throw bad('root', 'a directory path or false', given);
  return path.resolve(given);
}

export function resolveStaticOptions(options: StaticOptions | undefined = {}): ResolvedStaticOptions {
  if (typeof options !== 'object' || options === null) throw bad('static', 'an object', options);
  for (const key of Object.keys(options)) if (!staticKeys.has(key)) throw new TypeError(`boxwire: unknown option "static.${key}" (known: ${[...staticKeys].join(', ')})`);
  const index = options.index ?? ['index.html'];
  if (!Array.isArray(index) || index.some((name) => typeof name !== 'string' || !isPlainName(name))) {
    throw bad('static.index', 'a list of file names (no "/")', index);
  }
  const listing = options.listing ?? false;
  if (typeof listing !== 'boolean') throw bad('static.listing', 'true or false', listing);
  const dotfiles = options.dotfiles ?? 'ignore';
  if (!['ignore', 'deny', 'allow'].includes(dotfiles)) throw bad('static.dotfiles', '"ignore", "deny" or "allow"', dotfiles);
  const symlinks = options.symlinks ?? 'inside';
  if (!['inside', 'follow', 'refuse'].includes(symlinks)) throw bad('static.symlinks', '"inside", "follow" or "refuse"', symlinks);
  let mime: ReadonlyMap<string, string>;
  try {
    if (typeof (options.mime ?? {}) !== 'object' || options.mime === null) throw new TypeError('an object');
    mime = normalizeMimeOverrides(options.mime ?? {});
  } catch (error) {
    throw new TypeError(`boxwire: option "static.mime": ${(error as Error).message}`);
  }
  const maxAge = options.maxAge ?? 0;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw bad('static.maxAge', 'a whole number of seconds', maxAge);
  const immutable = options.immutable ?? false;
  if (immutable !== false && !(immutable instanceof RegExp)) throw bad('static.immutable', 'a RegExp or false', String(immutable));
  const precompressed = options.precompressed === true ? (['br', 'gzip'] as const) : (options.precompressed || []);
  if (!Array.isArray(precompressed) || precompressed.some((c) => c !== 'br' && c !== 'gzip')) {
    throw bad('static.precompressed', 'true, false or a list of "br" and "gzip"', options.precompressed);
  }
  const exclude = options.exclude ?? [];
  if (!Array.isArray(exclude) || exclude.some((dir) => typeof dir !== 'string' || dir === '')) throw bad('static.exclude', 'a list of directory paths', exclude);
  const maxRanges = options.maxRanges ?? defaultRangeLimits.maxRanges;
  if (!Number.isInteger(maxRanges) || maxRanges < 1) throw bad('static.maxRanges', 'a whole number from 1', maxRanges);
  return {
    index,
    listing,
    dotfiles,
    symlinks,
    mime,
    // A global or sticky RegExp remembers where it last matched: test() would alternate.
    cachePolicy: { maxAge, immutable: immutable ? new RegExp(immutable.source, immutable.flags.replace(/[gy]/g, '')) : undefined },
    precompressed: [...new Set(precompressed)],
    exclude: exclude.map((dir) => path.resolve(dir)),
    cache: resolveCache(options.cache),
    ranges: { ...defaultRangeLimits, maxRanges },
  };
}

function resolveCache(cache: StaticOptions['cache']): StaticCacheOptions | false {
  if (cache === false) return false;
  if (cache === undefined) return defaultStaticCache;
  if (typeof cache !== 'object' || cache === null) throw bad('static.cache', 'an object or false', cache);
  const out: Record<string, number> = { ...defaultStaticCache };
  for (const [key, value] of Object.entries(cache)) {
    if (!(key in defaultStaticCache)) throw new TypeError(`boxwire: unknown option "static.cache.${key}" (known: ${Object.keys(defaultStaticCache).join(', ')})`);
    if (value === undefined) continue;
    if (!Number.isInteger(value) || (value as number) < 0) throw bad(`static.cache.${key}`, 'a whole number', value);
    out[key] = value as number;
  }
  return out as unknown as StaticCacheOptions;
}

export function resolveCompressOptions(compress: boolean | CompressOptions | undefined): ResolvedCompressOptions | false {
  if (compress === undefined || compress === false) return false;
  if (compress === true) return defaultCompress;
  if (typeof compress !== 'object' || compress === null) throw bad('compress', 'true, false or an object', compress);
  for (const key of Object.keys(compress)) if (!(key in defaultCompress)) throw new TypeError(`boxwire: unknown option "compress.${key}" (known: ${Object.keys(defaultCompress).join(', ')})`);
  const o = { ...defaultCompress, ...compress };
  if (!Array.isArray(o.encodings) || o.encodings.length === 0 || o.encodings.some((c) => c !== 'br' && c !== 'gzip')) {
    throw bad('compress.encodings', 'a non-empty list of "br" and "gzip"', o.encodings);
  }
  if (!Number.isInteger(o.minSize) || o.minSize < 0) throw bad('compress.minSize', 'a whole number of bytes', o.minSize);
  if (!Number.isInteger(o.gzipLevel) || o.gzipLevel < 1 || o.gzipLevel > 9) throw bad('compress.gzipLevel', 'a whole number from 1 to 9', o.gzipLevel);
  if (!Number.isInteger(o.brotliQuality) || o.brotliQuality < 0 || o.brotliQuality > 11) {
    throw bad('compress.brotliQuality', 'a whole number from 0 to 11', o.brotliQuality);
  }
  return { ...o, encodings: [...new Set(o.encodings)] };
}

/** A file name on its own: not empty, not "." or "..", no separator or NUL. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}
