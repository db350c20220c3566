/**
 * The server's side of the WebSocket opening handshake (RFC 6455 §4.2),
 * as one decision over a request: either the fields of the 101 that
 * accepts it (Sec-WebSocket-Accept, the subprotocol and the extensions
 * agreed), or the status that refuses it, with its reason. Pure.
 *
 * The checks, in order (§4.2.1, §4.2.2, §4.4):
 * - no `Upgrade: websocket`: 426, naming websocket in Upgrade (RFC 9110 §15.5.22);
 * - not GET, not HTTP/1.1, no `upgrade` in Connection (or `close` beside it): 400;
 * - Sec-WebSocket-Version other than 13: 426 with `Sec-WebSocket-Version: 13`;
 * - Sec-WebSocket-Key not one base64 encoding of 16 bytes: 400;
 * - an Origin the route does not allow: 403 (§10.2: the server's defence
 *   against pages of other sites opening sockets with the user's cookies);
 * - a subprotocol list or an extension list that breaks its grammar: 400.
 * A subprotocol none of which the route speaks is not a refusal: the 101
 * then names none (§4.2.2), and the client decides.
 */
import { createHash } from 'node:crypto';
import { hasToken, listElements } from './headers.js';
import { isTokenRange } from './grammar.js';
import type { HttpRequest } from './messages.js';
import { negotiateDeflate, parseExtensions, type DeflateParams, type DeflatePolicy } from './websocket-extensions.js';

/** §1.3: the GUID the accept key is made with. */
const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (§4.2.2): base64 of the SHA-1 of the key and the GUID. */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + guid)
    .digest('base64');
}

/**
 * Which pages may open sockets: `'same-origin'` (an Origin whose host and
 * port are the request's Host), `'*'` (any), a list of origins
 * (`https://example.com`), or a function. A request without Origin comes
 * from no browser page and is let in whatever the policy.
 */
export type OriginPolicy = 'same-origin' | '*' | readonly string[] | ((origin: string, request: HttpRequest) => boolean);

/** The subprotocols a route speaks, best first; or a function that picks one of those offered (or none). */
export type ProtocolChoice = readonly string[] | ((offered: readonly string[], request: HttpRequest) => string | undefined);

export interface HandshakePolicy {
  readonly protocols: ProtocolChoice | undefined;
  readonly origins: OriginPolicy;
  /** permessage-deflate, when the route allows it. */
  readonly deflate: DeflatePolicy | false;
}

export type Handshake =
  | {
      readonly ok: true;
      /** The 101's fields. */
      readonly headers: Readonly<Record<string, string>>;
      readonly protocol: string | undefined;
      readonly deflate: DeflateParams | undefined;
    }
  | { readonly ok: false; readonly status: 400 | 403 | 426; readonly reason: string; readonly headers: Readonly<Record<string, string>> };

const base64Key = /^[A-Za-z0-9+/]{22}==$/;

export function checkHandshake(request: HttpRequest, policy: HandshakePolicy): Handshake {
  const headers = request.headers;
  if (!hasToken(headers.get('upgrade'), 'websocket')) {
    return refuse(426, 'a WebSocket endpoint: the request did not ask to upgrade to websocket', { Upgrade: 'websocket' });
  }
  if (request.method !== 'GET') return refuse(400, `a WebSocket handshake is a GET, not ${request.method}`);
  if (request.version !== 'HTTP/1.1') return refuse(400, `a WebSocket handshake needs HTTP/1.1, not ${request.version}`);
  if (!hasToken(headers.get('connection'), 'upgrade')) return refuse(400, 'a WebSocket handshake without "upgrade" in Connection');
  // "close" beside "upgrade": the connection would end after the 101 it asks for.
  if (!request.keepAlive) return refuse(400, 'a WebSocket handshake that asks to close the connection');
  const version = headers.get('sec-websocket-version');
  if (version?.trim() !== '13') {
    return refuse(426, `Sec-WebSocket-Version ${version === undefined ? 'missing' : JSON.stringify(version)}: only 13 is spoken`, {
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
    });
  }
  const keys = headers.getAll('sec-websocket-key');
  const key = keys.length === 1 ? keys[0]!.trim() : undefined;
  // 16 bytes in base64 are 22 characters and "==": Buffer's decoder is too lenient to tell.
  if (key === undefined || !base64Key.test(key)) return refuse(400, 'Sec-WebSocket-Key missing, repeated, or not 16 bytes in base64');
  const origin = headers.get('origin');
  if (origin !== undefined && !originAllowed(origin, request, policy.origins)) {
    return refuse(403, `WebSocket from origin ${JSON.stringify(origin)} not allowed`);
  }
  const offered = listElements(headers.get('sec-websocket-protocol'));
  if (offered.some((p) => !isTokenRange(p, 0, p.length))) return refuse(400, 'Sec-WebSocket-Protocol is not a list of tokens');
  const protocol = offered.length > 0 ? chooseProtocol(offered, request, policy.protocols) : undefined;
  let deflate: DeflateParams | undefined;
  if (policy.deflate) {
    const offers = parseExtensions(headers.get('sec-websocket-extensions'));
    if (!offers) return refuse(400, 'Sec-WebSocket-Extensions does not follow its grammar');
    deflate = negotiateDeflate(offers, policy.deflate);
  }
  const accepted: Record<string, string> = { Upgrade: 'websocket', 'Sec-WebSocket-Accept': acceptKey(key) };
  if (protocol !== undefined) accepted['Sec-WebSocket-Protocol'] = protocol;
  if (deflate) accepted['Sec-WebSocket-Extensions'] = deflate.response;
  return { ok: true, headers: accepted, protocol, deflate };
}

function refuse(status: 400 | 403 | 426, reason: string, headers: Record<string, string> = {}): Handshake {
  return { ok: false, status, reason, headers };
}

/** Whether the page at `origin` may open a socket here. */
export function originAllowed(origin: string, request: HttpRequest, policy: OriginPolicy): boolean {
  if (policy === '*') return true;
  if (typeof policy === 'function') return policy(origin, request) === true;
  if (policy === 'same-origin') return sameOrigin(origin, request);
  const wanted = origin.toLowerCase();
  return policy.some((allowed) => allowed.toLowerCase() === wanted);
}

/**
 * The Origin names the host (and port) the request was sent to. The
 * scheme is not compared: behind a proxy that ends TLS, an https page
 * reaches the server over plain HTTP.
 */
function sameOrigin(origin: string, request: HttpRequest): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    // "null" (a sandboxed page, a file) is no origin to match.
    return false;
  }
  const fallback = url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80;
  const port = url.port === '' ? fallback : Number(url.port);
  return url.hostname === request.host && port === (request.hostPort ?? fallback);
}

function chooseProtocol(offered: readonly string[], request: HttpRequest, choice: ProtocolChoice | undefined): string | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === 'function') {
    const chosen = choice(offered, request);
    if (chosen !== undefined && !offered.includes(chosen)) {
      throw new TypeError(`the route's protocols function chose ${JSON.stringify(chosen)}, which the client did not offer`);
    }
    return chosen;
  }
  // The route's preference wins: its first subprotocol the client offered.
  return choice.find((p) => offered.includes(p));
}
