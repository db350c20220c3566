/**
 * Parsing a response head from an upstream server (RFC 9112 §4, §5, §6.3):
 * the status line and field lines, and how the body that follows is
 * delimited. What the reverse proxy reads from the servers behind it, held
 * to the same strictness as the request parser (parse-head.ts), because a
 * response whose framing two parties could read two ways is how responses
 * get split and caches poisoned: bare CR or LF, whitespace before a colon,
 * obs-fold, control characters, a malformed or out-of-range status, both
 * Content-Length and Transfer-Encoding, Transfer-Encoding in HTTP/1.0 or not
 * ending in chunked, and conflicting or malformed Content-Length values are
 * all refused. The proxy answers 502 for any of them and never reuses the
 * connection.
 *
 * `ResponseHeadReader` finds the end of a head in bytes fed in pieces of any
 * size (a byte at a time costs linear work) and parses it; `parseResponseHead`
 * is the parsing alone, text in.
 */
import { ByteQueue } from './byte-queue.js';
import { splitFieldLine } from './grammar.js';
import { HeaderMap, listElements } from './headers.js';
import type { HttpVersion } from './messages.js';
import { wantsKeepAlive } from './parse-head.js';

/** How a response's body is delimited (RFC 9112 §6.3). */
export type ResponseFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Read until the server closes the connection (§6.3 item 8): valid, but the connection cannot be reused. */
  | { readonly kind: 'close' };

export interface ResponseHead {
  readonly version: HttpVersion;
  readonly status: number;
  readonly reason: string;
  readonly headers: HeaderMap;
  readonly framing: ResponseFraming;
  /** Whether the connection may carry another request once this response has been read. */
  readonly keepAlive: boolean;
}

export type ResponseHeadResult = { readonly ok: true; readonly head: ResponseHead } | { readonly ok: false; readonly reason: string };

export interface ResponseHeadContext {
  /** The method of the request this answers: a response to HEAD has no body (§6.3 item 1). */
  readonly method: string;
  /** Most field lines accepted. */
  readonly maxHeaders: number;
}

const fieldProblems = {
  malformed: 'a malformed header field',
  'obs-fold': 'obsolete line folding',
  'bad-value': 'a control character in a header value',
} as const;
const none: ResponseFraming = Object.freeze({ kind: 'none' });
const untilClose: ResponseFraming = Object.freeze({ kind: 'close' });

/** Parses a head: `text` is the bytes before the blank line, read as latin1, without the final CRLF CRLF. */
export function parseResponseHead(text: string, context: ResponseHeadContext): ResponseHeadResult {
  const eol = text.indexOf('\r\n');
  const line = eol < 0 ? text : text.slice(0, eol);
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (§4). A missing
  // second space before an empty reason is taken: it cannot be read two ways.
  const m = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(line);
  if (!m) return bad(`a malformed status line: ${JSON.stringify(line.slice(0, 80))}`);
  const version: HttpVersion = m[1] === '1' ? 'HTTP/1.1' : 'HTTP/1.0';
  const status = Number(m[2]);
  if (status > 599) return bad(`status ${status} is out of range`);

  const headers = new HeaderMap();
  let contentLength: string[] | undefined;
  let transferEncoding: string[] | undefined;
  let connection: string | undefined;
  if (eol >= 0) {
    let start = eol + 2;
    let count = 0;
    while (start <= text.length) {
      let stop = text.indexOf('\r\n', start);
      if (stop < 0) stop = text.length;
      if (++count > context.maxHeaders) return bad(`more than ${context.maxHeaders} header fields`);
      const field = splitFieldLine(text, start, stop);
      // The server's spelling of the name is kept, for the client.
      const name = typeof field === 'string' ? '' : text.slice(start, start + field.name.length);
      start = stop + 2;
      if (typeof field === 'string') return bad(fieldProblems[field]);
      headers.appendSpelt(name, field.name, field.value);
      if (field.name === 'content-length') (contentLength ??= []).push(field.value);
      else if (field.name === 'transfer-encoding') (transferEncoding ??= []).push(field.value);
      else if (field.name === 'connection') connection = connection === undefined ? field.value : `${connection}, ${field.value}`;
    }
  }

  const framing = responseFraming(status, context.method, version, transferEncoding, contentLength);
  if (typeof framing === 'string') return bad(framing);
  return {
    ok: true,
    head: {
      version,
      status,
      reason: m[3] ?? '',
      headers,
      framing,
      keepAlive: framing.kind !== 'close' && wantsKeepAlive(connection, version),
    },
  };
}

/**
 * §6.3: how the body is delimited, or why the framing cannot be trusted.
 * The framing fields are checked even where the status says there is no
 * body, as a server that sends both of them, or a bad length, says nothing
 * else on that connection can be trusted either.
 */
function responseFraming(
  status: number,
  method: string,
  version: HttpVersion,
  te: readonly string[] | undefined,
  cl: readonly string[] | undefined,
): ResponseFraming | string {
  if (te && cl) return 'both Transfer-Encoding and Content-Length';
  let framing: ResponseFraming = untilClose;
  if (te) {
    // §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
    if (version === 'HTTP/1.0') return 'Transfer-Encoding in an HTTP/1.0 response';
    const codings = listElements(te.join(',')).map((c) => c.toLowerCase());
    // Chunked last, exactly once, and nothing else: any other coding is hop-by-hop and cannot be passed on;
    // a response not ending in chunked would be delimited by the close (§6.3 item 4), which a proxy cannot tell from a cut.
    if (codings.length !== 1 || codings[0] !== 'chunked') return `Transfer-Encoding "${te.join(', ')}" (only chunked is taken)`;
    framing = { kind: 'chunked' };
  } else if (cl && cl.length === 1 && /^\d{1,15}$/.test(cl[0]!)) {
    // The usual case: one Content-Length of plain digits.
    const n = Number(cl[0]);
    framing = n === 0 ? none : { kind: 'length', length: n };
  } else if (cl) {
    let length: string | undefined;
    for (const field of cl) {
      for (const element of field.split(',')) {
        const value = element.trim();
        if (!/^\d+$/.test(value)) return `a malformed Content-Length ${JSON.stringify(field.slice(0, 40))}`;
        if (length !== undefined && Number(length) !== Number(value)) return 'conflicting Content-Length values';
        length = value;
      }
    }
    const n = Number(length);
    if (!Number.isSafeInteger(n)) return 'Content-Length out of range';
    framing = n === 0 ? none : { kind: 'length', length: n };
  }
  // §6.3 item 1: these never have a body, whatever the fields say.
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return none;
  return framing;
}

function bad(reason: string): ResponseHeadResult {
  return { ok: false, reason };
}

export interface HeadReaderLimits extends ResponseHeadContext {
  /** Largest head, status line and fields, in bytes. */
  readonly maxBytes: number;
}

export type HeadReaderResult =
  | { readonly ok: true; readonly head: ResponseHead /** The bytes after the head, in the last piece fed. */; readonly rest: Buffer }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads one response head off bytes fed in pieces: undefined while it is
 * incomplete, then the head (and what followed it) or the reason it is
 * refused. A bare LF anywhere, or more than `maxBytes` without the blank
 * line, is refused as soon as it is seen. One reader per head: a 1xx
 * interim response is followed by a fresh reader fed the rest.
 */
export class ResponseHeadReader {
  private readonly bytes = new ByteQueue();
  /** How far the bytes have been searched for the blank line. */
  private scanned = 0;

  constructor(private readonly limits: HeadReaderLimits) {}

  push(chunk: Buffer): HeadReaderResult | undefined {
    this.bytes.push(chunk);
    const data = this.bytes.view();
    // From line end to line end (indexOf, not a loop over every byte: a head is read once per response).
    for (let lf = data.indexOf(0x0a, this.scanned); lf >= 0; lf = data.indexOf(0x0a, lf + 1)) {
      if (lf === 0 || data[lf - 1] !== 0x0d) return bad('a bare LF in the response head') as HeadReaderResult;
      // CRLF CRLF: the head ends here.
      if (lf >= 3 && data[lf - 2] === 0x0a && data[lf - 3] === 0x0d) {
        if (lf + 1 > this.limits.maxBytes) break;
        const text = data.toString('latin1', 0, lf - 3);
        const rest = data.subarray(lf + 1);
        this.bytes.clear();
        const parsed = parseResponseHead(text, this.limits);
        return parsed.ok ? { ok: true, head: parsed.head, rest } : parsed;
      }
      // A head that starts with its blank line has no status line.
      if (lf === 1) return bad('an empty line where the status line should be') as HeadReaderResult;
    }
    this.scanned = data.length;
    if (data.length > this.limits.maxBytes) return bad(`a response head over ${this.limits.maxBytes} bytes`) as HeadReaderResult;
    return undefined;
  }
}
