/**
 * What a reverse proxy changes in the messages it forwards, and what a
 * server behind a proxy believes of them, decided in one place:
 *
 * - hop-by-hop fields (RFC 9110 §7.6.1), and every field the Connection
 *   field names, belong to one connection and are removed both ways;
 * - Via (RFC 9110 §7.6.3) records each hop a message took;
 * - X-Forwarded-For/-Proto/-Host and Forwarded (RFC 7239) tell the server
 *   behind us who the client was. They are appended to only when the
 *   request came from a proxy we trust; otherwise whatever the client put
 *   in them is replaced, so that nobody can name their own address;
 * - `resolveForwardedClient` reads them back, on the other side: the client
 *   is the rightmost address that is not a trusted proxy.
 *
 * Pure: headers in, headers out.
 */
import type { ConnectionInfo } from '../core/connection-info.js';
import { HeaderMap, listElements } from './headers.js';
import { inRange, parseIp, type IpRange } from './ip-address.js';
import type { HttpRequest, HttpVersion } from './messages.js';
import { tokenChars } from './grammar.js';
import { removeDotSegments } from './target.js';

/**
 * Hop-by-hop fields: RFC 9110 §7.6.1's, and the two of RFC 2616 §13.5.1
 * that are a proxy's own business (credentials for us, a challenge from a
 * proxy behind us), never the next hop's.
 */
export const proxyHopByHop: ReadonlySet<string> = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** The fields of a message minus the hop-by-hop ones, those its Connection field names, and `drop` (lower-case names). */
export function endToEndFields(headers: HeaderMap, drop: ReadonlySet<string>): HeaderMap {
  const connection = headers.get('connection');
  const named = connection === undefined ? undefined : new Set(listElements(connection.toLowerCase()));
  const out = new HeaderMap();
  headers.forEach((value, name, key) => {
    if (proxyHopByHop.has(key) || drop.has(key) || named?.has(key)) return;
    out.append(name, value);
  });
  return out;
}

/** Appends a hop to Via (RFC 9110 §7.6.3): the version of the message as received, and our pseudonym. */
export function appendVia(headers: HeaderMap, received: HttpVersion, pseudonym: string): void {
  const hop = `${received === 'HTTP/1.0' ? '1.0' : '1.1'} ${pseudonym}`;
  const prior = headers.get('via');
  headers.set('Via', prior === undefined ? hop : `${prior}, ${hop}`);
}

export interface ForwardingOptions {
  /** Set X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host. */
  readonly xForwarded: boolean;
  /** Set Forwarded (RFC 7239). */
  readonly forwarded: boolean;
}

/** host[:port], an IPv6 literal already in brackets; '' when there is no host. */
function hostWithPort(host: string, port: number | undefined): string {
  if (!host) return '';
  return port === undefined ? host : `${host}:${port}`;
}

const tokenPattern = new RegExp(`^[${tokenChars}]+$`);

/** A Forwarded value (RFC 7239 §4): a token as it is, anything else quoted. */
function forwardedValue(value: string): string {
  return tokenPattern.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** A node (RFC 7239 §6): an IPv6 address in brackets, and quoted, as ':' and '[' are not token characters. */
export function forwardedNode(address: string, port: number | undefined): string {
  const name = address.includes(':') ? `[${address}]` : address;
  return forwardedValue(port === undefined ? name : `${name}:${port}`);
}

/** One hop named by a forwarding field: an address (and port, if given), or something that is not an address. */
export type ForwardedHop =
  | { readonly address: string; readonly port: number | undefined; readonly proto: string | undefined }
  | { readonly address: undefined };

/** The hops of X-Forwarded-For, leftmost (the furthest) first; X-Forwarded-Proto's entries matched to them where they line up. */
export function xForwardedHops(headers: HeaderMap): ForwardedHop[] {
  const entries = listElements(headers.get('x-forwarded-for'));
  const protos = listElements(headers.get('x-forwarded-proto')).map((p) => p.toLowerCase());
  return entries.map((entry, i) => {
    const node = parseNode(entry);
    if (!node) return { address: undefined };
    // One proto for the whole chain (what most proxies send), or one per hop.
    const proto = protos.length === 1 ? protos[0] : protos.length === entries.length ? protos[i] : undefined;
    return { ...node, proto };
  });
}

/** The hops of Forwarded (RFC 7239 §4), leftmost first: each element's for= and proto=. */
export function forwardedHops(headers: HeaderMap): ForwardedHop[] {
  return listElements(headers.get('forwarded')).map((element) => {
    let node: { address: string; port: number | undefined } | undefined;
    let proto: string | undefined;
    for (const pair of splitQuoted(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim().toLowerCase();
      const value = unquote(pair.slice(eq + 1).trim());
      if (name === 'for') node = parseNode(value);
      else if (name === 'proto') proto = value.toLowerCase();
    }
    return node ? { ...node, proto } : { address: undefined };
  });
}

/**
 * An address as forwarding fields write it: "192.0.2.1", "192.0.2.1:4711",
 * "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:4711". "unknown" and
 * obfuscated identifiers (RFC 7239 §6.3) are not addresses.
 */
function parseNode(text: string): { address: string; port: number | undefined } | undefined {
  let host = text;
  let port: number | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!/^:\d{1,5}$/.test(after)) return undefined;
      port = Number(after.slice(1));
    }
  } else if (text.indexOf(':') === text.lastIndexOf(':') && text.includes(':')) {
    // One colon: IPv4 with a port. (More than one: a bare IPv6 address.)
    const colon = text.indexOf(':');
    host = text.slice(0, colon);
    if (!/^\d{1,5}$/.test(text.slice(colon + 1))) return undefined;
    port = Number(text.slice(colon + 1));
  }
  if (port !== undefined && port > 65535) return undefined;
  const ip = parseIp(host);
  if (!ip) return undefined;
  return { address: host.toLowerCase(), port };
}

function splitQuoted(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '\\' && i + 1 < text.length) {
      current += c + text[++i]!;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}

export interface ResolvedClient {
  readonly address: string;
  readonly port: number;
  /** The scheme the client used, when the fields say (http or https). */
  readonly secure: boolean | undefined;
}

/**
 * The client behind trusted proxies: walking the hops from the right (the
 * nearest), every hop that is a trusted proxy is passed over; the first that
 * is not is the client. Hops a trusted proxy wrote are believed; nothing
 * left of the client is, as the client could have written it. When every
 * hop is trusted, the leftmost is the client. A hop that is not an address
 * ("unknown", garbage) ends the walk: the client is then the last address
 * passed, or undefined when there is none (the connection's own stands).
 */
export function resolveForwardedClient(hops: readonly ForwardedHop[], trusted: (address: string) => boolean): ResolvedClient | undefined {
  let found: ResolvedClient | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (hop.address === undefined) break;
    const proto = hop.proto === 'https' ? true : hop.proto === 'http' ? false : undefined;
    found = { address: hop.address, port: hop.port ?? 0, secure: proto };
    if (!trusted(hop.address)) break;
  }
  return found;
}

/** Whether an address (text) is in any of the ranges. */
export function inRanges(address: string, ranges: readonly IpRange[]): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  for (const range of ranges) if (inRange(ip, range)) return true;
  return false;
}

/**
 * The request-target to send upstream: the path under the route's mount,
 * put under the upstream URL's `base` path, and the query as sent. The path
 * is the one the client sent (its own percent-encoding kept), when it is
 * already in normal form, so the upstream sees exactly what was asked;
 * otherwise (dot segments, repeated slashes) the normalised path the route
 * matched is encoded again, so the upstream can never be asked for a path
 * outside `base` that we did not route. `keepPrefix` keeps the mount.
 */
export function upstreamTarget(request: HttpRequest, base: string, keepPrefix: boolean): string {
  const mount = keepPrefix ? '' : (request.mount ?? '');
  let rest: string;
  if (
    removeDotSegments(request.rawPath) === request.rawPath &&
    request.rawPath.startsWith(mount) &&
    decodesTo(request.rawPath, request.path)
  ) {
    rest = request.rawPath.slice(mount.length);
  } else rest = encodePath(request.path.slice(mount.length));
  const path = rest === '' ? base || '/' : `${base.endsWith('/') ? base.slice(0, -1) : base}${rest.startsWith('/') ? rest : `/${rest}`}`;
  return request.query ? `${path}?${request.query}` : path;
}

/** Whether the raw path is the decoded one as it was sent (so its mount is the same number of characters in both). */
function decodesTo(raw: string, decoded: string): boolean {
  if (!raw.includes('%')) return raw === decoded;
  try {
    return decodeURIComponent(raw) === decoded;
  } catch {
    return false;
  }
}

/** A decoded path encoded again: each segment's characters outside pchar (RFC 3986 §3.3) percent-encoded. */
function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%(?:3A|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/gi, decodeURIComponent))
    .join('/');
}

/** What the upstream request says besides the client's fields. */
export interface UpstreamHead {
  /** The request-target (upstreamTarget). */
  readonly target: string;
  /** The Host to send. */
  readonly host: string;
  /** Our pseudonym in Via; false for none. */
  readonly via: string | false;
  readonly forwarding: ForwardingOptions;
  /** The body's framing upstream: its length, chunked, or none. */
  readonly framing: number | 'chunked' | undefined;
}

/**
 * The head of the request sent upstream, as text, in one pass over the
 * client's fields: the method and target, Host, the client's end-to-end
 * fields, the forwarding fields, Via, the body's framing. Always HTTP/1.1,
 * whatever the client spoke (RFC 9110 §7.6: each hop speaks its own
 * version). The client's fields passed the request parser's checks, and
 * what is added here is ours, so the head needs no further checking.
 *
 * The forwarding fields record the hop from the connection's real peer.
 * When a trusted proxy stands before us (the trusted-proxy stage resolved
 * the client and kept the real peer as `connection.peer`), the fields it
 * sent are kept and our hop appended; otherwise they are replaced,
 * whatever the client put in them. A kind we are told not to set is passed
 * on as it came from a trusted proxy, and dropped from anyone else.
 */
export function upstreamRequestHead(request: HttpRequest, head: UpstreamHead): string {
  const headers = request.headers;
  const connection = request.connection;
  const peer: ConnectionInfo = connection.peer ?? connection;
  const trusted = connection.peer !== undefined;
  const { xForwarded, forwarded } = head.forwarding;
  const options = headers.get('connection');
  const named = options === undefined ? undefined : new Set(listElements(options.toLowerCase()));
  // The trusted proxy's own, to append to.
  let via: string | undefined;
  let xff: string | undefined;
  let xfp: string | undefined;
  let xfh: string | undefined;
  let fwd: string | undefined;
  const join = (prior: string | undefined, value: string): string => (prior === undefined ? value : `${prior}, ${value}`);
  let text = `${request.method} ${head.target} HTTP/1.1\r\nHost: ${head.host}\r\n`;
  headers.forEach((value, name, key) => {
    if (proxyHopByHop.has(key) || key === 'host' || key === 'content-length' || named?.has(key)) return;
    switch (key) {
      case 'via':
        via = join(via, value);
        return;
      case 'x-forwarded-for':
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
        if (!trusted) return;
        if (!xForwarded) break;
        if (key === 'x-forwarded-for') xff = join(xff, value);
        else if (key === 'x-forwarded-proto') xfp = join(xfp, value);
        else xfh = join(xfh, value);
        return;
      case 'forwarded':
        if (!trusted) return;
        if (!forwarded) break;
        fwd = join(fwd, value);
        return;
    }
    text += `${name}: ${value}\r\n`;
  });
  // The scheme and host this hop was asked for: what the peer itself used.
  const scheme = peer.secure ? 'https' : 'http';
  const host = headers.get('host') ?? hostWithPort(request.host, request.hostPort);
  if (xForwarded) {
    text += `X-Forwarded-For: ${join(xff, peer.remoteAddress)}\r\nX-Forwarded-Proto: ${xfp ?? scheme}\r\n`;
    if (xfh !== undefined || host) text += `X-Forwarded-Host: ${xfh ?? host}\r\n`;
  }
  if (forwarded) {
    const element = `for=${forwardedNode(peer.remoteAddress, undefined)}${host ? `;host=${forwardedValue(host)}` : ''};proto=${scheme}`;
    text += `Forwarded: ${join(fwd, element)}\r\n`;
  }
  if (head.via !== false) text += `Via: ${join(via, `${request.version === 'HTTP/1.0' ? '1.0' : '1.1'} ${head.via}`)}\r\n`;
  else if (via !== undefined) text += `Via: ${via}\r\n`;
  // RFC 9110 §10.1.4: trailers are passed on, so a client that takes them may say so upstream, with TE as a connection option.
  const te = headers.get('te');
  if (te !== undefined && listElements(te.toLowerCase()).some((t) => t === 'trailers' || t.startsWith('trailers;'))) {
    text += 'TE: trailers\r\nConnection: TE\r\n';
  }
  if (head.framing === 'chunked') text += 'Transfer-Encoding: chunked\r\n';
  else if (head.framing !== undefined) text += `Content-Length: ${head.framing}\r\n`;
  return `${text}\r\n`;
}

/**
 * The fields of an upstream response as the client gets them: end-to-end
 * ones only, and our hop in Via. The parsed map is used as it is when it
 * holds nothing to remove (the usual case): it is the response's own.
 */
export function downstreamResponseFields(headers: HeaderMap, version: HttpVersion, via: string | false): HeaderMap {
  let clean = true;
  headers.forEach((_value, _name, key) => {
    if (proxyHopByHop.has(key)) clean = false;
  });
  const fields = clean ? headers : endToEndFields(headers, noneDropped);
  if (via !== false) appendVia(fields, version, via);
  return fields;
}

const noneDropped: ReadonlySet<string> = new Set();
