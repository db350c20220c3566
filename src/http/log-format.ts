/**
 * Access log lines in the Common and Combined Log Formats, as Apache and
 * nginx write them:
 *
 *   127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326
 *
 * plus, for Combined, "Referer" and "User-Agent". Quotes, backslashes and
 * control characters from the client are escaped, so a line is always one
 * line and parses back.
 *
 * And as JSON, one object per line, for log shippers that want fields, not
 * regular expressions (see `formatAccessJson`).
 */
import { requestLine, type Sent } from './messages.js';

export type AccessLogFormat = 'common' | 'combined' | 'json';
export const accessLogFormats: readonly AccessLogFormat[] = ['common', 'combined', 'json'];

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

let cachedSecond = -1;
let cachedStamp = '';

/** `10/Oct/2000:13:55:36 -0700`, local time, computed at most once a second. */
export function clfTimestamp(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second === cachedSecond) return cachedStamp;
  const d = new Date(second * 1000);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  cachedSecond = second;
  cachedStamp =
    `${two(d.getDate())}/${months[d.getMonth()]}/${d.getFullYear()}:` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
  return cachedStamp;
}

/** Escapes a client-supplied string for a quoted log field. */
export function escapeLogField(value: string): string {
  return value.replace(/["\\\x00-\x1f\x7f-\xff]/g, (c) =>
    c === '"' ? '\\"' : c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export function formatAccessLine(sent: Sent, format: AccessLogFormat, now = Date.now()): string {
  if (format === 'json') return formatAccessJson(sent, now);
  const request = sent.request;
  const bytes = sent.bytes > 0 ? String(sent.bytes) : '-';
  const line = `${request.connection.remoteAddress} - - [${clfTimestamp(now)}] "${escapeLogField(requestLine(request))}" ${sent.status} ${bytes}`;
  if (format === 'common') return line;
  const referer = request.headers.get('referer');
  const agent = request.headers.get('user-agent');
  return `${line} "${referer === undefined ? '-' : escapeLogField(referer)}" "${agent === undefined ? '-' : escapeLogField(agent)}"`;
}

/** One access log entry as JSON: what `formatAccessJson` writes. */
export interface AccessEntry {
  /** ISO 8601, UTC, with milliseconds. */
  readonly time: string;
  /** The peer's address. */
  readonly client: string;
  readonly method: string;
  /** The request-target exactly as sent. */
  readonly target: string;
  readonly version: string;
  readonly status: number;
  /** Bytes of content written. */
  readonly bytes: number;
  /** Milliseconds from the request head to the last byte. */
  readonly duration: number;
  /** False when the response was cut short. */
  readonly complete: boolean;
  readonly userAgent: string | null;
  readonly referer: string | null;
  /** Unique within the server's processes: the process, the connection, the request's place on it. */
  readonly requestId: string;
}

/**
 * An access log line as one JSON object. Request fields are bytes (a
 * target or a field value may carry any octet): each byte outside ASCII is
 * written as a \u0080-\u00ff escape, so the line is plain ASCII and a
 * parser gives back the exact bytes as latin1 code points.
 */
export function formatAccessJson(sent: Sent, now = Date.now()): string {
  const request = sent.request;
  const entry: AccessEntry = {
    time: new Date(now).toISOString(),
    client: request.connection.remoteAddress,
    method: request.method,
    target: request.target,
    version: request.version,
    status: sent.status,
    bytes: sent.bytes,
    duration: Math.round(sent.duration * 1000) / 1000,
    complete: sent.complete,
    userAgent: request.headers.get('user-agent') ?? null,
    referer: request.headers.get('referer') ?? null,
    requestId: `${process.pid}-${request.connection.id}-${request.seq}`,
  };
  return asciiJson(entry);
}

/** JSON with everything outside printable ASCII escaped: one line whatever the text, readable by any shipper. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
