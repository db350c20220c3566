/**
 * A CGI script's response (RFC 3875 §6): the header section it writes
 * before its body, parsed incrementally as its output arrives, and what it
 * means for the server:
 *
 * - a document (§6.2.1): `Status` (default 200), `Content-Type`, and any
 *   other fields, passed on to the client;
 * - a local redirect (§6.2.2): a `Location` that is a path; the server
 *   answers with what it would answer for that path (a Reroute);
 * - a client redirect (§6.2.3, §6.2.4): any other `Location`, sent to the
 *   client with 302 unless the script gave a Status.
 *
 * Lines may end in LF or CRLF (scripts print "\n"). At least one CGI field
 * (Status, Content-Type, Location) must be given and none twice (§6.3); a
 * header section that breaks that, or any field syntax, or that is longer
 * than the limit, or that never ends, is a bad gateway (502). So is a
 * status this server cannot send as a final response (1xx).
 *
 * `nph-` scripts (§5) write a whole HTTP response themselves; only their
 * status line is read here, for the logs (`parseNphStatusLine`).
 */
import { ByteQueue } from './byte-queue.js';
import { splitFieldLine } from './grammar.js';
import { HeaderMap } from './headers.js';

export type CgiHead =
  | { readonly kind: 'document'; readonly status: number; readonly headers: HeaderMap }
  | { readonly kind: 'local-redirect'; readonly location: string };

export type CgiHeadResult =
  | {
      readonly ok: true;
      readonly head: CgiHead;
      /** What followed the header section in the same output: the body's first bytes. */
      readonly rest: Uint8Array;
    }
  | { readonly ok: false; readonly reason: string };

/** Fields that concern the framing of our response to the client: ours to write, never the script's. */
const framingFields = new Set(['transfer-encoding', 'connection', 'keep-alive', 'trailer', 'upgrade', 'te', 'proxy-connection']);

/** "Status: 404 Not Found" (§6.3.3): three digits, then optionally a reason we do not need. */
const statusValue = /^(\d{3})(?:[ \t].*)?$/;
/** A status line where a header line was expected (some scripts write one; lighttpd accepts it too). */
const statusLine = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;

/**
 * Reads a script's output up to the end of its header section. Feed it
 * output with `push` until it returns a result; call `end` if the output
 * stops first.
 */
export class CgiHeadParser {
  /** The output so far: a view of the one chunk that holds it, or a copy that grows by doubling (no re-copy per chunk). */
  private readonly output = new ByteQueue();
  /** Where the next unread line starts in the output. */
  private lineStart = 0;
  private readonly fields: [string, string][] = [];
  private result: CgiHeadResult | undefined;

  constructor(
    /** Longest header section accepted, in bytes. */
    readonly limit = 64 * 1024,
  ) {}

  /** More output; the result once the header section is complete (or known to be bad), else undefined. */
  push(chunk: Uint8Array): CgiHeadResult | undefined {
    if (this.result) return this.result;
    this.output.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    const buffer = this.output.view();
    for (;;) {
      const lf = buffer.indexOf(10, this.lineStart);
      if (lf < 0) {
        if (buffer.length > this.limit) return this.settle(bad(`header section longer than ${this.limit} bytes`));
        return undefined;
      }
      if (lf + 1 > this.limit) return this.settle(bad(`header section longer than ${this.limit} bytes`));
      const end = lf > this.lineStart && buffer[lf - 1] === 13 ? lf - 1 : lf;
      const line = buffer.toString('latin1', this.lineStart, end);
      this.lineStart = lf + 1;
      if (line === '') {
        const head = interpretCgiHead(this.fields);
        if (typeof head === 'string') return this.settle(bad(head));
        return this.settle({ ok: true, head, rest: buffer.subarray(this.lineStart) });
      }
      if (this.fields.length === 0) {
        const m = statusLine.exec(line);
        if (m) {
          this.fields.push(['Status', m[1]!]);
          continue;
        }
      }
      const field = splitFieldLine(line);
      if (typeof field === 'string') {
        const why =
          field === 'obs-fold'
            ? 'a folded header line'
            : field === 'bad-value'
              ? 'a control character in a header value'
              : 'a line that is not a header field';
        return this.settle(bad(`${why}: ${JSON.stringify(line.slice(0, 80))}`));
      }
      this.fields.push([line.slice(0, field.name.length), field.value]);
    }
  }

  /** The output ended: a header section that has not ended by now never will. */
  end(): CgiHeadResult {
    if (this.result) return this.result;
    const reason = this.output.length === 0 ? 'the script wrote nothing' : 'the output ended inside the header section';
    return this.settle(bad(reason));
  }

  private settle(result: CgiHeadResult): CgiHeadResult {
    this.result = result;
    this.output.clear();
    return result;
  }
}

function bad(reason: string): CgiHeadResult {
  return { ok: false, reason };
}

/**
 * What a complete header section means (RFC 3875 §6.2, §6.3), or the
 * reason it is malformed. Field names keep the script's spelling.
 */
export function interpretCgiHead(fields: readonly (readonly [string, string])[]): CgiHead | string {
  let status: number | undefined;
  let location: string | undefined;
  let cgiFields = 0;
  const seen = new Set<string>();
  const headers = new HeaderMap();
  for (const [name, value] of fields) {
    const key = name.toLowerCase();
    if (key === 'status' || key === 'location' || key === 'content-type') {
      if (seen.has(key)) return `${name} given twice`;
      seen.add(key);
      cgiFields++;
    }
    switch (key) {
      case 'status': {
        const m = statusValue.exec(value);
        if (!m) return `Status is not a 3-digit code: ${JSON.stringify(value.slice(0, 40))}`;
        status = Number(m[1]);
        if (status < 200 || status > 599) return `Status ${status} cannot be a final response`;
        break;
      }
      case 'location':
        if (value === '') return 'Location is empty';
        location = value;
        headers.append(name, value);
        break;
      case 'content-length':
        if (!/^\d+$/.test(value)) return `Content-Length is not a number: ${JSON.stringify(value.slice(0, 40))}`;
        headers.append(name, value);
        break;
      default:
        if (!framingFields.has(key)) headers.append(name, value);
    }
  }
  if (cgiFields === 0) return 'no Status, Content-Type or Location field';
  if (location !== undefined) {
    // §6.2.2: a path is fetched by the server itself. Apache does the same
    // when the script also says "Status: 200"; any other status goes to the client.
    if (location.startsWith('/') && (status === undefined || status === 200)) return { kind: 'local-redirect', location };
    // §6.2.3: a client redirect is a 302 unless the script chose its status.
    // (A relative reference is not allowed by §6.3.2 but is sent on as browsers understand it.)
    if (status === undefined) status = 302;
  } else if (status === undefined) status = 200;
  return { kind: 'document', status, headers };
}

/** The status of an nph- script's status line ("HTTP/1.1 200 OK"), or undefined when the line is not one. */
export function parseNphStatusLine(line: string): number | undefined {
  const m = /^HTTP\/\d\.\d (\d{3})(?: .*)?$/.exec(line);
  if (!m) return undefined;
  const status = Number(m[1]);
  return status >= 100 && status <= 599 ? status : undefined;
}
