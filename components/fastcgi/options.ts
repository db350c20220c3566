/**
 * FastCGI options: what `createServer({ fastcgi, fastcgiOptions })` and the
 * `--fastcgi*` flags say, checked once, at construction. A bad mapping,
 * address or value is a TypeError naming the option.
 *
 * A mapping sends requests to one FastCGI application:
 * - `{ extension: '.php', address }`: files of the document root whose name
 *   ends in the extension (the rest of the root is served as files);
 * - `{ prefix: '/app/', address }`: every request under a URL prefix
 *   (SCRIPT_NAME is the prefix, PATH_INFO the rest), as `--cgi` maps one
 *   program.
 * The application listens at `address` ("unix:/run/php/php8.2-fpm.sock" or
 * "127.0.0.1:9000"), or is started by boxwire itself (`spawn`): N processes,
 * each on a Unix socket in a directory only boxwire can reach, restarted
 * when they die and stopped with the server.
 */
import { isAbsolute, resolve } from 'node:path';
import { badOption } from '../../src/http/option-checks.js';

/** Where a FastCGI application listens. */
export type FastCgiAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** boxwire starts the application itself. */
export interface FastCgiSpawn {
  /**
   * The command: a string split at spaces, or a command and its arguments.
   * `{socket}` in it is replaced by the path of the Unix socket the process
   * must listen on ("php-cgi -b {socket}").
   */
  readonly command: string | readonly string[];
  /** Processes run, each on its own socket (default: `fastcgiOptions.processes`, 4). */
  readonly processes?: number;
  /** Connections open to each process at most (default 1: php-cgi serves one at a time). */
  readonly connections?: number;
  /** Variables set for the processes, besides PATH and the locale (passed on from the server). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface FastCgiMapping {
  /** Files of the document root with this extension (".php")... */
  readonly extension?: string;
  /** ...or every request under this URL prefix ("/app/"). */
  readonly prefix?: string;
  /** Where the application listens: "unix:/path/to.sock" or "HOST:PORT"... */
  readonly address?: string;
  /** ...or how to start it. */
  readonly spawn?: FastCgiSpawn;
}

export interface FastCgiOptions {
  /** Connections open to each application server at most; requests beyond wait in the queue (default 8). */
  readonly connections?: number;
  /** Requests waiting for a connection, at most, per application; more are answered 503 (default 128). */
  readonly queue?: number;
  /** Milliseconds to connect: 504 after (default 5000). */
  readonly connectTimeout?: number;
  /** Milliseconds from the request to the response head: 504 after, and the request is aborted (default 60000). */
  readonly headTimeout?: number;
  /** Milliseconds without a record from the application while a response is read: it is cut off (default 60000). */
  readonly readTimeout?: number;
  /** Milliseconds an idle connection is kept open for the next request (default 30000). */
  readonly idleTimeout?: number;
  /** Milliseconds an aborted request has to end (FCGI_END_REQUEST) before its connection is closed (default 1000). */
  readonly abortGrace?: number;
  /** Requests at once on one connection when the application says it multiplexes (FCGI_MPXS_CONNS); 1 never does (default 16). */
  readonly multiplex?: number;
  /** FCGI_PARAMS given to every request, over nothing the request sets. */
  readonly params?: Readonly<Record<string, string>>;
  /** Pass the Authorization field as HTTP_AUTHORIZATION (default true: applications authenticate, as nginx passes it). */
  readonly passAuthorization?: boolean;
  /** Bytes of a chunked request body held in memory before the rest goes to a temporary file (default 64 KiB). */
  readonly spillAt?: number;
  /** Longest header section an application may write, in bytes (default 64 KiB). */
  readonly headerLimit?: number;
  /** Processes each spawned application runs, unless its mapping says (default 4). */
  readonly processes?: number;
}

/** One application: its mapping, and the servers it is reached at. */
export interface ResolvedFastCgiApp {
  /** A name for logs and the status page: the extension or prefix, and the address or command. */
  readonly name: string;
  readonly extension: string | undefined;
  /** The mount point (the prefix without its trailing slash) and its route pattern, for a prefix mapping. */
  readonly mount: string | undefined;
  readonly route: string | undefined;
  /** Where it listens (given), or undefined: it is spawned. */
  readonly address: FastCgiAddress | undefined;
  readonly spawn: ResolvedFastCgiSpawn | undefined;
}

export interface ResolvedFastCgiSpawn {
  readonly argv: readonly string[];
  readonly processes: number;
  readonly connections: number;
  readonly env: Readonly<Record<string, string>>;
}

export interface ResolvedFastCgiOptions {
  readonly apps: readonly ResolvedFastCgiApp[];
  readonly connections: number;
  readonly queue: number;
  readonly connectTimeout: number;
  readonly headTimeout: number;
  readonly readTimeout: number;
  readonly idleTimeout: number;
  readonly abortGrace: number;
  readonly multiplex: number;
  readonly params: Readonly<Record<string, string>>;
  readonly passAuthorization: boolean;
  readonly spillAt: number;
  readonly headerLimit: number;
  readonly processes: number;
}

export const defaultFastCgiOptions = {
  connections: 8,
  queue: 128,
  connectTimeout: 5_000,
  headTimeout: 60_000,
  readTimeout: 60_000,
  idleTimeout: 30_000,
  abortGrace: 1_000,
  multiplex: 16,
  spillAt: 64 * 1024,
  headerLimit: 64 * 1024,
  processes: 4,
};

const knownOptions = new Set([...Object.keys(defaultFastCgiOptions), 'params', 'passAuthorization']);
const knownMapping = new Set(['extension', 'prefix', 'address', 'spawn']);
const knownSpawn = new Set(['command', 'processes', 'connections', 'env']);
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(message: string): never {
  throw new TypeError(`boxwire: ${message}`);
}

/**
 * An address as the options and flags write it: "unix:/path" (relative to
 * `cwd`), "HOST:PORT" or "[IPv6]:PORT". Undefined when it is none of them.
 */
export function parseFastCgiAddress(text: string, cwd = process.cwd()): FastCgiAddress | undefined {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path === '' || path.includes('\0')) return undefined;
    return { kind: 'unix', path: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { kind: 'tcp', host: m[1] ?? m[2]!, port };
}

/** An address as the logs write it. */
export function addressText(address: FastCgiAddress): string {
  return address.kind === 'unix'
    ? `unix:${address.path}`
    : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

export function resolveFastCgiOptions(
  mappings: readonly FastCgiMapping[] | undefined,
  options: FastCgiOptions = {},
  cwd = process.cwd(),
): ResolvedFastCgiOptions {
  if (typeof options !== 'object' || options === null) fail('option "fastcgiOptions" must be an object');
  for (const key of Object.keys(options)) if (!knownOptions.has(key)) fail(`unknown option "fastcgiOptions.${key}"`);
  const list = mappings ?? [];
  if (!Array.isArray(list)) fail('option "fastcgi" must be an array of { extension or prefix, address or spawn }');
  const processes = options.processes ?? defaultFastCgiOptions.processes;
  if (!Number.isInteger(processes) || processes < 1 || processes > 256)
    throw badOption('fastcgiOptions.processes', 'a whole number from 1 to 256', processes);
  const apps: ResolvedFastCgiApp[] = [];
  for (const mapping of list) {
    const app = resolveMapping(mapping, cwd, processes);
    const clash = apps.find(
      (a) => (app.extension !== undefined && a.extension === app.extension) || (app.mount !== undefined && a.mount === app.mount),
    );
    if (clash) fail(`option "fastcgi": ${app.extension ?? `prefix ${app.mount || '/'}`} is mapped twice`);
    apps.push(app);
  }
  const params = options.params ?? {};
  if (typeof params !== 'object' || params === null) fail('option "fastcgiOptions.params" must be an object of strings');
  for (const [name, value] of Object.entries(params)) {
    if (!envName.test(name)) fail(`option "fastcgiOptions.params": ${JSON.stringify(name)} is not a variable name`);
    if (typeof value !== 'string') fail(`option "fastcgiOptions.params.${name}" must be a string`);
  }
  const passAuthorization = options.passAuthorization ?? true;
  if (typeof passAuthorization !== 'boolean') throw badOption('fastcgiOptions.passAuthorization', 'true or false', passAuthorization);
  const d = defaultFastCgiOptions;
  return {
    apps,
    connections: whole('connections', options.connections, d.connections, 1),
    queue: whole('queue', options.queue, d.queue, 0),
    connectTimeout: positive('connectTimeout', options.connectTimeout, d.connectTimeout),
    headTimeout: positive('headTimeout', options.headTimeout, d.headTimeout),
    readTimeout: positive('readTimeout', options.readTimeout, d.readTimeout),
    idleTimeout: positive('idleTimeout', options.idleTimeout, d.idleTimeout),
    abortGrace: positive('abortGrace', options.abortGrace, d.abortGrace),
    multiplex: whole('multiplex', options.multiplex, d.multiplex, 1),
    params: { ...params },
    passAuthorization,
    spillAt: whole('spillAt', options.spillAt, d.spillAt, 0),
    headerLimit: whole('headerLimit', options.headerLimit, d.headerLimit, 256),
    processes,
  };
}

function resolveMapping(mapping: FastCgiMapping, cwd: string, processes: number): ResolvedFastCgiApp {
  if (typeof mapping !== 'object' || mapping === null)
    fail('option "fastcgi": each mapping must be { extension or prefix, address or spawn }');
  for (const key of Object.keys(mapping)) if (!knownMapping.has(key)) fail(`option "fastcgi": unknown field "${key}"`);
  const { extension, prefix, address, spawn } = mapping;
  if ((extension === undefined) === (prefix === undefined)) fail('option "fastcgi": each mapping takes one of "extension" and "prefix"');
  if ((address === undefined) === (spawn === undefined)) fail('option "fastcgi": each mapping takes one of "address" and "spawn"');
  let mount: string | undefined;
  if (extension !== undefined && (typeof extension !== 'string' || !/^\.[A-Za-z0-9_-]+$/.test(extension))) {
    fail(`option "fastcgi": ${JSON.stringify(extension)} is not an extension like ".php"`);
  }
  if (prefix !== undefined) {
    if (
      typeof prefix !== 'string' ||
      !prefix.startsWith('/') ||
      !/^[A-Za-z0-9\-._~!$&'()+,;=@/%]*$/.test(prefix) ||
      /\/\.{1,2}(\/|$)|\/\//.test(prefix)
    ) {
      fail(`option "fastcgi": prefix ${JSON.stringify(prefix)} must be a plain URL path starting with "/"`);
    }
    mount = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  }
  const where = extension ?? prefix!;
  let parsed: FastCgiAddress | undefined;
  if (address !== undefined) {
    parsed = typeof address === 'string' ? parseFastCgiAddress(address, cwd) : undefined;
    if (!parsed)
      fail(`option "fastcgi": the address for ${where} must be "unix:/path/to.sock" or "HOST:PORT" (got ${JSON.stringify(address)})`);
  }
  const spawned = spawn === undefined ? undefined : resolveSpawn(spawn, where, processes);
  return {
    name: `${where} -> ${parsed ? addressText(parsed) : spawned!.argv.join(' ')}`,
    extension: extension?.toLowerCase(),
    mount,
    route: mount === undefined ? undefined : `${mount}/*`,
    address: parsed,
    spawn: spawned,
  };
}

function resolveSpawn(spawn: FastCgiSpawn, where: string, defaultProcesses: number): ResolvedFastCgiSpawn {
  const name = `option "fastcgi": spawn for ${where}`;
  if (typeof spawn !== 'object' || spawn === null) fail(`${name} must be { command, processes? }`);
  for (const key of Object.keys(spawn)) if (!knownSpawn.has(key)) fail(`${name}: unknown field "${key}"`);
  const command = spawn.command;
  const argv = typeof command === 'string' ? command.trim().split(/\s+/).filter(Boolean) : command;
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string' || a === '' || a.includes('\0'))) {
    fail(`${name}: "command" must be a command line or a non-empty array of strings`);
  }
  if (!argv.some((a) => a.includes('{socket}')))
    fail(`${name}: the command must say where to listen with {socket} ("php-cgi -b {socket}")`);
  const processes = spawn.processes ?? defaultProcesses;
  if (!Number.isInteger(processes) || processes < 1 || processes > 256)
    throw badOption('fastcgi spawn.processes', 'a whole number from 1 to 256', processes);
  const connections = spawn.connections ?? 1;
  if (!Number.isInteger(connections) || connections < 1) throw badOption('fastcgi spawn.connections', 'a whole number from 1', connections);
  const env = spawn.env ?? {};
  if (typeof env !== 'object' || env === null) fail(`${name}: "env" must be an object of strings`);
  for (const [key, value] of Object.entries(env)) {
    if (!envName.test(key) || typeof value !== 'string' || value.includes('\0'))
      fail(`${name}: env ${JSON.stringify(key)} must be a name and a string`);
  }
  return { argv: [...argv], processes, connections, env: { ...env } };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw badOption(`fastcgiOptions.${name}`, 'a positive number', value);
  return value;
}

function whole(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw badOption(`fastcgiOptions.${name}`, `a whole number of at least ${min}`, value);
  return value;
}
