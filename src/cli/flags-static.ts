/**
 * The command-line flags of the document root and of compression: each one
 * sets a field of `root`, `static` or `compress` in the options object, which
 * resolveOptions then checks as it checks options given in code.
 */
import { CliError, integer, pair, type Flag, type OptionsDraft } from './args.js';

const statics = (o: OptionsDraft) => (o.static ??= {});

/** Adds a value to a list option of `static`. */
function appendTo(o: OptionsDraft, key: 'index' | 'exclude', value: string): void {
  const s = statics(o);
  s[key] = [...(s[key] ?? []), value];
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`${flag} takes ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

export const staticFlags: readonly Flag[] = [
  {
    name: '--root',
    value: 'DIR',
    help: 'the document root, also given as the argument DIR; off to serve no files (default: the current directory)',
    apply: (o, v) => void (o.root = v === 'off' ? false : v),
    positional: { value: 'DIR', apply: (o, v) => void (o.root = v) },
  },
  {
    name: '--index',
    value: 'NAME',
    help: 'index file tried for a URL ending in /, in order given; off for none (default index.html)',
    repeatable: true,
    apply: (o, v) => (v === 'off' ? void (statics(o).index = []) : appendTo(o, 'index', v)),
  },
  {
    name: '--listing',
    help: 'list directories that have no index file (default off: 404)',
    apply: (o) => void (statics(o).listing = true),
  },
  {
    name: '--dotfiles',
    value: 'POLICY',
    help: 'files and directories named .*: ignore (404, default), deny (403) or allow',
    apply: (o, v) => void (statics(o).dotfiles = oneOf('--dotfiles', v, ['ignore', 'deny', 'allow'] as const)),
  },
  {
    name: '--symlinks',
    value: 'POLICY',
    help: 'inside (follow those that stay in the root, default), follow (any) or refuse (none)',
    apply: (o, v) => void (statics(o).symlinks = oneOf('--symlinks', v, ['inside', 'follow', 'refuse'] as const)),
  },
  {
    name: '--mime',
    value: '.EXT=TYPE',
    help: 'content type for an extension, e.g. --mime .md=text/markdown',
    repeatable: true,
    apply: (o, v) => {
      const [ext, type] = pair('--mime', v);
      const s = statics(o);
      s.mime = { ...(s.mime ?? {}), [ext]: type };
    },
  },
  {
    name: '--max-age',
    value: 'SECONDS',
    help: 'Cache-Control max-age for files (default 0: clients revalidate)',
    apply: (o, v) => void (statics(o).maxAge = integer('--max-age', v)),
  },
  {
    name: '--immutable',
    value: 'REGEX',
    help: 'file names of fingerprinted files, cached a year as immutable, e.g. "\\.[0-9a-f]{8}\\."',
    apply: (o, v) => {
      try {
        statics(o).immutable = new RegExp(v);
      } catch (error) {
        throw new CliError(`--immutable: ${(error as Error).message}`);
      }
    },
  },
  {
    name: '--precompressed',
    help: 'serve file.br / file.gz to clients that accept them',
    apply: (o) => void (statics(o).precompressed = true),
  },
  {
    name: '--exclude',
    value: 'DIR',
    help: 'a directory never served from, even inside the root',
    repeatable: true,
    apply: (o, v) => appendTo(o, 'exclude', v),
  },
  { name: '--no-file-cache', help: 'keep no file metadata or content in memory', apply: (o) => void (statics(o).cache = false) },
  {
    name: '--compress',
    help: 'compress responses on the fly (br, gzip) for clients that accept it',
    apply: (o) => void (o.compress = true),
  },
];
