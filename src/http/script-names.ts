/**
 * Which files of a document root are scripts: those whose name ends in one
 * of the mapped extensions (`--cgi-ext .php`, `--fastcgi .php=...`). The one
 * place that decides it, for both sides of the question: the script walk
 * (cgi-script-path.ts) runs such a file, and the document root
 * (resolve-path.ts, through the static-file cache) never sends one as a
 * document, whatever the request looks like.
 *
 * A name is compared the way a file system that is lenient about names
 * would read it: case-insensitively (".PHP" on a case-insensitive volume is
 * the same file as ".php"), and without trailing dots and spaces (Windows
 * drops them: "x.php." opens "x.php"). A precompressed sibling of a script
 * ("x.php.gz", "x.php.br") holds the script's source too: it is never a
 * document either, though it does not run.
 */
import { codingExtensions } from './compression.js';

/** Trailing dots and spaces, which some file systems ignore in a name. */
const trailing = /[. ]+$/;
const codings = Object.values(codingExtensions);

export class ScriptNames {
  /** Lower case, with the dot, longest first (so ".tar.php" is tried before ".php"). */
  readonly extensions: readonly string[];

  constructor(extensions: Iterable<string>) {
    this.extensions = [...new Set([...extensions].map((e) => e.toLowerCase()))].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.extensions.length;
  }

  /** The mapped extension a file of this name runs by, or undefined when it is a document. */
  extensionOf(name: string): string | undefined {
    const plain = name.replace(trailing, '').toLowerCase();
    for (const extension of this.extensions) if (plain.endsWith(extension)) return extension;
    return undefined;
  }

  /** Whether a file of this name runs as a script. */
  runs(name: string): boolean {
    return this.extensionOf(name) !== undefined;
  }

  /** Whether a file of this name must never be sent as a document: a script, or a script's precompressed sibling. */
  hidden(name: string): boolean {
    if (this.runs(name)) return true;
    const plain = name.replace(trailing, '').toLowerCase();
    for (const coding of codings) if (plain.endsWith(coding) && this.runs(plain.slice(0, -coding.length))) return true;
    return false;
  }

  /**
   * Whether a (decoded) URL path could name a script: a segment with a mapped
   * extension, or a directory whose index files include one. A cheap first
   * look, with no file system: the walk decides.
   */
  mayName(path: string, index: readonly string[]): boolean {
    if (this.extensions.length === 0) return false;
    if (path === '' || path.endsWith('/')) {
      for (const name of index) if (this.runs(name)) return true;
    }
    const lower = path.toLowerCase();
    // Most paths hold none of the extensions at all: one search each says so.
    if (!this.extensions.some((extension) => lower.includes(extension))) return false;
    for (const segment of path.split('/')) if (segment !== '' && this.runs(segment)) return true;
    return false;
  }
}
