/**
 * Resolving a URL path inside a document root: the one place that decides
 * which file, if any, a request may read. Everything that serves files from
 * a root (the static-file handler, its index files, precompressed siblings
 * and directory listings) goes through `resolveInRoot`, and nothing else
 * maps URL paths to the file system.
 *
 * The request's path arrives decoded once, dot segments removed (see
 * target.ts). It is never decoded again: "%2e%2e" in it is a file named
 * "%2e%2e". What is checked here:
 *
 * 1. Lexically: the path must be absolute and clean (no NUL or other control
 *    character, no backslash, no "." or ".." segment: the parser removed
 *    them, so one here means the path did not come from the parser and is
 *    not trusted). Dotfiles per policy. Excluded directories.
 * 2. On the file system: the real path (every symlink resolved) must stay
 *    inside the root's real path, unless symlinks may leave it; excluded
 *    directories and dotfiles are checked again on the real path, so a
 *    symlink cannot lead around them.
 *
 * The file system is injected (`RealpathFs`), so this module stays pure.
 */
import path from 'node:path';
import { assertNever } from '../core/component.js';
import type { ScriptNames } from './script-names.js';

/** Files and directories whose name begins with ".": "ignore" answers 404, "deny" 403, "allow" serves them. */
export type DotfilesPolicy = 'ignore' | 'deny' | 'allow';
/** Symlinks: "refuse" any, follow those that stay "inside" the root, or "follow" any, even out of it. */
export type SymlinkPolicy = 'refuse' | 'inside' | 'follow';

export interface RootPolicy {
  /** The document root: an absolute path. */
  readonly root: string;
  readonly dotfiles: DotfilesPolicy;
  readonly symlinks: SymlinkPolicy;
  /** Absolute paths of directories never served from, wherever they are. */
  readonly exclude: readonly string[];
  /** Names of files that run as scripts here, and so are never read as documents (script-names.ts). */
  readonly scripts?: ScriptNames | undefined;
}

export interface Refusal {
  readonly ok: false;
  readonly status: 400 | 403 | 404;
  readonly reason: string;
}

export interface MappedPath {
  readonly ok: true;
  /** root + the path's segments: the lexical file-system path. */
  readonly fsPath: string;
  /** The path's segments, none empty. */
  readonly segments: readonly string[];
  /** The URL path ended with "/": it names a directory. */
  readonly directory: boolean;
}

export interface ResolvedPath {
  readonly ok: true;
  readonly fsPath: string;
  /** The real path: what is opened. */
  readonly realPath: string;
  readonly directory: boolean;
}

/** The file-system operation resolving needs: realpath(3), rejecting with a Node error code. */
export interface RealpathFs {
  realpath(p: string): Promise<string>;
}

const refuse = (status: Refusal['status'], reason: string): Refusal => ({ ok: false, status, reason });
const controlChars = /[\x00-\x1f\x7f]/;
const windows = path.sep === '\\';
/** Windows also reads these as path syntax: drive letters, alternate data streams, and names it trims. */
const windowsSyntax = /[:*?"<>|]|[. ]$/;

/** Step 1: the URL path as a path under the root, or why it cannot be one. No file system. */
export function mapUrlPath(urlPath: string, policy: RootPolicy): MappedPath | Refusal {
  if (urlPath.charCodeAt(0) !== 0x2f) return refuse(400, 'path does not begin with "/"');
  if (controlChars.test(urlPath)) return refuse(400, 'control character in path');
  // On POSIX a backslash is a legal file-name character, but it is a separator on
  // Windows and a classic way to smuggle "..\" past checks that look for "/": refuse it.
  if (urlPath.includes('\\')) return refuse(400, 'backslash in path');
  const parts = urlPath.split('/');
  const segments: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const segment = parts[i]!;
    if (segment === '') continue;
    if (segment === '.' || segment === '..') return refuse(400, 'dot segment in path');
    if (windows && windowsSyntax.test(segment)) return refuse(400, 'reserved character in path');
    segments.push(segment);
  }
  const dot = dotfileRefusal(segments, policy.dotfiles);
  if (dot) return dot;
  const fsPath = segments.length === 0 ? policy.root : policy.root + path.sep + segments.join(path.sep);
  if (isExcluded(fsPath, policy.exclude)) return refuse(404, 'excluded directory');
  return { ok: true, fsPath, segments, directory: urlPath.endsWith('/') };
}

/**
 * Step 2: given the real paths of the root and of the file, whether it may be
 * served. `excludeReal` are the real paths of the excluded directories.
 */
export function checkRealPath(
  mapped: MappedPath,
  realPath: string,
  rootReal: string,
  excludeReal: readonly string[],
  policy: RootPolicy,
): Refusal | undefined {
  const inside = isWithin(realPath, rootReal);
  switch (policy.symlinks) {
    case 'refuse': {
      const expected = mapped.segments.length === 0 ? rootReal : rootReal + path.sep + mapped.segments.join(path.sep);
      if (realPath !== expected) return refuse(403, 'path goes through a symlink');
      break;
    }
    case 'inside':
      if (!inside) return refuse(403, 'symlink leads out of the document root');
      break;
    case 'follow':
      break;
    default:
      return assertNever(policy.symlinks);
  }
  // A symlink inside the root may point into a dot-directory or an excluded one: check where it lands.
  if (inside && realPath !== rootReal) {
    const dot = dotfileRefusal(realPath.slice(rootReal.length + 1).split(path.sep), policy.dotfiles);
    if (dot) return dot;
  }
  if (isExcluded(realPath, excludeReal)) return refuse(404, 'excluded directory');
  return undefined;
}

/**
 * Resolves a URL path inside the root: the lexical checks, then realpath and
 * the checks on where it really leads. A missing file is a 404 refusal; an
 * unreadable one 403; any other file-system error is thrown.
 */
export async function resolveInRoot(
  urlPath: string,
  policy: RootPolicy,
  roots: { readonly rootReal: string; readonly excludeReal: readonly string[] },
  fs: RealpathFs,
): Promise<ResolvedPath | Refusal> {
  const mapped = mapUrlPath(urlPath, policy);
  if (!mapped.ok) return mapped;
  let realPath: string;
  try {
    realPath = await fs.realpath(mapped.fsPath);
  } catch (error) {
    return fsRefusal(error);
  }
  const refused = checkRealPath(mapped, realPath, roots.rootReal, roots.excludeReal, policy);
  if (refused) return refused;
  return { ok: true, fsPath: mapped.fsPath, realPath, directory: mapped.directory };
}

/**
 * A file that runs as a script, or holds a script's source compressed, is
 * never read as a document: not by the name it was asked for, nor by the
 * name it really has (a symlink "notes.txt" to "index.php"). Called for
 * every regular file the document root would send, its index files and
 * precompressed siblings included.
 */
export function scriptRefusal(policy: RootPolicy, urlPath: string, realPath: string): Refusal | undefined {
  const names = policy.scripts;
  if (!names || names.size === 0) return undefined;
  if (names.hidden(urlPath.slice(urlPath.lastIndexOf('/') + 1)) || names.hidden(path.basename(realPath))) {
    return refuse(403, 'the file runs as a script: it is never sent as a document');
  }
  return undefined;
}

/** What a file-system error means for the client: missing (404), forbidden (403), or not ours to explain (undefined). */
export function fsRefusal(error: unknown): Refusal {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ENAMETOOLONG':
      return refuse(404, 'no such file');
    case 'EACCES':
    case 'EPERM':
      return refuse(403, 'permission denied');
    case 'ELOOP':
      return refuse(403, 'symlink loop');
    default:
      throw error;
  }
}

/** Whether `p` is `dir` or below it (both absolute, normalised). */
export function isWithin(p: string, dir: string): boolean {
  if (p === dir) return true;
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  return p.startsWith(prefix);
}

export function isExcluded(p: string, excluded: readonly string[]): boolean {
  for (const dir of excluded) if (isWithin(p, dir)) return true;
  return false;
}

/** Whether a file or directory name is a dotfile (".git", ".env"); never "." or "..", which never reach here. */
export function isDotfile(name: string): boolean {
  return name.charCodeAt(0) === 0x2e;
}

function dotfileRefusal(segments: readonly string[], policy: DotfilesPolicy): Refusal | undefined {
  if (policy === 'allow') return undefined;
  for (const segment of segments) {
    if (isDotfile(segment)) return policy === 'deny' ? refuse(403, 'dotfile') : refuse(404, 'dotfile');
  }
  return undefined;
}
