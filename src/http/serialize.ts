/**
 * Framing a response on the wire (RFC 9112 §4, §6): the status line, Date
 * and Server, the handler's fields, and the framing fields, which are ours:
 * Content-Length when the length is known, chunked when it is not (HTTP/1.1),
 * otherwise the end of the body is the end of the connection. HEAD, 1xx, 204
 * and 304 responses carry no content. A field a handler set that could split
 * the response (a CR or LF in a value, a name that is not a token) is never
 * written: the head is refused and the caller answers 500 instead.
 */
import { isTokenRange } from './grammar.js';
import type { HeaderMap } from './headers.js';
import type { HttpVersion } from './messages.js';
import { reasonPhrase, statusHasNoBody } from './status.js';

/** Fields the responder owns; a handler's are dropped (Connection: close is honoured first). */
const hopByHop = new Set(['connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'proxy-connection', 'te', 'trailer']);

export interface FrameInput {
  readonly status: number;
  readonly headers: HeaderMap;
  /** Length of the body, when it is known without reading it. */
  readonly bodyLength: number | undefined;
  readonly method: string;
  readonly version: HttpVersion;
  /** Whether the connection may persist after this response. */
  readonly keepAlive: boolean;
  readonly date: string;
  readonly server: string | undefined;
}

export interface Framed {
  readonly head: string;
  /** The head holds only ASCII, so it can be joined to a UTF-8 body string. */
  readonly ascii: boolean;
  /** Whether content follows the head at all. */
  readonly hasBody: boolean;
  /** Content-Length as written, when one was. */
  readonly contentLength: number | undefined;
  readonly chunked: boolean;
  /** Whether the connection closes after this response. */
  readonly close: boolean;
}

export type FrameResult = { readonly ok: true; readonly framed: Framed } | { readonly ok: false; readonly reason: string };

/** The reason a field cannot be written, or undefined when every field is fine. */
export function invalidField(headers: HeaderMap): string | undefined {
  const found = checkFields(headers);
  return typeof found === 'string' ? found : undefined;
}

/**
 * One pass over a handler's fields: the reason one cannot be written (a name
 * that is not a token, a value with a character RFC 9110 §5.5 does not
 * allow, such as CR or LF), else whether every value is ASCII (the head can
 * then be joined to a UTF-8 body string).
 */
function checkFields(headers: HeaderMap): string | boolean {
  let reason: string | undefined;
  let ascii = true;
  headers.forEach((value, name) => {
    if (reason !== undefined) return;
    if (!isTokenRange(name, 0, name.length)) {
      reason = `invalid header name ${JSON.stringify(name)}`;
      return;
    }
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f) continue;
      if (c === 0x09) continue;
      if (c >= 0x80 && c <= 0xff) ascii = false;
      else {
        reason = `invalid character in the value of ${name}`;
        return;
      }
    }
  });
  return reason ?? ascii;
}

export function frameResponse(input: FrameInput): FrameResult {
  const { status, headers, version } = input;
  const checked = checkFields(headers);
  if (typeof checked === 'string') return { ok: false, reason: checked };
  const ascii = checked && (input.server === undefined || isAscii(input.server));
  // A 101 switches to the protocol its Upgrade names (RFC 9110 §7.8), which HTTP/1.0 cannot do.
  const switching = status === 101;
  if (switching && !headers.has('upgrade')) return { ok: false, reason: 'a 101 must name the protocol it switches to in Upgrade' };
  if (switching && version !== 'HTTP/1.1') return { ok: false, reason: 'a 101 to an HTTP/1.0 request' };
  const noContent = statusHasNoBody(status);
  const hasBody = input.method !== 'HEAD' && !noContent;
  let close = !input.keepAlive;

  let declared: number | undefined;
  const declaredText = headers.get('content-length');
  if (declaredText !== undefined) {
    if (!/^\d+$/.test(declaredText.trim())) return { ok: false, reason: 'handler set an invalid Content-Length' };
    declared = Number(declaredText.trim());
  }
  // A known body length wins over what the handler declared; a stream keeps the declared one.
  const length = input.bodyLength ?? declared;
  const chunked = hasBody && length === undefined && version === 'HTTP/1.1';
  if (hasBody && length === undefined && !chunked) close = true; // HTTP/1.0: the end is the close

  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
  if (!headers.has('date')) head += `Date: ${input.date}\r\n`;
  if (input.server && !headers.has('server')) head += `Server: ${input.server}\r\n`;
  headers.forEach((value, name, key) => {
    if (key === 'content-length') return;
    if (hopByHop.has(key)) {
      if (key === 'connection' && /\bclose\b/i.test(value)) close = true;
      // Upgrade is the handler's to say in a 101, and in a 426, which must name the protocol wanted (RFC 9110 §15.5.22).
      if (key === 'upgrade' && (switching || status === 426)) head += `${name}: ${value}\r\n`;
      return;
    }
    head += `${name}: ${value}\r\n`;
  });
  let contentLength: number | undefined;
  if (status >= 200 && status !== 204) {
    // 304 says nothing of length unless the handler did; HEAD says what GET would have.
    if (status !== 304 ? length !== undefined : declared !== undefined) {
      contentLength = status === 304 ? declared : length;
      head += `Content-Length: ${contentLength}\r\n`;
    }
  }
  if (chunked) head += 'Transfer-Encoding: chunked\r\n';
  if (switching) {
    // The connection stays open, for the new protocol.
    close = false;
    head += 'Connection: Upgrade\r\n';
  } else if (close) head += 'Connection: close\r\n';
  else if (version === 'HTTP/1.0') head += 'Connection: keep-alive\r\n';
  head += '\r\n';
  return {
    ok: true,
    framed: { head, ascii, hasBody, contentLength, chunked, close },
  };
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * The framing of a raw response (HttpResponse.raw): no head of ours, the body
 * as it is, and the end of the connection is the end of the message.
 */
export const unframed: FrameResult = {
  ok: true,
  framed: { head: '', ascii: true, hasBody: true, contentLength: undefined, chunked: false, close: true },
};

/** The interim response a client that sent Expect: 100-continue waits for. */
export const continueHead = 'HTTP/1.1 100 Continue\r\n\r\n';

/**
 * Fields a trailer section may not carry (RFC 9110 §6.5.1): framing,
 * routing, authentication, request modifiers, response controls and the
 * content's own description, all of which a recipient needs before the
 * content, and the hop-by-hop ones.
 */
const notInTrailers = new Set([
  ...hopByHop,
  'content-length',
  'host',
  'authorization',
  'proxy-authorization',
  'proxy-authenticate',
  'www-authenticate',
  'set-cookie',
  'cookie',
  'cache-control',
  'expect',
  'max-forwards',
  'pragma',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'age',
  'expires',
  'date',
  'location',
  'retry-after',
  'vary',
  'warning',
  'content-encoding',
  'content-type',
  'content-range',
]);

/** The last chunk of a chunked body (RFC 9112 §7.1.2), with the trailer fields that may go there. */
export function lastChunk(trailers: HeaderMap | undefined): string {
  let text = '0\r\n';
  if (trailers && invalidField(trailers) === undefined) {
    trailers.forEach((value, name, key) => {
      if (!notInTrailers.has(key)) text += `${name}: ${value}\r\n`;
    });
  }
  return `${text}\r\n`;
}
