/**
 * Reverse proxy options: what `createServer({ proxy })`, `new ReverseProxy(...)`
 * and `--proxy PREFIX=URL[,URL...]` say, checked once. A bad URL or value
 * is a TypeError naming the option, at construction, never at the first
 * request.
 */
import { isAbsolute } from 'node:path';
import { badOption } from '../../src/http/option-checks.js';
import { parseAuthority } from '../../src/http/target.js';

/** One proxied prefix and the servers behind it. */
export interface ProxyOptions {
  /** The URL prefix passed on: "/api/" takes /api and everything under it; "/" takes everything. */
  readonly prefix: string;
  /**
   * The upstream HTTP/1.1 servers: "http://host:port/base" (the base path
   * replaces the prefix), "unix:/path/to.sock" or "unix:/path/to.sock:/base".
   */
  readonly to: string | readonly string[];
  /** Keep the prefix in the path sent upstream, under the base (default false: the base replaces it). */
  readonly keepPrefix?: boolean;
  /** Host sent upstream: "pass" the client's (default), "upstream" (the URL's authority), or { value } of your own. */
  readonly host?: 'pass' | 'upstream' | { readonly value: string };
  /** How requests are spread: "round-robin" (default) or "least-in-flight" (the upstream with fewest requests in flight). */
  readonly balance?: 'round-robin' | 'least-in-flight';
  /** Connections open to each upstream at most; more requests wait (default 64). */
  readonly connections?: number;
  /** Idle keep-alive connections kept per upstream (default 16). */
  readonly idle?: number;
  /** Requests waiting for a connection to one upstream, at most; more are answered 503 (default 256). */
  readonly queue?: number;
  /** Milliseconds. */
  readonly timeouts?: {
    /** To connect, and to wait for a connection when all are busy (default 5000): 502 or 504 after. */
    readonly connect?: number;
    /** From the request sent to the response head: no byte for this long is a 504 (default 60000). */
    readonly response?: number;
    /** Between bytes of a body, either way (default 60000): the exchange is cut short after. */
    readonly idle?: number;
    /** An idle pooled connection is closed after this long (default 4000: below the usual upstream keep-alive timeouts). */
    readonly keepAlive?: number;
    /** An upstream that refused or reset a connection is left alone this long (default 10000), unless a health check brings it back. */
    readonly down?: number;
  };
  /** GET `path` on every upstream every `interval` ms; a 2xx or 3xx within `timeout` ms marks it up, anything else down. */
  readonly healthCheck?: { readonly path: string; readonly interval?: number; readonly timeout?: number } | false;
  /** The pseudonym in the Via field added both ways (default "boxwire"); false for none. */
  readonly via?: string | false;
  /** Set X-Forwarded-For, -Proto and -Host (default true). */
  readonly xForwarded?: boolean;
  /** Set Forwarded, RFC 7239 (default true). */
  readonly forwarded?: boolean;
  /** Largest upstream response head, in bytes (default 64 KiB): a bigger one is a 502. */
  readonly maxResponseHead?: number;
}

/** Where one upstream is. */
export type UpstreamAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export interface UpstreamSpec {
  /** The URL as given, for logs. */
  readonly url: string;
  readonly address: UpstreamAddress;
  /** The Host sent when `host` is "upstream": the URL's authority ("localhost" for a socket). */
  readonly authority: string;
  /** The base path: the prefix is replaced by it ("" for none). */
  readonly base: string;
}

export interface ResolvedProxyOptions {
  /** The mount: the prefix without its trailing slash ("" for "/"). */
  readonly mount: string;
  readonly upstreams: readonly UpstreamSpec[];
  readonly keepPrefix: boolean;
  readonly host: 'pass' | 'upstream' | { readonly value: string };
  readonly balance: 'round-robin' | 'least-in-flight';
  readonly connections: number;
  readonly idle: number;
  readonly queue: number;
  readonly timeouts: {
    readonly connect: number;
    readonly response: number;
    readonly idle: number;
    readonly keepAlive: number;
    readonly down: number;
  };
  readonly healthCheck: { readonly path: string; readonly interval: number; readonly timeout: number } | false;
  readonly via: string | false;
  readonly xForwarded: boolean;
  readonly forwarded: boolean;
  readonly maxResponseHead: number;
}

/** "PREFIX=URL[,URL...]", or the same as an object. */
export type ProxyOption = string | ProxyOptions;

export const defaultProxyTimeouts = { connect: 5_000, response: 60_000, idle: 60_000, keepAlive: 4_000, down: 10_000 } as const;

const knownKeys = new Set([
  'prefix',
  'to',
  'keepPrefix',
  'host',
  'balance',
  'connections',
  'idle',
  'queue',
  'timeouts',
  'healthCheck',
  'via',
  'xForwarded',
  'forwarded',
  'maxResponseHead',
]);

/** Splits "PREFIX=URL[,URL...]". */
export function parseProxySpec(spec: string, where = 'proxy'): ProxyOptions {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw badOption(where, 'PREFIX=URL[,URL...], such as /api/=http://127.0.0.1:9000', spec);
  return { prefix: spec.slice(0, eq), to: spec.slice(eq + 1).split(',') };
}

/** Every entry of the `proxy` option, resolved. */
export function resolveProxyList(given: unknown): ResolvedProxyOptions[] {
  if (given === undefined) return [];
  if (!Array.isArray(given)) throw badOption('proxy', 'an array of "PREFIX=URL[,URL...]" or { prefix, to, ... }', given);
  return given.map((entry, i) => resolveProxyOptions(entry as ProxyOption, `proxy[${i}]`));
}

export function resolveProxyOptions(given: ProxyOption, where = 'proxy'): ResolvedProxyOptions {
  const options = typeof given === 'string' ? parseProxySpec(given, where) : given;
  if (typeof options !== 'object' || options === null) throw badOption(where, 'a string PREFIX=URL or an object { prefix, to }', options);
  for (const key of Object.keys(options)) if (!knownKeys.has(key)) throw new TypeError(`boxwire: unknown option "${where}.${key}"`);
  const { prefix } = options;
  if (typeof prefix !== 'string' || !/^\/[^*:?#\s]*$/.test(prefix)) throw badOption(`${where}.prefix`, 'a path such as "/api/"', prefix);
  const list = typeof options.to === 'string' ? [options.to] : options.to;
  if (!Array.isArray(list) || list.length === 0) throw badOption(`${where}.to`, 'an upstream URL or a non-empty list of them', options.to);
  const upstreams = list.map((url, i) => parseUpstream(url, `${where}.to[${i}]`));
  const host = options.host ?? 'pass';
  if (
    host !== 'pass' &&
    host !== 'upstream' &&
    !(typeof host === 'object' && host !== null && typeof host.value === 'string' && parseAuthority(host.value) && host.value !== '')
  ) {
    throw badOption(`${where}.host`, '"pass", "upstream" or { value: "host[:port]" }', host);
  }
  const balance = options.balance ?? 'round-robin';
  if (balance !== 'round-robin' && balance !== 'least-in-flight')
    throw badOption(`${where}.balance`, '"round-robin" or "least-in-flight"', balance);
  const t = options.timeouts ?? {};
  if (typeof t !== 'object' || t === null) throw badOption(`${where}.timeouts`, 'an object of milliseconds', t);
  for (const key of Object.keys(t))
    if (!(key in defaultProxyTimeouts)) throw new TypeError(`boxwire: unknown option "${where}.timeouts.${key}"`);
  const timeouts = {
    connect: positive(`${where}.timeouts.connect`, t.connect, defaultProxyTimeouts.connect),
    response: positive(`${where}.timeouts.response`, t.response, defaultProxyTimeouts.response),
    idle: positive(`${where}.timeouts.idle`, t.idle, defaultProxyTimeouts.idle),
    keepAlive: positive(`${where}.timeouts.keepAlive`, t.keepAlive, defaultProxyTimeouts.keepAlive),
    down: positive(`${where}.timeouts.down`, t.down, defaultProxyTimeouts.down),
  };
  let healthCheck: ResolvedProxyOptions['healthCheck'] = false;
  const check = options.healthCheck;
  if (check !== undefined && check !== false) {
    if (typeof check !== 'object' || check === null || typeof check.path !== 'string' || !/^\/\S*$/.test(check.path)) {
      throw badOption(`${where}.healthCheck`, '{ path: "/healthz", interval?, timeout? } or false', check);
    }
    healthCheck = {
      path: check.path,
      interval: positive(`${where}.healthCheck.interval`, check.interval, 5_000),
      timeout: positive(`${where}.healthCheck.timeout`, check.timeout, 2_000),
    };
  }
  const via = options.via ?? 'boxwire';
  if (via !== false && (typeof via !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(via))) {
    throw badOption(`${where}.via`, 'a token such as "boxwire", or false', via);
  }
  return {
    mount: prefix.replace(/\/+$/, ''),
    upstreams,
    keepPrefix: flag(`${where}.keepPrefix`, options.keepPrefix, false),
    host,
    balance,
    connections: count(`${where}.connections`, options.connections, 64, 1),
    idle: count(`${where}.idle`, options.idle, 16, 0),
    queue: count(`${where}.queue`, options.queue, 256, 0),
    timeouts,
    healthCheck,
    via,
    xForwarded: flag(`${where}.xForwarded`, options.xForwarded, true),
    forwarded: flag(`${where}.forwarded`, options.forwarded, true),
    maxResponseHead: count(`${where}.maxResponseHead`, options.maxResponseHead, 64 * 1024, 1024),
  };
}

/** "http://host:port/base", "unix:/path" or "unix:/path:/base". */
export function parseUpstream(url: unknown, where: string): UpstreamSpec {
  if (typeof url !== 'string') throw badOption(where, 'an http:// or unix: URL', url);
  if (url.startsWith('unix:')) {
    const rest = url.slice(5);
    const colon = rest.indexOf(':');
    const path = colon < 0 ? rest : rest.slice(0, colon);
    const base = colon < 0 ? '' : rest.slice(colon + 1);
    if (!isAbsolute(path) || (base !== '' && !base.startsWith('/'))) {
      throw badOption(where, 'unix:/absolute/path.sock, optionally followed by :/base', url);
    }
    return { url, address: { kind: 'unix', path }, authority: 'localhost', base: checkedBase(base, where, url) };
  }
  const m = /^http:\/\/([^/?#]+)(\/[^?#]*)?$/i.exec(url);
  const authority = m ? parseAuthority(m[1]!) : undefined;
  if (!m || !authority || authority.host === '') {
    throw badOption(where, 'http://host:port/base (HTTP/1.1 upstreams; https:// is not supported) or unix:/path', url);
  }
  const host = authority.host.startsWith('[') ? authority.host.slice(1, -1) : authority.host;
  return {
    url,
    address: { kind: 'tcp', host, port: authority.port ?? 80 },
    authority: m[1]!.toLowerCase(),
    base: checkedBase(m[2] ?? '', where, url),
  };
}

function checkedBase(base: string, where: string, url: string): string {
  // The base is sent as it is: it must be a path a request-target may hold.
  if (!/^(?:\/[\x21-\x7e]*)?$/.test(base) || base.includes('#')) throw badOption(where, 'a URL whose path is plain ASCII', url);
  return base;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw badOption(name, 'a positive number of milliseconds', value);
  return value;
}

function count(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min) throw badOption(name, `a whole number from ${min}`, value);
  return value as number;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw badOption(name, 'true or false', value);
  return value;
}
