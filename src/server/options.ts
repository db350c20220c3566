/**
 * The one options object that `createServer`, the `boxwire` command and the
 * Rocket facade all feed. Defaults are applied and every value is checked
 * here, once, at construction: a bad value is refused with a TypeError that
 * names the option, never discovered at the first request.
 */
import type { Component } from '../core/component.js';
import type { GraphPlan } from '../core/graph-plan.js';
import type { StageFactory } from '../../components/http-connection.js';
import type { ConnectionInfo } from '../core/connection-info.js';
import type { AccessLogOption } from '../../components/access-log.js';
import type { ErrorPageOptions } from '../../components/error-page.js';
import { defaultParserLimits, defaultParserTimeouts, type ParserLimits, type ParserTimeouts } from '../../components/http-parser.js';
import { resolveLoggerOptions, type LoggerOptions } from '../../components/logger.js';
import { accessLogFormats } from '../http/log-format.js';
import type { Route } from '../../components/request-router.js';
import type { Interface } from '../../components/tcp-server/index.js';
import type { PoolOptions } from '../../components/wsgi/pool.js';
import type { WsgiApp } from '../../components/wsgi/routes.js';
import { resolveInterfaces, type ListenInterface } from './interfaces-option.js';
import { resolvePoolOptions, resolveWsgiApps } from './wsgi-options.js';
import type { WsgiOption } from './app-entries.js';
import { resolvePythonOptions, type PythonOptions, type ResolvedPythonOptions } from './python-options.js';
import {
  resolveCgiExtensions,
  resolveCgiOptions,
  type CgiExtensions,
  type CgiMapping,
  type CgiOptions,
  type ResolvedCgiExtensions,
  type ResolvedCgiOptions,
} from '../../components/cgi/options.js';
import {
  resolveFastCgiOptions,
  type FastCgiMapping,
  type FastCgiOptions,
  type ResolvedFastCgiOptions,
} from '../../components/fastcgi/options.js';
import { resolveRoot, resolveStaticOptions, type ResolvedStaticOptions, type StaticOptions } from '../../components/static-file/options.js';
import { resolveCompressOptions, type CompressOptions, type ResolvedCompressOptions } from '../../components/compress-options.js';
import { middlewareKeys, resolveMiddleware, type MiddlewareOptions, type ResolvedMiddleware } from './middleware-options.js';
import { resolveProxyList, type ProxyOption, type ResolvedProxyOptions } from '../../components/proxy/options.js';
import { resolveTrustProxy, type ResolvedTrustProxy, type TrustProxyOption } from '../../components/trust-proxy.js';

export interface Limits extends ParserLimits {
  /** Open connections at most; more are answered 503 and closed. */
  readonly connections: number;
}

export interface Timeouts extends ParserTimeouts {
  /** Milliseconds a handler may take to answer (its response head): 504 after, and the handler is stopped. */
  readonly handler: number;
  /** Milliseconds a client may leave the write buffer full before it is cut off. */
  readonly write: number;
  /** Milliseconds `stop()` lets requests in flight finish before closing everything. */
  readonly shutdown: number;
}

/** The built-in stages' options (auth, cors, rateLimit, redirects, rewrites, vhosts, securityHeaders) are in middleware-options.ts. */
export interface ServerOptions extends MiddlewareOptions {
  /** Address to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Port to listen on; 0 for any free port. Default 8080. */
  readonly port?: number;
  /** Addresses to listen on, each plain or TLS, instead of host and port (src/interfaces-option.ts). */
  readonly interfaces?: readonly ListenInterface[];
  /** Routes tried in order, before the built-in ones. */
  readonly routes?: readonly Route[];
  readonly limits?: Partial<Limits>;
  readonly timeouts?: Partial<Timeouts>;
  /** The Server response field; false for none. Default "boxwire". */
  readonly serverHeader?: string | false;
  /** "combined" (default), "common", a function of the sent response, or false. */
  readonly accessLog?: AccessLogOption | false;
  readonly errorPages?: ErrorPageOptions;
  /** Request stages of your own, between the parser and the router (made fresh per connection; see request-stage.ts). */
  readonly before?: readonly StageFactory[];
  /** Response stages of your own, between the router and the error page (made fresh per connection). */
  readonly after?: readonly StageFactory[];
  /** The old name of `after`, still taken. */
  readonly stages?: readonly StageFactory[];
  /** Edits the per-connection graph by name: `(plan) => plan.insert(...)`, `.replace(...)`, `.tap(...)`. */
  readonly connection?: (plan: GraphPlan<ConnectionInfo>) => GraphPlan<ConnectionInfo>;
  /** Replaces the whole per-connection graph: the most general way to compose your own server. */
  readonly protocol?: (info: ConnectionInfo, options: ResolvedOptions) => Component<any>;
  /** What is printed, and where. */
  readonly log?: LoggerOptions;
  /** A path for the status page (HTML, or JSON with ?format=json); off by default. */
  readonly status?: string | false;
  /** A path for load balancers' health checks (200 while the server accepts work); off by default. */
  readonly healthz?: string | false;
  /** A path for Prometheus metrics (text 0.0.4, or OpenMetrics when asked by Accept); off by default. */
  readonly metrics?: string | false;
  /**
   * Counting per component class and box name, per route and interface,
   * and the sampler behind the status page's plots; on by default. False
   * turns the runtime's counting off for the whole process (docs/observability.md).
   */
  readonly introspection?: boolean;
  /** WSGI and fetch-style applications on worker threads: "PREFIX=./app.mjs#export" or { prefix, module, export? }. */
  readonly wsgi?: readonly WsgiOption[];
  /** The thread pool they run on. */
  readonly pool?: Partial<PoolOptions>;
  /** How Python applications ("PREFIX=python:module:callable" in `wsgi`) run: python3 processes, threads, directories. */
  readonly python?: PythonOptions;
  /** URL prefixes served by CGI scripts, e.g. [{ prefix: '/cgi-bin/', path: './cgi' }]; none by default. */
  readonly cgi?: readonly CgiMapping[] | false;
  /** How CGI scripts run: interpreters, environment, limits. */
  readonly cgiOptions?: CgiOptions;
  /** Files of the document root run as CGI scripts, by extension: { ".php": true } (see docs/php.md). */
  readonly cgiExtensions?: CgiExtensions;
  /** FastCGI applications: files of the document root by extension, or URL prefixes, each at an address or spawned (see docs/php.md). */
  readonly fastcgi?: readonly FastCgiMapping[];
  /** How FastCGI applications are talked to: connections, queue, time limits, params. */
  readonly fastcgiOptions?: FastCgiOptions;
  /** The document root, served at "/" after every other route; none by default (the command: the current directory). */
  readonly root?: string | false;
  /** How the document root is served: index files, listings, dotfiles, symlinks, types, caching. */
  readonly static?: StaticOptions;
  /** Compress responses on the fly (a stage after the router): true, or options. Default false. */
  readonly compress?: boolean | CompressOptions;
  /**
   * Keep waiting for a CGI script or WSGI application whose client has ended
   * its side of the connection (a FIN) before the answer, for clients that
   * half-close and still read. Default false: such a client is taken for
   * gone, and its script killed or its job called off, as nginx does.
   */
  readonly serveHalfClosed?: boolean;
  /** URL prefixes passed on to upstream HTTP servers: "PREFIX=URL[,URL...]" or { prefix, to, ... } (docs/proxy.md). */
  readonly proxy?: readonly ProxyOption[];
  /** Proxies in front whose forwarding fields name the client: CIDR ranges, "loopback" (docs/proxy.md). */
  readonly trustProxy?: TrustProxyOption;
}

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly Route[];
  readonly limits: Limits;
  readonly timeouts: Timeouts;
  readonly serverHeader: string | false;
  readonly accessLog: AccessLogOption | false;
  readonly errorPages: ErrorPageOptions;
  readonly before: readonly StageFactory[];
  /** Response stages: `after`, or `stages` by its old name. */
  readonly after: readonly StageFactory[];
  readonly connection: ((plan: GraphPlan<ConnectionInfo>) => GraphPlan<ConnectionInfo>) | undefined;
  readonly protocol: ((info: ConnectionInfo, options: ResolvedOptions) => Component<any>) | undefined;
  readonly log: LoggerOptions;
  readonly status: string | false;
  readonly healthz: string | false;
  readonly metrics: string | false;
  readonly introspection: boolean;
  /** Where to listen: `interfaces`, or host and port. */
  readonly interfaces: readonly Interface[];
  readonly wsgi: readonly WsgiApp[];
  readonly pool: PoolOptions;
  /** The Python applications of `wsgi`, and their process pools' settings. */
  readonly python: ResolvedPythonOptions;
  readonly cgi: ResolvedCgiOptions;
  /** Extension -> interpreter (undefined: the file itself) of the document root's CGI scripts. */
  readonly cgiExtensions: ResolvedCgiExtensions;
  readonly fastcgi: ResolvedFastCgiOptions;
  /** Absolute path of the document root, or false. */
  readonly root: string | false;
  readonly static: ResolvedStaticOptions;
  readonly compress: ResolvedCompressOptions | false;
  /** The built-in stages and virtual hosts. */
  readonly middleware: ResolvedMiddleware;
  readonly serveHalfClosed: boolean;
  readonly proxy: readonly ResolvedProxyOptions[];
  readonly trustProxy: ResolvedTrustProxy | false;
}

export const defaultLimits: Limits = { ...defaultParserLimits, connections: 10_000 };
export const defaultTimeouts: Timeouts = { ...defaultParserTimeouts, handler: 60_000, write: 10_000, shutdown: 10_000 };

const known = new Set([
  'host',
  'port',
  'routes',
  'limits',
  'timeouts',
  'serverHeader',
  'accessLog',
  'errorPages',
  'before',
  'after',
  'stages',
  'connection',
  'protocol',
  'log',
  'status',
  'healthz',
  'metrics',
  'introspection',
  'interfaces',
  'wsgi',
  'pool',
  'python',
  'cgi',
  'cgiOptions',
  'cgiExtensions',
  'fastcgi',
  'fastcgiOptions',
  'root',
  'static',
  'compress',
  ...middlewareKeys,
  'serveHalfClosed',
  'proxy',
  'trustProxy',
]);

export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('boxwire: options must be an object');
  for (const key of Object.keys(options)) if (!known.has(key)) throw new TypeError(`boxwire: unknown option "${key}"`);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new TypeError(`boxwire: option "host" must be a non-empty string`);
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`boxwire: option "port" must be an integer from 0 to 65535 (got ${JSON.stringify(port)})`);
  }
  const routes = options.routes ?? [];
  if (!Array.isArray(routes)) throw new TypeError('boxwire: option "routes" must be an array');
  const limits = numbers('limits', defaultLimits, options.limits);
  const timeouts = numbers('timeouts', defaultTimeouts, options.timeouts);
  const serverHeader = options.serverHeader ?? 'boxwire';
  if (serverHeader !== false && (typeof serverHeader !== 'string' || /[\r\n]/.test(serverHeader))) {
    throw new TypeError('boxwire: option "serverHeader" must be a one-line string or false');
  }
  // JSON logs take a JSON access log too, unless told otherwise.
  const accessLog = options.accessLog ?? (options.log?.format === 'json' ? 'json' : 'combined');
  if (accessLog !== false && !accessLogFormats.includes(accessLog as never) && typeof accessLog !== 'function') {
    throw new TypeError(
      `boxwire: option "accessLog" must be "combined", "common", "json", a function or false (got ${JSON.stringify(accessLog)})`,
    );
  }
  const before = factories('before', options.before);
  if (options.after !== undefined && options.stages !== undefined)
    throw new TypeError('boxwire: give "after" or its old name "stages", not both');
  const after = options.stages !== undefined ? factories('stages', options.stages) : factories('after', options.after);
  if (options.connection !== undefined && typeof options.connection !== 'function') {
    throw new TypeError('boxwire: option "connection" must be a function (plan) => plan');
  }
  if (options.protocol !== undefined && typeof options.protocol !== 'function') {
    throw new TypeError('boxwire: option "protocol" must be a function (info, options) => component');
  }
  const root = resolveRoot(options.root);
  const status = routePath('status', options.status);
  const healthz = routePath('healthz', options.healthz);
  const metrics = routePath('metrics', options.metrics);
  const introspection = options.introspection ?? true;
  if (typeof introspection !== 'boolean') throw new TypeError('boxwire: option "introspection" must be true or false');
  if (options.interfaces !== undefined && (options.host !== undefined || options.port !== undefined)) {
    throw new TypeError('boxwire: give either "interfaces" or "host" and "port", not both');
  }
  const interfaces = options.interfaces !== undefined ? resolveInterfaces(options.interfaces) : [{ host, port }];
  const pool = resolvePoolOptions(options.pool);
  const serveHalfClosed = options.serveHalfClosed ?? false;
  if (typeof serveHalfClosed !== 'boolean') throw new TypeError('boxwire: option "serveHalfClosed" must be true or false');
  // CGI's DOCUMENT_ROOT is the document root unless said otherwise.
  const cgi = resolveCgiOptions(
    options.cgi,
    root && options.cgiOptions?.documentRoot === undefined ? { ...options.cgiOptions, documentRoot: root } : options.cgiOptions,
  );
  const cgiExtensions = resolveCgiExtensions(options.cgiExtensions, cgi.interpreters);
  if (cgiExtensions.size > 0 && root === false)
    throw new TypeError('boxwire: option "cgiExtensions" runs scripts of the document root, and "root" is false');
  const fastcgi = resolveFastCgiOptions(options.fastcgi, options.fastcgiOptions);
  for (const app of fastcgi.apps) {
    if (app.extension === undefined) continue;
    if (root === false)
      throw new TypeError(`boxwire: option "fastcgi": ${app.extension} runs files of the document root, and "root" is false`);
    if (cgiExtensions.has(app.extension)) throw new TypeError(`boxwire: ${app.extension} is given to both "cgiExtensions" and "fastcgi"`);
  }
  return {
    host,
    port,
    routes,
    limits,
    timeouts,
    serverHeader,
    accessLog,
    errorPages: options.errorPages ?? {},
    before,
    after,
    connection: options.connection,
    protocol: options.protocol,
    log: resolveLoggerOptions(options.log),
    status,
    healthz,
    metrics,
    introspection,
    interfaces,
    wsgi: resolveWsgiApps(options.wsgi),
    pool,
    python: resolvePythonOptions(options.wsgi, options.python, pool),
    cgi,
    cgiExtensions,
    fastcgi,
    root,
    static: resolveStaticOptions(options.static),
    compress: resolveCompressOptions(options.compress),
    middleware: resolveMiddleware(options),
    serveHalfClosed,
    proxy: resolveProxyList(options.proxy),
    trustProxy: resolveTrustProxy(options.trustProxy),
  };
}

/** A list of stage factories. */
function factories(name: string, given: readonly StageFactory[] | undefined): readonly StageFactory[] {
  if (given === undefined) return [];
  if (!Array.isArray(given) || given.some((s) => typeof s !== 'function')) {
    throw new TypeError(`boxwire: option "${name}" must be an array of component factories`);
  }
  return given;
}

/** An optional built-in route's path: an absolute path without wildcards, or false. */
function routePath(name: string, value: string | false | undefined): string | false {
  if (value === undefined || value === false) return false;
  if (typeof value !== 'string' || !/^\/[^*:?#\s]*$/.test(value)) {
    throw new TypeError(
      `boxwire: option "${name}" must be a path such as "/${name === 'status' ? 'server-status' : name}" (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** Fills a record of positive numbers from defaults, refusing unknown keys and bad values. */
function numbers<T extends object>(name: string, defaults: T, given: Partial<T> | undefined): T {
  if (given === undefined) return defaults;
  if (typeof given !== 'object' || given === null) throw new TypeError(`boxwire: option "${name}" must be an object`);
  const out: Record<string, number> = { ...(defaults as Record<string, number>) };
  for (const [key, value] of Object.entries(given)) {
    if (!(key in defaults)) throw new TypeError(`boxwire: unknown option "${name}.${key}" (known: ${Object.keys(defaults).join(', ')})`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw new TypeError(`boxwire: option "${name}.${key}" must be a positive number (got ${JSON.stringify(value)})`);
    }
    out[key] = value;
  }
  return out as T;
}
