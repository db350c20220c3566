/**
 * Framing a response on the wire (RFC 9112 §4, §6): the status line, Date
 * and Server, the handler's fields, and the framing fields, which are ours:
 * Content-Length when the length is known, chunked when it is not (HTTP/1.1),
 * otherwise the end of the body is the end of the connection. HEAD, 1xx, 204
 * and 304 responses carry no content. A field a handler set that could split
 * the response (a CR or LF in a value, a name that is not a token) is never
 * written: the head is refused and the caller answers 500 instead.
 */
import { isToken } from './grammar.js';
import type { HeaderMap } from './headers.js';
import type { HttpVersion } from './messages.js';
import { reasonPhrase, statusHasNoBody } from './status.js';

/** Field values may hold HTAB, visible ASCII and obs-text (RFC 9110 §5.5), nothing else. */
const validValue = /^[\t\x20-\x7e\x80-\xff]*$/;
const nonAscii = /[^\x00-\x7f]/;
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
  let reason: string | undefined;
  headers.forEach((value, name) => {
    if (reason) return;
    if (!isToken.test(name)) reason = `invalid header name ${JSON.stringify(name)}`;
    else if (!validValue.test(value)) reason = `invalid character in the value of ${name}`;
  });
  return reason;
}

export function frameResponse(input: FrameInput): FrameResult {
  const { status, headers, version } = input;
  const invalid = invalidField(headers);
  if (invalid) return { ok: false, reason: invalid };
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
  if (close) head += 'Connection: close\r\n';
  else if (version === 'HTTP/1.0') head += 'Connection: keep-alive\r\n';
  head += '\r\n';
  return {
    ok: true,
    framed: { head, ascii: !nonAscii.test(head), hasBody, contentLength, chunked, close },
  };
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
