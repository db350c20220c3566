/**
 * Finding the script a request names inside a CGI directory: the one place
 * that decision is made. The request path after the mount point is walked a
 * segment at a time (RFC 3875 §3.3: the script is named by a leading part of
 * the path; what follows is PATH_INFO) until a file is found. Refused:
 *
 * - a segment beginning with "." before the script is found (dotfiles and
 *   dot-directories, and so "." and ".." whatever reached us): 403;
 * - a directory itself (CGI directories are never listed): 403;
 * - anything that is neither a file nor a directory (a FIFO, a device): 403;
 * - a script whose real path, symlinks resolved, is not inside the real
 *   path of the CGI directory (a symlink escaping it): 403.
 *
 * The file to run is the real path that was checked, so a symlink swapped
 * after the check cannot point the server at another file. File-system
 * access is injected, so the walk is tested without touching a disk.
 */

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

export type ScriptLookup =
  | {
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
  | { readonly ok: false; readonly status: 403 | 404; readonly reason: string };

/**
 * Looks for the script that `rest` (the decoded request path after `mount`,
 * '' or beginning with '/') names under `root`, which must be a real path.
 */
export async function resolveScript(root: string, mount: string, rest: string, fs: ScriptFs): Promise<ScriptLookup> {
  const base = root.endsWith('/') ? root : `${root}/`;
  let dir = base;
  let at = 0; // rest[at] is the '/' before the next segment
  for (;;) {
    if (at >= rest.length) return refuse(403, 'a CGI directory is not listed');
    const next = rest.indexOf('/', at + 1);
    const end = next < 0 ? rest.length : next;
    const segment = rest.slice(at + 1, end);
    if (segment === '') return refuse(403, 'a CGI directory is not listed');
    if (segment.startsWith('.')) return refuse(403, `"${segment}" is a dotfile`);
    if (segment.includes('\0') || segment.includes('/')) return refuse(404, 'not a path segment');
    const candidate = dir + segment;
    const stat = await fs.stat(candidate);
    if (!stat) return refuse(404, `no ${candidate}`);
    if (stat.kind === 'directory') {
      dir = `${candidate}/`;
      at = end;
      continue;
    }
    if (stat.kind !== 'file') return refuse(403, `${candidate} is not a regular file`);
    let real: string;
    try {
      real = await fs.realpath(candidate);
    } catch {
      return refuse(404, `${candidate} went away`);
    }
    if (!real.startsWith(base)) return refuse(403, `${candidate} resolves to ${real}, outside ${root}`);
    return {
      ok: true,
      scriptName: mount + rest.slice(0, end),
      pathInfo: rest.slice(end),
      filename: real,
      name: segment,
      executable: (stat.mode & 0o111) !== 0,
    };
  }
}

function refuse(status: 403 | 404, reason: string): ScriptLookup {
  return { ok: false, status, reason };
}
