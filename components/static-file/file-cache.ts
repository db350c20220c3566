/**
 * What the static-file handler knows about the files of one document root:
 * for each URL path, the file it resolved to (through resolve-path.ts, the
 * one home of that decision), its validators, its content type, its
 * precompressed siblings, and, for small files, its bytes.
 *
 * Freshness: each cached answer records the paths it depends on and the
 * stat of each (inode, size, mtime, ctime). The directories of those paths
 * are watched (dir-watches.ts): any change in one drops the answers that
 * depend on it at once, so an answer in the cache costs no system call to
 * trust. What a watch cannot see (an ancestor directory renamed, a file
 * system without events) is caught by checking the stats again at most once
 * per `revalidate` ms (lighttpd's stat cache, with inotify, works the same
 * way); with `revalidate: 0` every answer is checked by stat on every use.
 * A miss or a changed file takes the slow path: realpath, the checks, stat,
 * perhaps a read, all asynchronous.
 *
 * Memory is bounded: at most `entries` answers and `bytes` of content, the
 * least recently used dropped first.
 */
import { constants, statSync, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatHttpDate } from '../../src/http/date.js';
import { fileEtag } from '../../src/http/etag.js';
import { cacheControlFor } from '../../src/http/cache-control.js';
import { contentTypeOf } from '../../src/http/content-type.js';
import { fsRefusal, resolveInRoot, scriptRefusal, type Refusal, type ResolvedPath, type RootPolicy } from '../../src/http/resolve-path.js';
import { codingExtensions, type Coding } from '../../src/http/compression.js';
import type { ResolvedStaticOptions } from './options.js';
import { DirWatches } from './dir-watches.js';

/** One file as served: the identity bytes or a precompressed sibling. */
export interface Representation {
  /** The real path: what the responder opens. */
  readonly path: string;
  readonly size: number;
  readonly etag: string;
  /** Last-Modified in ms, whole seconds, and as the field carries it. */
  readonly lastModified: number;
  readonly lastModifiedText: string;
  /** The bytes, when the file is small enough to keep. */
  readonly content: Buffer | undefined;
}

export interface FileEntry {
  readonly type: 'file';
  readonly contentType: string;
  readonly cacheControl: string;
  readonly identity: Representation;
  /** Precompressed siblings that exist, in the server's order of preference. */
  readonly encoded: readonly (readonly [Coding, Representation])[];
}

/** What a URL path leads to. */
export type Lookup =
  | FileEntry
  /** A directory without an index file, asked for with its trailing slash. */
  | { readonly type: 'directory'; readonly realPath: string }
  /** A directory asked for without its trailing slash. */
  | { readonly type: 'redirect' }
  | { readonly type: 'refused'; readonly status: number; readonly reason: string };

/** The roots as the file system has them now. */
export interface RealRoots {
  readonly rootReal: string;
  readonly excludeReal: readonly string[];
}

interface StatKey {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** A path whose stat must still show the same file for a cached answer to stand. */
interface Check {
  /** The path as the URL maps it (through any symlinks). */
  readonly path: string;
  /** Where it really leads. */
  readonly real: string;
  readonly key: StatKey;
  /** A directory: changes among its entries matter too. */
  readonly directory: boolean;
}

interface Cached {
  readonly entry: FileEntry;
  readonly checks: readonly Check[];
  readonly bytes: number;
  /** The directories watched for it. */
  readonly dirs: readonly string[];
  /** Every one of them is watched: no need to stat on each use. */
  readonly watched: boolean;
  /** When its checks last passed (Date.now()). */
  validated: number;
}

const refused = (r: Refusal | { status: number; reason: string }): Lookup => ({ type: 'refused', status: r.status, reason: r.reason });
const redirect: Lookup = Object.freeze({ type: 'redirect' });
const realpathFs = { realpath: (p: string) => realpath(p) };
const readNonBlocking = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export class FileCache {
  private readonly entries = new Map<string, Cached>();
  private readonly watches = new DirWatches((keys) => {
    for (const key of keys) {
      const cached = this.entries.get(key);
      if (cached) this.drop(key, cached);
    }
  });
  private bytes = 0;
  /** Loads in progress, so a burst of requests for one new file resolves it once. */
  private readonly loading = new Map<string, Promise<Lookup>>();
  readonly policy: RootPolicy;

  constructor(
    root: string,
    private readonly options: ResolvedStaticOptions,
  ) {
    this.policy = { root, dotfiles: options.dotfiles, symlinks: options.symlinks, exclude: options.exclude, scripts: options.scripts };
  }

  /** Entries held, bytes of content held, and directories watched: for tests and monitoring. */
  get size(): { readonly entries: number; readonly bytes: number; readonly watched: number } {
    return { entries: this.entries.size, bytes: this.bytes, watched: this.watches.size };
  }

  /** The cached answer for a URL path if every file it depends on is unchanged; else undefined (and it is dropped). */
  fresh(urlPath: string): FileEntry | undefined {
    const cached = this.entries.get(urlPath);
    if (cached === undefined) return undefined;
    const limits = this.options.cache;
    const now = Date.now();
    if (!cached.watched || !limits || now - cached.validated >= limits.revalidate) {
      if (!allUnchanged(cached.checks)) {
        this.drop(urlPath, cached);
        return undefined;
      }
      cached.validated = now;
    }
    // Most recently used goes last; eviction takes from the front.
    this.entries.delete(urlPath);
    this.entries.set(urlPath, cached);
    return cached.entry;
  }

  /** Resolves a URL path afresh (the slow path), and caches a file it finds. */
  load(urlPath: string): Promise<Lookup> {
    let pending = this.loading.get(urlPath);
    if (!pending) {
      pending = this.resolve(urlPath).finally(() => this.loading.delete(urlPath));
      this.loading.set(urlPath, pending);
    }
    return pending;
  }

  /** Forgets everything and stops watching: when the server stops. */
  close(): void {
    this.watches.close();
    for (const [key, cached] of this.entries) this.drop(key, cached);
  }

  /** The real paths of the root and of the excluded directories; undefined when the root does not exist. */
  async roots(): Promise<RealRoots | undefined> {
    let rootReal: string;
    try {
      rootReal = await realpath(this.policy.root);
    } catch {
      return undefined;
    }
    // An excluded directory that does not exist (yet) is excluded by its lexical path.
    const excludeReal = await Promise.all(this.policy.exclude.map((dir) => realpath(dir).catch(() => dir)));
    return { rootReal, excludeReal };
  }

  /** Resolves a URL path inside the root with the server's policy: the one way this handler maps paths to files. */
  async resolvePath(urlPath: string, roots: RealRoots): Promise<ResolvedPath | Refusal> {
    return resolveInRoot(urlPath, this.policy, roots, realpathFs);
  }

  private async resolve(urlPath: string): Promise<Lookup> {
    const roots = await this.roots();
    if (!roots) return refused({ status: 404, reason: `document root ${this.policy.root} does not exist` });
    const resolved = await this.resolvePath(urlPath, roots);
    if (!resolved.ok) return refused(resolved);
    const stats = await statOr(resolved.realPath);
    if ('status' in stats) return refused(stats);
    if (stats.isDirectory()) {
      if (!resolved.directory) return redirect;
      const dirCheck: Check = { path: resolved.fsPath, real: resolved.realPath, key: keyOf(stats), directory: true };
      // The index file is cached under the directory's path, and depends on the directory too (a new index file).
      for (const name of this.options.index) {
        const index = await this.resolvePath(urlPath + name, roots);
        if (!index.ok) continue;
        const found = await this.loadFile(urlPath, urlPath + name, index, roots, [dirCheck]);
        if (found.type === 'file') return found;
      }
      return { type: 'directory', realPath: resolved.realPath };
    }
    if (resolved.directory) return refused({ status: 404, reason: 'not a directory' });
    return this.loadFile(urlPath, urlPath, resolved, roots, [], stats);
  }

  /**
   * The file at `fileUrl` (not a directory), as resolved (and, when `stats`
   * is given, stat'd) already, with its siblings; cached under `key` (the URL
   * path asked for) when the cache is on.
   */
  private async loadFile(
    key: string,
    fileUrl: string,
    resolved: ResolvedPath,
    roots: RealRoots,
    extraChecks: readonly Check[],
    stats?: Stats,
  ): Promise<Lookup> {
    const script = scriptRefusal(this.policy, fileUrl, resolved.realPath);
    if (script) return refused(script);
    const found = await this.representation(resolved.realPath, '', stats);
    if ('status' in found) return refused(found);
    const checks: Check[] = [...extraChecks, { path: resolved.fsPath, real: resolved.realPath, key: found.key, directory: false }];
    const encoded: [Coding, Representation][] = [];
    if (this.options.precompressed.length > 0) {
      // Siblings appear and disappear with the directory's mtime; each one's own stat covers its changes.
      const dir = path.dirname(resolved.fsPath);
      const dirStats = await statOr(dir);
      if (!('status' in dirStats)) checks.push({ path: dir, real: path.dirname(resolved.realPath), key: keyOf(dirStats), directory: true });
      for (const coding of this.options.precompressed) {
        const siblingUrl = fileUrl + codingExtensions[coding];
        const sibling = await this.resolvePath(siblingUrl, roots);
        if (!sibling.ok || scriptRefusal(this.policy, siblingUrl, sibling.realPath)) continue;
        const variant = await this.representation(sibling.realPath, `-${coding}`);
        if ('status' in variant) continue;
        encoded.push([coding, variant.representation]);
        checks.push({ path: sibling.fsPath, real: sibling.realPath, key: variant.key, directory: false });
      }
    }
    const name = lastSegment(fileUrl);
    const entry: FileEntry = {
      type: 'file',
      contentType: contentTypeOf(name, this.options.mime),
      cacheControl: cacheControlFor(name, this.options.cachePolicy),
      identity: found.representation,
      encoded,
    };
    this.store(key, entry, checks);
    return entry;
  }

  /**
   * Stats a regular file (unless its stat is `known`) and, when it is small
   * enough to keep, reads it; the key is the stat of what was read.
   */
  private async representation(
    realPath: string,
    etagSuffix: string,
    known?: Stats,
  ): Promise<{ representation: Representation; key: StatKey } | { status: number; reason: string }> {
    const limits = this.options.cache;
    let stats = known ?? (await statOr(realPath));
    if ('status' in stats) return stats;
    if (!stats.isFile()) return { status: 403, reason: 'not a regular file' };
    let content: Buffer | undefined;
    if (limits && stats.size <= limits.fileSize) {
      // Non-blocking: should the file have been swapped for a FIFO since the stat, open must not wait for a writer.
      const handle = await open(realPath, readNonBlocking).catch((error: unknown) => fsRefusal(error));
      if ('ok' in handle) return handle;
      try {
        stats = await handle.stat();
        if (!stats.isFile()) return { status: 403, reason: 'not a regular file' };
        const bytes = Buffer.allocUnsafe(stats.size);
        let filled = 0;
        while (filled < bytes.length) {
          const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        // A file that shrank while being read is served from disk, and its stat will show the change next time.
        if (filled === bytes.length) content = bytes;
      } finally {
        await handle.close();
      }
    }
    const lastModified = Math.floor(stats.mtimeMs / 1000) * 1000;
    return {
      representation: {
        path: realPath,
        size: stats.size,
        etag: fileEtag(stats.size, stats.mtimeMs, etagSuffix),
        lastModified,
        lastModifiedText: formatHttpDate(lastModified),
        content,
      },
      key: keyOf(stats),
    };
  }

  private store(urlPath: string, entry: FileEntry, checks: readonly Check[]): void {
    const limits = this.options.cache;
    if (!limits || limits.entries === 0) return;
    let bytes = entry.identity.content?.length ?? 0;
    for (const [, variant] of entry.encoded) bytes += variant.content?.length ?? 0;
    if (bytes > limits.bytes) return;
    const prior = this.entries.get(urlPath);
    if (prior) this.drop(urlPath, prior);
    // Watch first, then check: a change after the check is heard, and one before it is seen.
    const dirs = limits.revalidate === 0 ? [] : watchedDirs(checks);
    let watched = dirs.length > 0;
    for (const dir of dirs) if (!this.watches.add(dir, urlPath)) watched = false;
    if (!allUnchanged(checks)) {
      for (const dir of dirs) this.watches.remove(dir, urlPath);
      return;
    }
    this.entries.set(urlPath, { entry, checks, bytes, dirs, watched, validated: Date.now() });
    this.bytes += bytes;
    for (const [key, cached] of this.entries) {
      if (this.entries.size <= limits.entries && this.bytes <= limits.bytes) break;
      this.drop(key, cached);
    }
  }

  private drop(urlPath: string, cached: Cached): void {
    if (this.entries.get(urlPath) !== cached) return;
    this.entries.delete(urlPath);
    this.bytes -= cached.bytes;
    for (const dir of cached.dirs) this.watches.remove(dir, urlPath);
  }
}

/** The directories whose changes could change an answer: each path's own directory, through symlinks and where they lead, and directories themselves. */
function watchedDirs(checks: readonly Check[]): string[] {
  const dirs = new Set<string>();
  for (const check of checks) {
    dirs.add(path.dirname(check.path));
    dirs.add(path.dirname(check.real));
    if (check.directory) {
      dirs.add(check.path);
      dirs.add(check.real);
    }
  }
  return [...dirs];
}

function allUnchanged(checks: readonly Check[]): boolean {
  for (let i = 0; i < checks.length; i++) if (!unchanged(checks[i]!)) return false;
  return true;
}

function keyOf(stats: Stats): StatKey {
  return { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

/** Whether the path still leads to the same, unchanged file. */
function unchanged(check: Check): boolean {
  let stats: Stats | undefined;
  try {
    stats = statSync(check.path, { throwIfNoEntry: false });
  } catch {
    return false;
  }
  const key = check.key;
  return (
    stats !== undefined &&
    stats.ino === key.ino &&
    stats.size === key.size &&
    stats.mtimeMs === key.mtimeMs &&
    stats.ctimeMs === key.ctimeMs
  );
}

async function statOr(p: string): Promise<Stats | Refusal> {
  try {
    return await stat(p);
  } catch (error) {
    return fsRefusal(error);
  }
}

function lastSegment(urlPath: string): string {
  return urlPath.slice(urlPath.lastIndexOf('/') + 1);
}
