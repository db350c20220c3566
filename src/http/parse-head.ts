/**
 * Parsing a request head: the request-line and the field lines (RFC 9112 §3
 * and §5), and what they say about the message (Host, framing, keep-alive,
 * expectations). Pure: text in, a parsed head or the status to refuse it
 * with out. Strict wherever leniency has been used to smuggle requests: bare
 * CR or LF, whitespace before a colon, obs-fold, and every ambiguity in
 * Content-Length and Transfer-Encoding are refused.
 */
import { backOverOws, isTokenRange, skipOws, splitFieldLine } from './grammar.js';
import { HeaderMap, listElements } from './headers.js';
import type { HttpVersion } from './messages.js';
import { parseAuthority, parseTarget, type TargetForm } from './target.js';

export type BodyFraming = { readonly kind: 'none' } | { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' };

export interface ParsedHead {
  readonly method: string;
  readonly target: string;
  readonly version: HttpVersion;
  readonly headers: HeaderMap;
  readonly form: TargetForm;
  readonly path: string;
  readonly rawPath: string;
  readonly query: string;
  readonly host: string;
  readonly hostPort: number | undefined;
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
  readonly framing: BodyFraming;
}

export interface Refusal {
  readonly status: number;
  readonly reason: string;
  /** What could be read of the request line, for the log. */
  readonly method?: string;
  readonly target?: string;
  readonly version?: HttpVersion;
}

export type HeadResult = { readonly ok: true; readonly head: ParsedHead } | ({ readonly ok: false } & Refusal);

export interface HeadLimits {
  /** Most field lines accepted (431 beyond). */
  readonly maxHeaders: number;
  /** Largest body accepted (413 beyond). */
  readonly maxBody: number;
}

/**
 * The longest method the server takes (RFC 9112 §3: a server that receives a
 * method longer than any it implements SHOULD answer 501). The longest
 * registered one, UPDATEREDIRECTREF, has 17 letters; 64 leaves room for
 * extensions and refuses a request-line that is only a method at once,
 * rather than reading up to the request-line limit and calling it a long
 * target (414).
 */
export const maxMethodLength = 64;

const fieldProblems = {
  malformed: 'malformed header field',
  'obs-fold': 'obsolete line folding',
  'bad-value': 'control character in a header value',
} as const;
const versionPattern = /^HTTP\/(\d)\.(\d)$/;
const noBody: BodyFraming = Object.freeze({ kind: 'none' });

/** Whether text[start, end) is a non-empty run of visible ASCII but '#': what a request-target may hold. */
function isTargetRange(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x23) return false;
  }
  return true;
}

/** Parses a head: `text` is the bytes before the blank line, read as latin1, without the final CRLF CRLF. */
export function parseRequestHead(text: string, limits: HeadLimits): HeadResult {
  const eol = text.indexOf('\r\n');
  const lineEnd = eol < 0 ? text.length : eol;
  // request-line = method SP request-target SP HTTP-version (RFC 9112 §3): exactly two spaces.
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 < 0 || sp1 >= lineEnd ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp2 < 0 || sp2 >= lineEnd || text.lastIndexOf(' ', lineEnd - 1) !== sp2) return refuse(400, 'malformed request-line');
  const method = text.slice(0, sp1);
  if (!isTokenRange(text, 0, sp1)) return refuse(400, 'malformed method');
  if (sp1 > maxMethodLength) return refuse(501, `a method of ${sp1} characters, longer than any this server implements`);
  const target = text.slice(sp1 + 1, sp2);
  if (!isTargetRange(text, sp1 + 1, sp2)) return refuse(400, 'malformed request-target', { method, target });
  const versionText = text.slice(sp2 + 1, lineEnd);
  let version: HttpVersion;
  if (versionText === 'HTTP/1.1') version = 'HTTP/1.1';
  else if (versionText === 'HTTP/1.0') version = 'HTTP/1.0';
  else {
    const v = versionPattern.exec(versionText);
    if (!v) return refuse(400, 'malformed HTTP version', { method, target });
    return refuse(505, `${versionText} is not supported`, { method, target });
  }
  const seen = { method, target, version };

  // One pass over the field lines; the fields that decide framing are noted on the way.
  const headers = new HeaderMap();
  // Made when the first such field comes: most requests have neither.
  let transferEncoding: string[] | undefined;
  let contentLength: string[] | undefined;
  let hostValue: string | undefined;
  let hostCount = 0;
  let connection: string | undefined;
  let expect: string | undefined;
  if (eol >= 0) {
    let start = eol + 2;
    let count = 0;
    while (start <= text.length) {
      let stop = text.indexOf('\r\n', start);
      if (stop < 0) stop = text.length;
      if (++count > limits.maxHeaders) return refuse(431, `more than ${limits.maxHeaders} header fields`, seen);
      const field = splitFieldLine(text, start, stop);
      start = stop + 2;
      if (typeof field === 'string') return refuse(400, fieldProblems[field], seen);
      const { name, value } = field;
      headers.appendLower(name, value);
      switch (name) {
        case 'host':
          hostCount++;
          hostValue = value;
          break;
        case 'content-length':
          (contentLength ??= []).push(value);
          break;
        case 'transfer-encoding':
          (transferEncoding ??= []).push(value);
          break;
        case 'connection':
          connection = connection === undefined ? value : `${connection}, ${value}`;
          break;
        case 'expect':
          expect = expect === undefined ? value : `${expect}, ${value}`;
          break;
      }
    }
  }

  const parsed = parseTarget(method, target);
  if (!parsed.ok) return refuse(400, parsed.reason, seen);

  // Host (RFC 9112 §3.2): exactly one on HTTP/1.1; an absolute-form target's authority wins.
  if (hostCount > 1) return refuse(400, 'more than one Host', seen);
  if (hostCount === 0 && version === 'HTTP/1.1') return refuse(400, 'missing Host', seen);
  // An empty Host says the target has no authority, which an http or https URI always has (RFC 9110 §4.2.1:
  // an empty host is invalid, and a recipient must reject it); only a target that names its own authority
  // (absolute or authority form) makes the field moot.
  if (hostValue === '' && (parsed.form === 'origin' || parsed.form === 'asterisk')) return refuse(400, 'empty Host', seen);
  const fromHeader = parseAuthority(hostValue ?? '');
  if (!fromHeader) return refuse(400, 'malformed Host', seen);
  const authority = parsed.authority !== undefined ? parseAuthority(parsed.authority)! : fromHeader;

  const framing =
    transferEncoding || contentLength ? bodyFraming(transferEncoding ?? [], contentLength ?? [], version, limits.maxBody) : noBody;
  if ('status' in framing) return refuse(framing.status, framing.reason, seen);

  // Expect (RFC 9110 §10.1.1): only 100-continue is known; HTTP/1.0 clients' is ignored.
  let expectContinue = false;
  if (expect !== undefined) {
    if (expect.trim().toLowerCase() !== '100-continue') return refuse(417, `cannot meet the expectation "${expect}"`, seen);
    expectContinue = version === 'HTTP/1.1' && framing.kind !== 'none';
  }

  return {
    ok: true,
    head: {
      method,
      target,
      version,
      headers,
      form: parsed.form,
      path: parsed.path,
      rawPath: parsed.rawPath,
      query: parsed.query,
      host: authority.host,
      hostPort: authority.port,
      keepAlive: wantsKeepAlive(connection, version),
      expectContinue,
      framing,
    },
  };
}

/**
 * How the body is delimited (RFC 9112 §6.3), or the status to refuse the
 * request with. Transfer-Encoding must end in chunked (else 400) and may only
 * carry codings we implement (else 501); with Content-Length too: 400. Every
 * Content-Length must be the same string of digits.
 */
export function bodyFraming(
  /** The values of every Transfer-Encoding field line. */
  te: readonly string[],
  /** The values of every Content-Length field line. */
  cl: readonly string[],
  version: HttpVersion,
  maxBody: number,
): BodyFraming | { readonly status: number; readonly reason: string } {
  if (te.length > 0) {
    if (version === 'HTTP/1.0') return { status: 400, reason: 'Transfer-Encoding in an HTTP/1.0 request' };
    if (cl.length > 0) return { status: 400, reason: 'both Transfer-Encoding and Content-Length' };
    const codings = listElements(te.join(',')).map((c) => c.toLowerCase());
    if (codings.length === 0) return { status: 400, reason: 'empty Transfer-Encoding' };
    if (codings[codings.length - 1] !== 'chunked') return { status: 400, reason: 'Transfer-Encoding does not end in chunked' };
    if (codings.indexOf('chunked') !== codings.length - 1) return { status: 400, reason: 'chunked applied more than once' };
    if (codings.length > 1) return { status: 501, reason: `transfer coding "${codings[0]}" is not implemented` };
    return { kind: 'chunked' };
  }
  if (cl.length > 0) {
    let length: string | undefined;
    for (const field of cl) {
      for (const element of field.split(',')) {
        const value = element.trim();
        if (!/^\d+$/.test(value)) return { status: 400, reason: 'malformed Content-Length' };
        if (length !== undefined && Number(length) !== Number(value)) return { status: 400, reason: 'conflicting Content-Length values' };
        length = value;
      }
    }
    const n = Number(length);
    if (!Number.isSafeInteger(n)) return { status: 400, reason: 'Content-Length out of range' };
    if (n > maxBody) return { status: 413, reason: `Content-Length ${n} is over the limit of ${maxBody}` };
    return n === 0 ? { kind: 'none' } : { kind: 'length', length: n };
  }
  return { kind: 'none' };
}

/** Persistence (RFC 9112 §9.3): HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive". */
export function wantsKeepAlive(connection: string | undefined, version: HttpVersion): boolean {
  if (connection === undefined) return version === 'HTTP/1.1';
  const lower = connection.toLowerCase();
  if (lower === 'close') return false;
  if (lower === 'keep-alive') return true;
  if (lower.includes('"')) {
    const tokens = listElements(lower);
    if (tokens.includes('close')) return false;
    return version === 'HTTP/1.1' || tokens.includes('keep-alive');
  }
  // A list without quoted strings, such as "keep-alive, close" (what two Connection lines join to):
  // its elements are read in place, with no array.
  let keepAlive = false;
  for (let start = 0; start <= lower.length; ) {
    let end = lower.indexOf(',', start);
    if (end < 0) end = lower.length;
    const from = skipOws(lower, start, end);
    const to = backOverOws(lower, from, end);
    if (to - from === 5 && lower.startsWith('close', from)) return false;
    if (to - from === 10 && lower.startsWith('keep-alive', from)) keepAlive = true;
    start = end + 1;
  }
  return version === 'HTTP/1.1' || keepAlive;
}

function refuse(status: number, reason: string, seen: Partial<Refusal> = {}): HeadResult {
  return { ok: false, status, reason, ...seen };
}
