/**
 * Sec-WebSocket-Extensions (RFC 6455 §9.1), and the one extension a server
 * negotiates here: permessage-deflate (RFC 7692 §7). Pure.
 *
 * A client lists its offers best first; the server takes the first
 * permessage-deflate offer it can honour and declines the others (§5.1: an
 * offer with an unknown parameter, a repeated one or a bad value is
 * declined, not an error). What the server can honour: any context
 * takeover setting, and window sizes from 9 to 15 bits (zlib cannot
 * compress with an 8-bit window, so an offer that asks the server for one
 * is declined).
 */
import { isTokenRange, skipOws } from './grammar.js';

export interface ExtensionOffer {
  readonly name: string;
  /** Parameters in order: name (lower-cased) and value (undefined when it has none). */
  readonly params: readonly (readonly [string, string | undefined])[];
}

/**
 * The offers of a Sec-WebSocket-Extensions value: `extension *( ";" param )`
 * separated by commas, a param `token [ "=" ( token / quoted-string ) ]`
 * (a quoted value must unquote to a token). Undefined when the value does
 * not follow that grammar.
 */
export function parseExtensions(value: string | undefined): ExtensionOffer[] | undefined {
  if (value === undefined || value.trim() === '') return [];
  const offers: ExtensionOffer[] = [];
  let at = 0;
  const end = value.length;
  for (;;) {
    at = skipOws(value, at, end);
    const [name, afterName] = readToken(value, at);
    if (name === undefined) return undefined;
    at = skipOws(value, afterName, end);
    const params: [string, string | undefined][] = [];
    while (at < end && value[at] === ';') {
      at = skipOws(value, at + 1, end);
      const [param, afterParam] = readToken(value, at);
      if (param === undefined) return undefined;
      at = skipOws(value, afterParam, end);
      let paramValue: string | undefined;
      if (at < end && value[at] === '=') {
        at = skipOws(value, at + 1, end);
        const [read, afterValue] = value[at] === '"' ? readQuoted(value, at) : readToken(value, at);
        // A quoted value must still be a token once unquoted (§9.1).
        if (read === undefined || !isTokenRange(read, 0, read.length)) return undefined;
        paramValue = read;
        at = skipOws(value, afterValue, end);
      }
      params.push([param.toLowerCase(), paramValue]);
    }
    offers.push({ name: name.toLowerCase(), params });
    if (at >= end) return offers;
    if (value[at] !== ',') return undefined;
    at++;
    // Empty list elements are allowed and skipped (RFC 9110 §5.6.1).
    while (at < end && (value[at] === ',' || value[at] === ' ' || value[at] === '\t')) at++;
    if (at >= end) return offers;
  }
}

function readToken(text: string, from: number): [string | undefined, number] {
  let to = from;
  while (to < text.length && isTokenRange(text, to, to + 1)) to++;
  return to === from ? [undefined, from] : [text.slice(from, to), to];
}

function readQuoted(text: string, from: number): [string | undefined, number] {
  let out = '';
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') return [out, i + 1];
    if (c === '\\') {
      if (i + 1 >= text.length) return [undefined, i];
      out += text[++i]!;
    } else out += c;
  }
  return [undefined, text.length];
}

/** How the server is willing to compress: what it asks for in every session, and the windows it allows. */
export interface DeflatePolicy {
  /** Start every message the server sends with an empty window (less memory kept between messages, worse compression). */
  readonly serverNoContextTakeover: boolean;
  /** Ask the client to do the same with the messages it sends. */
  readonly clientNoContextTakeover: boolean;
  /** The server's compression window, in bits (9-15); smaller when the client asks for less. */
  readonly serverMaxWindowBits: number;
  /** The largest window the server lets the client compress with (9-15), when the client lets it choose. */
  readonly clientMaxWindowBits: number;
}

/** What one connection's permessage-deflate was agreed as. */
export interface DeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  /** The window the server compresses with. */
  readonly serverWindowBits: number;
  /** The window the client compresses with at most: the server's inflater needs no more. */
  readonly clientWindowBits: number;
  /** The Sec-WebSocket-Extensions value that says so. */
  readonly response: string;
}

const windowBits = /^(?:8|9|1[0-5])$/;

/**
 * The first permessage-deflate offer the server accepts, and its response
 * (RFC 7692 §7.1); undefined when it accepts none.
 */
export function negotiateDeflate(offers: readonly ExtensionOffer[], policy: DeflatePolicy): DeflateParams | undefined {
  for (const offer of offers) {
    if (offer.name !== 'permessage-deflate') continue;
    const accepted = acceptOffer(offer, policy);
    if (accepted) return accepted;
  }
  return undefined;
}

function acceptOffer(offer: ExtensionOffer, policy: DeflatePolicy): DeflateParams | undefined {
  const seen = new Set<string>();
  let serverNoContext = false;
  let clientNoContext = false;
  let serverMax: number | undefined;
  /** undefined: not offered; null: offered without a value. */
  let clientMax: number | null | undefined;
  for (const [name, value] of offer.params) {
    if (seen.has(name)) return undefined;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== undefined) return undefined;
        serverNoContext = true;
        break;
      case 'client_no_context_takeover':
        if (value !== undefined) return undefined;
        clientNoContext = true;
        break;
      case 'server_max_window_bits':
        // §7.1.2.1: a value is required. zlib cannot compress with 8 bits: declined.
        if (value === undefined || !windowBits.test(value) || value === '8') return undefined;
        serverMax = Number(value);
        break;
      case 'client_max_window_bits':
        if (value !== undefined && !windowBits.test(value)) return undefined;
        clientMax = value === undefined ? null : Number(value);
        break;
      default:
        return undefined;
    }
  }
  const serverNoContextTakeover = serverNoContext || policy.serverNoContextTakeover;
  // §7.1.1.2: the server may ask the client not to take over its context, whether offered or not.
  const clientNoContextTakeover = clientNoContext || policy.clientNoContextTakeover;
  const serverWindowBits = Math.min(policy.serverMaxWindowBits, serverMax ?? 15);
  // §7.1.2.2: only a client that offered client_max_window_bits may be told a window; one that did not uses up to 15.
  const clientWindowBits = clientMax === undefined ? 15 : Math.min(policy.clientMaxWindowBits, clientMax ?? 15);
  const parts = ['permessage-deflate'];
  if (serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (clientNoContextTakeover) parts.push('client_no_context_takeover');
  // §7.1.2.1: an offer that limits the server's window is accepted by saying the window used.
  if (serverMax !== undefined) parts.push(`server_max_window_bits=${serverWindowBits}`);
  if (clientMax !== undefined && clientWindowBits < (clientMax ?? 15)) parts.push(`client_max_window_bits=${clientWindowBits}`);
  return {
    serverNoContextTakeover,
    clientNoContextTakeover,
    serverWindowBits,
    // An 8-bit window is compressed with 9 by zlib: inflate with at least that.
    clientWindowBits: Math.max(clientWindowBits, 9),
    response: parts.join('; '),
  };
}
