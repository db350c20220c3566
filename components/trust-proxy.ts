/**
 * The trusted-proxy stage: behind a load balancer or another proxy, the
 * connection's peer is that proxy, and the client is whoever it says in
 * its forwarding fields. A request stage, first in the server's `before`
 * chain, so that everything after it (the access log, CGI's REMOTE_ADDR and
 * HTTPS, WSGI's REMOTE_ADDR and wsgi.url_scheme, rate limits, handlers)
 * just reads `request.connection`.
 *
 * When the peer is in a trusted range, the client is the rightmost address
 * of X-Forwarded-For (or of Forwarded's for=, as configured) that is not a
 * trusted proxy (resolveForwardedClient), and the scheme is the one
 * X-Forwarded-Proto (or the chosen element's proto=) gives. The request
 * passed on carries a copy of its ConnectionInfo with the client's address,
 * port and `secure`, the real connection kept as `connection.peer`. A
 * request from anyone else passes unchanged: its forwarding fields change
 * nothing (scripts still see them, as HTTP_X_FORWARDED_FOR, for what they
 * are: the client's say-so).
 *
 * Only one of the two fields is read, the one the proxies in front set: a
 * proxy that maintains X-Forwarded-For passes a client's made-up Forwarded
 * through untouched, so reading both would let the client choose.
 */
import type { ConnectionInfo, PeerCertificate } from '../src/core/connection-info.js';
import { forwardedHops, inRanges, resolveForwardedClient, xForwardedHops, type ResolvedClient } from '../src/http/forwarding.js';
import { listElements } from '../src/http/headers.js';
import { loopbackRanges, parseIpRange, type IpRange } from '../src/http/ip-address.js';
import type { HttpRequest } from '../src/http/messages.js';
import { badOption } from '../src/http/option-checks.js';
import { requestStage, type RequestStage } from './request-stage.js';

/** CIDR ranges ("10.0.0.0/8", "::1", "loopback"), or those with the field to read. */
export type TrustProxyOption =
  | readonly string[]
  | {
      readonly addresses: readonly string[];
      /** The field the trusted proxies set: "x-forwarded-for" (default, with X-Forwarded-Proto) or "forwarded" (RFC 7239). */
      readonly header?: 'x-forwarded-for' | 'forwarded';
    };

export interface ResolvedTrustProxy {
  readonly ranges: readonly IpRange[];
  readonly header: 'x-forwarded-for' | 'forwarded';
}

/** The option, checked; false when absent or empty. */
export function resolveTrustProxy(given: unknown): ResolvedTrustProxy | false {
  if (given === undefined || given === false) return false;
  const must = 'a list of CIDR ranges ("10.0.0.0/8", "::1", "loopback"), or { addresses, header? }';
  const object = !Array.isArray(given) && typeof given === 'object' && given !== null;
  const addresses = object ? (given as { addresses?: unknown }).addresses : given;
  if (!Array.isArray(addresses)) throw badOption('trustProxy', must, given);
  if (object) {
    for (const key of Object.keys(given as object))
      if (key !== 'addresses' && key !== 'header') throw new TypeError(`boxwire: unknown option "trustProxy.${key}"`);
  }
  const header = (object ? (given as { header?: unknown }).header : undefined) ?? 'x-forwarded-for';
  if (header !== 'x-forwarded-for' && header !== 'forwarded')
    throw badOption('trustProxy.header', '"x-forwarded-for" or "forwarded"', header);
  const ranges: IpRange[] = [];
  for (const entry of addresses) {
    if (entry === 'loopback') {
      ranges.push(...loopbackRanges);
      continue;
    }
    const range = typeof entry === 'string' ? parseIpRange(entry) : undefined;
    if (!range) throw badOption('trustProxy', `${must}; each an address or address/bits with no bits set past the prefix`, entry);
    ranges.push(range);
  }
  return ranges.length === 0 ? false : { ranges, header };
}

/**
 * The request as it is to be believed: with the client's address when a
 * trusted proxy named it, else the request as it came. The one place that
 * decision is made.
 */
export function trustedRequest(request: HttpRequest, trust: ResolvedTrustProxy): HttpRequest {
  const connection = request.connection;
  const trusted = (address: string): boolean => inRanges(address, trust.ranges);
  if (!trusted(connection.remoteAddress)) return request;
  const headers = request.headers;
  let client: ResolvedClient | undefined;
  if (trust.header === 'forwarded') client = resolveForwardedClient(forwardedHops(headers), trusted);
  else {
    client = resolveForwardedClient(xForwardedHops(headers), trusted);
    // A proxy that terminates TLS may say only how it was reached.
    if (!client && headers.has('x-forwarded-proto')) {
      const protos = listElements(headers.get('x-forwarded-proto')).map((p) => p.toLowerCase());
      const proto = protos.length === 1 ? protos[0] : undefined;
      client = {
        address: connection.remoteAddress,
        port: connection.remotePort,
        secure: proto === 'https' ? true : proto === 'http' ? false : undefined,
      };
    }
  }
  if (!client) return request;
  return { ...request, connection: new ForwardedConnection(connection, client) };
}

/** The stage (see the top of this file), one per connection, as `before` factories are. */
export function trustProxyStage(trust: ResolvedTrustProxy): () => RequestStage {
  const decide = (request: HttpRequest): HttpRequest => trustedRequest(request, trust);
  return () => requestStage(decide, 'TrustProxy');
}

/**
 * A connection as a trusted proxy describes it: the client's address, port
 * and scheme; the local end, the id and the real connection (`peer`) as
 * they are. The proxy's TLS certificate, if it showed one, is the proxy's,
 * not the client's: it stays with `peer`.
 */
class ForwardedConnection implements ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly family: 'IPv4' | 'IPv6';
  readonly secure: boolean;
  readonly peerCertificate: PeerCertificate | undefined = undefined;
  readonly relay: ConnectionInfo['relay'];

  constructor(
    readonly peer: ConnectionInfo,
    client: ResolvedClient,
  ) {
    this.id = peer.id;
    this.remoteAddress = client.address;
    this.remotePort = client.port;
    this.family = client.address.includes(':') ? 'IPv6' : 'IPv4';
    this.secure = client.secure ?? peer.secure;
    this.relay = peer.relay;
  }

  get localAddress(): string {
    return this.peer.localAddress;
  }
  get localPort(): number {
    return this.peer.localPort;
  }
}
