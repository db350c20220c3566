/**
 * CGI options: what `createServer({ cgi, cgiOptions })` and the `--cgi*`
 * flags say, checked once and resolved against the working directory. A bad
 * mapping or value is a TypeError naming the option, at construction.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, extname, isAbsolute, join, resolve } from 'node:path';
import type { CgiIdentity } from '../../src/http/cgi-env.js';
import { defaultInheritedEnv, inheritedVariables } from '../../src/http/cgi-env.js';
import type { HttpRequest } from '../../src/http/messages.js';
import { nativeSpawnerMissing, resolveSpawner, type SpawnerChoice } from './spawner.js';

/** A URL prefix served by CGI: a directory of scripts, or one program. */
export interface CgiMapping {
  /** The URL prefix, e.g. "/cgi-bin/". */
  readonly prefix: string;
  /** A directory of scripts, or an executable program; relative to the working directory. */
  readonly path: string;
}

export interface CgiOptions {
  /**
   * Interpreters for scripts without the executable bit, by extension:
   * `{ '.rb': 'ruby', '.py': ['python3', '-u'], '.php': false }`. Merged over
   * the defaults (.py python3, .pl perl, .sh sh, .php php-cgi when installed);
   * false removes one.
   */
  readonly interpreters?: Readonly<Record<string, string | readonly string[] | false>>;
  /** Variables set for every script. */
  readonly env?: Readonly<Record<string, string>>;
  /** Variables of the server's own environment passed on, besides PATH, LANG, LANGUAGE, LC_*, TZ and TMPDIR. */
  readonly passEnv?: readonly string[];
  /** Pass the Authorization field as HTTP_AUTHORIZATION (default false). */
  readonly passAuthorization?: boolean;
  /** Milliseconds a script may run before its process group is killed (default 60000). */
  readonly timeLimit?: number;
  /** Milliseconds between SIGTERM and SIGKILL when a process group is killed (default 2000). */
  readonly killGrace?: number;
  /** Scripts running at once, at most (default 32). */
  readonly concurrency?: number;
  /** Requests waiting for a free slot, at most; more are answered 503 (default 128). */
  readonly queue?: number;
  /** Bytes of a chunked request body held in memory before the rest goes to a temporary file (default 64 KiB). */
  readonly spillAt?: number;
  /** Longest header section a script may write, in bytes (default 64 KiB). */
  readonly headerLimit?: number;
  /** DOCUMENT_ROOT, and where PATH_TRANSLATED points (default: the server's `root`, else the working directory). */
  readonly documentRoot?: string;
  /** Who the request was authenticated as (AUTH_TYPE, REMOTE_USER), when your server authenticates. */
  readonly authenticate?: (request: HttpRequest) => CgiIdentity | undefined;
  /**
   * What starts scripts: 'native' (posix_spawn, built at npm install; Linux),
   * 'node' (child_process.spawn), or 'auto': native when it is built and
   * loads, node otherwise. Default: the BOXWIRE_CGI_SPAWNER environment
   * variable, else 'auto'.
   */
  readonly spawner?: SpawnerChoice;
}

export interface ResolvedCgiMapping {
  /** The mount point: the prefix without its trailing slash ('' for "/"). */
  readonly mount: string;
  /** The route pattern that takes the prefix. */
  readonly route: string;
  /** Real path of the directory or program. */
  readonly path: string;
  readonly kind: 'directory' | 'program';
}

export interface ResolvedCgiOptions {
  readonly mappings: readonly ResolvedCgiMapping[];
  /** Extension (lower case, with its dot) -> command and leading arguments. */
  readonly interpreters: ReadonlyMap<string, readonly string[]>;
  readonly env: Readonly<Record<string, string>>;
  /** The allow-list of the server's own variables. */
  readonly inherit: readonly string[];
  /**
   * The server's own variables on the allow-list, read once when the options
   * are resolved (the server starts or reloads), as Apache and lighttpd read
   * theirs at start: reading process.env is a call into C++ per variable,
   * which would be paid by every request (see `npm run bench -- cgi`, server
   * CPU per request).
   */
  readonly serverEnv: Readonly<Record<string, string>>;
  readonly passAuthorization: boolean;
  readonly timeLimit: number;
  readonly killGrace: number;
  readonly concurrency: number;
  readonly queue: number;
  readonly spillAt: number;
  readonly headerLimit: number;
  readonly documentRoot: string;
  readonly authenticate: ((request: HttpRequest) => CgiIdentity | undefined) | undefined;
  /** The spawner 'auto' came to, or the one asked for. */
  readonly spawner: 'native' | 'node';
}

const defaults = {
  timeLimit: 60_000,
  killGrace: 2_000,
  concurrency: 32,
  queue: 128,
  spillAt: 64 * 1024,
  headerLimit: 64 * 1024,
};

const knownOptions = new Set([
  'interpreters',
  'env',
  'passEnv',
  'passAuthorization',
  'timeLimit',
  'killGrace',
  'concurrency',
  'queue',
  'spillAt',
  'headerLimit',
  'documentRoot',
  'authenticate',
  'spawner',
]);

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(message: string): never {
  throw new TypeError(`boxwire: ${message}`);
}

/**
 * Resolves the CGI mappings and options. `mappings` undefined or false means
 * no CGI at all: a server runs no scripts it was not told to (a ./cgi
 * directory beside it is not a reason to; `npm start`'s demo names its own).
 */
export function resolveCgiOptions(
  mappings: readonly CgiMapping[] | false | undefined,
  options: CgiOptions = {},
  cwd = process.cwd(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedCgiOptions {
  if (typeof options !== 'object' || options === null) fail('option "cgiOptions" must be an object');
  for (const key of Object.keys(options)) if (!knownOptions.has(key)) fail(`unknown option "cgiOptions.${key}"`);
  const resolved: ResolvedCgiMapping[] = [];
  if (mappings !== false && mappings !== undefined) {
    if (!Array.isArray(mappings)) fail('option "cgi" must be an array of { prefix, path } or false');
    for (const mapping of mappings) {
      const made = resolveMapping(mapping, cwd);
      if (resolved.some((m) => m.mount === made.mount)) fail(`option "cgi": prefix ${JSON.stringify(mapping.prefix)} is mapped twice`);
      resolved.push(made);
    }
  }
  const interpreters = resolveInterpreters(options.interpreters, env.PATH ?? '');
  for (const mapping of resolved) {
    if (mapping.kind === 'program' && !commandFor(mapping.path, isExecutable(mapping.path), interpreters)) {
      fail(`option "cgi": ${mapping.path} is neither executable nor run by an interpreter`);
    }
  }
  const extra = options.env ?? {};
  if (typeof extra !== 'object' || extra === null) fail('option "cgiOptions.env" must be an object of strings');
  for (const [name, value] of Object.entries(extra)) {
    if (!envName.test(name)) fail(`option "cgiOptions.env": ${JSON.stringify(name)} is not a variable name`);
    if (typeof value !== 'string' || value.includes('\0')) fail(`option "cgiOptions.env.${name}" must be a string without NUL`);
  }
  const passEnv = options.passEnv ?? [];
  if (!Array.isArray(passEnv) || passEnv.some((n) => typeof n !== 'string' || !envName.test(n))) {
    fail('option "cgiOptions.passEnv" must be an array of variable names');
  }
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
    fail('option "cgiOptions.authenticate" must be a function (request) => { type, user } | undefined');
  }
  const passAuthorization = options.passAuthorization ?? false;
  if (typeof passAuthorization !== 'boolean') fail('option "cgiOptions.passAuthorization" must be true or false');
  const spawnerFrom = options.spawner !== undefined ? 'option "cgiOptions.spawner"' : 'BOXWIRE_CGI_SPAWNER';
  const spawner = options.spawner ?? env.BOXWIRE_CGI_SPAWNER ?? 'auto';
  if (spawner !== 'auto' && spawner !== 'native' && spawner !== 'node')
    fail(`${spawnerFrom} must be "auto", "native" or "node" (got ${JSON.stringify(spawner)})`);
  if (spawner === 'native' && nativeSpawnerMissing()) fail(`${spawnerFrom}: the native spawner cannot be used: ${nativeSpawnerMissing()}`);
  // With no document root, DOCUMENT_ROOT is the working directory (a script needs some directory there).
  const documentRoot = options.documentRoot ?? '.';
  if (typeof documentRoot !== 'string' || documentRoot === '') fail('option "cgiOptions.documentRoot" must be a path');
  const inherit = [...defaultInheritedEnv, ...passEnv];
  return {
    mappings: resolved,
    interpreters,
    env: { ...extra },
    inherit,
    serverEnv: inheritedVariables(env, inherit),
    passAuthorization,
    timeLimit: positive('timeLimit', options.timeLimit, defaults.timeLimit),
    killGrace: positive('killGrace', options.killGrace, defaults.killGrace),
    concurrency: whole('concurrency', options.concurrency, defaults.concurrency, 1),
    queue: whole('queue', options.queue, defaults.queue, 0),
    spillAt: whole('spillAt', options.spillAt, defaults.spillAt, 0),
    headerLimit: whole('headerLimit', options.headerLimit, defaults.headerLimit, 256),
    documentRoot: resolve(cwd, documentRoot),
    authenticate: options.authenticate,
    spawner: resolveSpawner(spawner),
  };
}

function resolveMapping(mapping: CgiMapping, cwd: string): ResolvedCgiMapping {
  if (typeof mapping !== 'object' || mapping === null) fail('option "cgi": each mapping must be { prefix, path }');
  const { prefix, path } = mapping;
  if (
    typeof prefix !== 'string' ||
    !prefix.startsWith('/') ||
    !/^[A-Za-z0-9\-._~!$&'()+,;=@/%]*$/.test(prefix) ||
    /\/\.{1,2}(\/|$)|\/\//.test(prefix)
  ) {
    fail(`option "cgi": prefix ${JSON.stringify(prefix)} must be a plain URL path starting with "/"`);
  }
  if (typeof path !== 'string' || path === '') fail(`option "cgi": the path for ${prefix} must be a non-empty string`);
  const absolute = isAbsolute(path) ? path : resolve(cwd, path);
  let real: string;
  let isDirectory: boolean;
  try {
    real = realpathSync(absolute);
    isDirectory = statSync(real).isDirectory();
  } catch {
    return fail(`option "cgi": ${absolute} (for ${prefix}) does not exist`);
  }
  const mount = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return { mount, route: `${mount}/*`, path: real, kind: isDirectory ? 'directory' : 'program' };
}

/** php-cgi, python3, perl and sh by extension; the user's map over them. */
function resolveInterpreters(given: CgiOptions['interpreters'], searchPath: string): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, readonly string[]>([
    ['.py', ['python3']],
    ['.pl', ['perl']],
    ['.sh', ['sh']],
  ]);
  // php-cgi only when it is installed: otherwise .php files are refused (403), never shown.
  if (findOnPath('php-cgi', searchPath)) map.set('.php', ['php-cgi']);
  if (given === undefined) return map;
  if (typeof given !== 'object' || given === null) fail('option "cgiOptions.interpreters" must be an object');
  for (const [extension, command] of Object.entries(given)) {
    if (!/^\.[A-Za-z0-9_-]+$/.test(extension))
      fail(`option "cgiOptions.interpreters": ${JSON.stringify(extension)} is not an extension like ".py"`);
    const key = extension.toLowerCase();
    if (command === false) {
      map.delete(key);
      continue;
    }
    const argv = typeof command === 'string' ? [command] : command;
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string' || a === '' || a.includes('\0'))) {
      fail(`option "cgiOptions.interpreters.${extension}" must be a command, a non-empty array of strings, or false`);
    }
    map.set(key, [...argv]);
  }
  return map;
}

/** Whether `name` is an executable file in one of the PATH directories. */
export function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `cgiExtensions`: files of the document root that run as CGI scripts, by
 * extension. `true` runs them through the interpreter `cgiOptions.interpreters`
 * has for the extension (php-cgi for ".php", python3 for ".py"...), or as
 * programs themselves (their executable bit set) when it has none; a command
 * (a string, or a command and its leading arguments) runs them through it.
 */
export type CgiExtensions = Readonly<Record<string, true | string | readonly string[]>>;

/** Extension (lower case, with its dot) -> the interpreter and its arguments, or undefined: the file itself. */
export type ResolvedCgiExtensions = ReadonlyMap<string, readonly string[] | undefined>;

export function resolveCgiExtensions(
  given: CgiExtensions | undefined,
  interpreters: ReadonlyMap<string, readonly string[]>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedCgiExtensions {
  const map = new Map<string, readonly string[] | undefined>();
  if (given === undefined) return map;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    fail('option "cgiExtensions" must be an object: { ".php": true, ".rb": "ruby" }');
  }
  for (const [extension, command] of Object.entries(given)) {
    if (!/^\.[A-Za-z0-9_-]+$/.test(extension)) fail(`option "cgiExtensions": ${JSON.stringify(extension)} is not an extension like ".php"`);
    const key = extension.toLowerCase();
    if (map.has(key)) fail(`option "cgiExtensions": ${extension} is given twice`);
    if (command === true) {
      if (key === '.php' && !interpreters.has(key)) {
        fail('option "cgiExtensions": ".php" runs through php-cgi, which is not on PATH (install php-cgi, or give the interpreter)');
      }
      map.set(key, interpreters.get(key));
      continue;
    }
    const argv = typeof command === 'string' ? [command] : command;
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string' || a === '' || a.includes('\0'))) {
      fail(`option "cgiExtensions.${extension}" must be true, a command, or a non-empty array of strings`);
    }
    const program = argv[0]!;
    if (program.includes('/') ? !isExecutable(program) : !findOnPath(program, env.PATH ?? '')) {
      fail(`option "cgiExtensions.${extension}": ${program} is not an executable program`);
    }
    map.set(key, [...argv]);
  }
  return map;
}

/** How to run a script: itself when executable, else through the interpreter for its extension. */
export function commandFor(
  filename: string,
  executable: boolean,
  interpreters: ReadonlyMap<string, readonly string[]>,
): readonly string[] | undefined {
  if (executable) return [filename];
  const interpreter = interpreters.get(extname(filename).toLowerCase());
  return interpreter ? [...interpreter, filename] : undefined;
}

function isExecutable(path: string): boolean {
  try {
    return (statSync(path).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    fail(`option "cgiOptions.${name}" must be a positive number (got ${JSON.stringify(value)})`);
  return value;
}

function whole(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    fail(`option "cgiOptions.${name}" must be a whole number of at least ${min} (got ${JSON.stringify(value)})`);
  return value;
}
