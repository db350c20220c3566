/**
 * Finding the script a request names: the one place that decision is made,
 * for a CGI directory (every file in it is a script) and for a document root
 * (files with a mapped extension are scripts, the rest are documents). The
 * request path after the mount point is walked a segment at a time (RFC 3875
 * §3.3: the script is named by a leading part of the path; what follows is
 * PATH_INFO, data that is never looked up) until a script is found.
 *
 * Refused, before the disk is asked about a segment:
 * - "." and "..", whatever reached us (the parser removes them): 403;
 * - a dotfile or dot-directory, as the policy says (deny 403, ignore 404);
 * - a NUL (404), another control character or a backslash (400).
 * Refused on the disk:
 * - nothing there (404); neither a file nor a directory (a FIFO, a device): 403;
 * - a directory itself, in a CGI directory (never listed): 403;
 * - a script whose real path breaks the root's symlink, dotfile or
 *   exclusion rules (checkRealPath, the document root's own checks): 403/404;
 * - in a document root, a script name that leads, through a symlink, to a
 *   file that is not one (it would run a document as a program): 403.
 * In a document root, a path that names no script (a directory, a document,
 * an index file that is not a script) is a document: the caller serves it.
 *
 * The file to run is the real path that was checked, so a symlink swapped
 * after the check cannot point the server at another file. File-system
 * access is injected, so the walk is tested without touching a disk.
 */
import path from 'node:path';
import { checkRealPath, isDotfile, type DotfilesPolicy, type SymlinkPolicy } from './resolve-path.js';

export interface ScriptStat {
  readonly kind: 'file' | 'directory' | 'other';
  /** Permission bits (for the executable bits). */
  readonly mode: number;
}

/** The file-system calls the walk needs. */
export interface ScriptFs {
  /** Follows symlinks; undefined when nothing is there. */
  stat(path: string): Promise<ScriptStat | undefined>;
  /** The path with every symlink resolved; rejects when it does not exist. */
  realpath(path: string): Promise<string>;
}

/** Where scripts are looked for, and the rules of that place. */
export interface ScriptPolicy {
  /** The directory the path is walked from (absolute). */
  readonly root: string;
  /** Its real path. */
  readonly rootReal: string;
  readonly dotfiles: DotfilesPolicy;
  readonly symlinks: SymlinkPolicy;
  /** Real paths of directories nothing is ever run or served from. */
  readonly excludeReal: readonly string[];
  /** Which file names are scripts; undefined: every file is (a CGI directory). */
  readonly runs?: (name: string) => boolean;
  /** Index files tried, in order, for a directory asked for with its slash; undefined: directories are refused (a CGI directory). */
  readonly index?: readonly string[];
}

export interface FoundScript {
  readonly ok: true;
  /** SCRIPT_NAME: the mount point and the segments that named the script. */
  readonly scriptName: string;
  /** PATH_INFO: the rest of the path, '' for none. */
  readonly pathInfo: string;
  /** The script's real path. */
  readonly filename: string;
  /** The last segment of SCRIPT_NAME: the name the script was asked for by. */
  readonly name: string;
  /** Whether any execute bit is set. */
  readonly executable: boolean;
}

export type ScriptLookup =
  | FoundScript
  | { readonly ok: false; readonly status: 400 | 403 | 404; readonly reason: string }
  /** No script on the path: it names a document (in a document root). */
  | { readonly ok: 'document' };

const document: ScriptLookup = Object.freeze({ ok: 'document' as const });
const otherControl = /[\x01-\x1f\x7f\\]/;

/**
 * Looks for the script that `rest` (the decoded request path after `mount`,
 * '' or beginning with '/') names under the policy's root.
 */
export async function findScript(policy: ScriptPolicy, mount: string, rest: string, fs: ScriptFs): Promise<ScriptLookup> {
  const base = policy.root.endsWith('/') ? policy.root : `${policy.root}/`;
  const segments: string[] = [];
  let dir = base;
  let at = 0; // rest[at] is the '/' before the next segment
  for (;;) {
    if (at >= rest.length || (at === rest.length - 1 && rest[at] === '/')) {
      // The path ends at a directory (the root, or one asked for with its slash).
      if (!policy.index) return refuse(403, 'a CGI directory is not listed');
      return indexScript(policy, mount, rest.slice(0, at) || '', dir, segments, fs);
    }
    const next = rest.indexOf('/', at + 1);
    const end = next < 0 ? rest.length : next;
    const segment = rest.slice(at + 1, end);
    const lexical = segmentRefusal(segment, policy.dotfiles);
    if (lexical) return lexical;
    const candidate = dir + segment;
    const stat = await fs.stat(candidate);
    if (!stat) return refuse(404, `no ${candidate}`);
    segments.push(segment);
    if (stat.kind === 'directory') {
      // Without its slash: a CGI directory is not listed; a document root redirects to the slash form.
      if (end === rest.length) return policy.index ? document : refuse(403, 'a CGI directory is not listed');
      dir = `${candidate}/`;
      at = end;
      continue;
    }
    if (stat.kind !== 'file') return refuse(403, `${candidate} is not a regular file`);
    if (policy.runs && !policy.runs(segment)) return document;
    return checked(
      policy,
      candidate,
      segments,
      stat,
      { scriptName: mount + rest.slice(0, end), pathInfo: rest.slice(end), name: segment },
      fs,
    );
  }
}

/** The first index file of a directory that exists: a script to run, or a document. */
async function indexScript(
  policy: ScriptPolicy,
  mount: string,
  dirPath: string,
  dir: string,
  segments: readonly string[],
  fs: ScriptFs,
): Promise<ScriptLookup> {
  for (const name of policy.index!) {
    if (segmentRefusal(name, policy.dotfiles)) continue;
    const candidate = dir + name;
    const stat = await fs.stat(candidate);
    if (stat?.kind !== 'file') continue;
    if (policy.runs && !policy.runs(name)) return document;
    const scriptName = `${mount}${dirPath}/${name}`;
    return checked(policy, candidate, [...segments, name], stat, { scriptName, pathInfo: '', name }, fs);
  }
  return document;
}

/** A script found by name: where it really is, and whether the root's rules let it run. */
async function checked(
  policy: ScriptPolicy,
  candidate: string,
  segments: readonly string[],
  stat: ScriptStat,
  named: { readonly scriptName: string; readonly pathInfo: string; readonly name: string },
  fs: ScriptFs,
): Promise<ScriptLookup> {
  let real: string;
  try {
    real = await fs.realpath(candidate);
  } catch {
    return refuse(404, `${candidate} went away`);
  }
  const mapped = { ok: true as const, fsPath: candidate, segments, directory: false };
  const rules = { root: policy.root, dotfiles: policy.dotfiles, symlinks: policy.symlinks, exclude: [] };
  const refused = checkRealPath(mapped, real, policy.rootReal, policy.excludeReal, rules);
  if (refused) return refuse(refused.status, `${candidate} resolves to ${real}: ${refused.reason}`);
  if (policy.runs && !policy.runs(path.basename(real))) return refuse(403, `${candidate} leads to ${real}, which is not a script`);
  return { ok: true, ...named, filename: real, executable: (stat.mode & 0o111) !== 0 };
}

/** What is wrong with a segment before the script is found, looked at without the disk. */
function segmentRefusal(segment: string, dotfiles: DotfilesPolicy): ScriptLookup | undefined {
  if (segment === '' || segment === '.' || segment === '..') return refuse(403, `"${segment}" is not a name`);
  if (segment.includes('\0')) return refuse(404, 'not a path segment');
  if (otherControl.test(segment)) return refuse(400, 'a control character or backslash in the path');
  if (isDotfile(segment) && dotfiles !== 'allow') return refuse(dotfiles === 'deny' ? 403 : 404, `"${segment}" is a dotfile`);
  return undefined;
}

function refuse(status: 400 | 403 | 404, reason: string): ScriptLookup {
  return { ok: false, status, reason };
}

/**
 * The script a request names in a CGI directory, `root` (a real path):
 * every file is a script, dotfiles are refused, symlinks must stay inside,
 * and the directory is never listed.
 */
export function resolveScript(root: string, mount: string, rest: string, fs: ScriptFs): Promise<ScriptLookup> {
  const rootReal = root.length > 1 && root.endsWith('/') ? root.slice(0, -1) : root;
  return findScript({ root, rootReal, dotfiles: 'deny', symlinks: 'inside', excludeReal: [] }, mount, rest, fs);
}
