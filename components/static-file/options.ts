/**
 * Options of the document root (`root`, `static`): their types, defaults and
 * checks. The server's `resolveOptions` calls these once, at construction; a
 * bad value is refused with a TypeError naming the option.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { normalizeMimeOverrides } from '../../src/http/content-type.js';
import type { CachePolicy } from '../../src/http/cache-control.js';
import { defaultRangeLimits, type RangeLimits } from '../../src/http/range.js';
import type { DotfilesPolicy, SymlinkPolicy } from '../../src/http/resolve-path.js';
import type { Coding } from '../../src/http/compression.js';
import { badOption } from '../../src/http/option-checks.js';
import type { ScriptNames } from '../../src/http/script-names.js';

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
  /** A single-page application: a navigation to a path with no file gets the root's index page (see src/http/spa-fallback.ts). Default false. */
  readonly spa?: boolean;
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
  readonly spa: boolean;
  /**
   * Names of the files that run as scripts in this root (set by the server
   * from the gateways' extensions, as it adds CGI directories to `exclude`):
   * never sent as documents.
   */
  readonly scripts?: ScriptNames | undefined;
}

export const defaultStaticCache: StaticCacheOptions = { entries: 10_000, bytes: 64 * 1024 * 1024, fileSize: 256 * 1024, revalidate: 1000 };

const staticKeys = new Set([
  'index',
  'listing',
  'dotfiles',
  'symlinks',
  'mime',
  'maxAge',
  'immutable',
  'precompressed',
  'exclude',
  'cache',
  'maxRanges',
  'spa',
]);

/**
 * `root`: an absolute path (relative ones against the working directory),
 * or false. None unless given: a server serves no files it was not told to
 * (the command gives the current directory when it is told none). A root
 * that is not a directory is refused now, not found missing at each request.
 */
export function resolveRoot(root: string | false | undefined): string | false {
  if (root === false || root === undefined) return false;
  if (typeof root !== 'string' || root === '' || root.includes('\0')) throw badOption('root', 'a directory path or false', root);
  const absolute = path.resolve(root);
  let isDirectory = false;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    // Said below.
  }
  if (!isDirectory) throw new TypeError(`boxwire: option "root": no directory at ${root} (${absolute})`);
  return absolute;
}

export function resolveStaticOptions(options: StaticOptions | undefined = {}): ResolvedStaticOptions {
  if (typeof options !== 'object' || options === null) throw badOption('static', 'an object', options);
  for (const key of Object.keys(options))
    if (!staticKeys.has(key)) throw new TypeError(`boxwire: unknown option "static.${key}" (known: ${[...staticKeys].join(', ')})`);
  const index = options.index ?? ['index.html'];
  if (!Array.isArray(index) || index.some((name) => typeof name !== 'string' || !isPlainName(name))) {
    throw badOption('static.index', 'a list of file names (no "/")', index);
  }
  const listing = options.listing ?? false;
  if (typeof listing !== 'boolean') throw badOption('static.listing', 'true or false', listing);
  const dotfiles = options.dotfiles ?? 'ignore';
  if (!['ignore', 'deny', 'allow'].includes(dotfiles)) throw badOption('static.dotfiles', '"ignore", "deny" or "allow"', dotfiles);
  const symlinks = options.symlinks ?? 'inside';
  if (!['inside', 'follow', 'refuse'].includes(symlinks)) throw badOption('static.symlinks', '"inside", "follow" or "refuse"', symlinks);
  let mime: ReadonlyMap<string, string>;
  try {
    if (typeof (options.mime ?? {}) !== 'object' || options.mime === null) throw new TypeError('an object');
    mime = normalizeMimeOverrides(options.mime ?? {});
  } catch (error) {
    throw new TypeError(`boxwire: option "static.mime": ${(error as Error).message}`);
  }
  const maxAge = options.maxAge ?? 0;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw badOption('static.maxAge', 'a whole number of seconds', maxAge);
  const immutable = options.immutable ?? false;
  if (immutable !== false && !(immutable instanceof RegExp)) throw badOption('static.immutable', 'a RegExp or false', String(immutable));
  const precompressed = options.precompressed === true ? (['br', 'gzip'] as const) : options.precompressed || [];
  if (!Array.isArray(precompressed) || precompressed.some((c) => c !== 'br' && c !== 'gzip')) {
    throw badOption('static.precompressed', 'true, false or a list of "br" and "gzip"', options.precompressed);
  }
  const exclude = options.exclude ?? [];
  if (!Array.isArray(exclude) || exclude.some((dir) => typeof dir !== 'string' || dir === ''))
    throw badOption('static.exclude', 'a list of directory paths', exclude);
  const maxRanges = options.maxRanges ?? defaultRangeLimits.maxRanges;
  if (!Number.isInteger(maxRanges) || maxRanges < 1) throw badOption('static.maxRanges', 'a whole number from 1', maxRanges);
  const spa = options.spa ?? false;
  if (typeof spa !== 'boolean') throw badOption('static.spa', 'true or false', spa);
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
    spa,
  };
}

function resolveCache(cache: StaticOptions['cache']): StaticCacheOptions | false {
  if (cache === false) return false;
  if (cache === undefined) return defaultStaticCache;
  if (typeof cache !== 'object' || cache === null) throw badOption('static.cache', 'an object or false', cache);
  const out: Record<string, number> = { ...defaultStaticCache };
  for (const [key, value] of Object.entries(cache)) {
    if (!(key in defaultStaticCache))
      throw new TypeError(`boxwire: unknown option "static.cache.${key}" (known: ${Object.keys(defaultStaticCache).join(', ')})`);
    if (value === undefined) continue;
    if (!Number.isInteger(value) || (value as number) < 0) throw badOption(`static.cache.${key}`, 'a whole number', value);
    out[key] = value as number;
  }
  return out as unknown as StaticCacheOptions;
}

/** A file name on its own: not empty, not "." or "..", no separator or NUL. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}
