/**
 * Access log lines in the Common and Combined Log Formats, as Apache and
 * nginx write them:
 *
 *   127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326
 *
 * plus, for Combined, "Referer" and "User-Agent". Quotes, backslashes and
 * control characters from the client are escaped, so a line is always one
 * line and parses back.
 */
import { requestLine, type Sent } from './messages.js';

export type AccessLogFormat = 'common' | 'combined';

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
  const request = sent.request;
  const bytes = sent.bytes > 0 ? String(sent.bytes) : '-';
  const line = `${request.connection.remoteAddress} - - [${clfTimestamp(now)}] "${escapeLogField(requestLine(request))}" ${sent.status} ${bytes}`;
  if (format === 'common') return line;
  const referer = request.headers.get('referer');
  const agent = request.headers.get('user-agent');
  return `${line} "${referer === undefined ? '-' : escapeLogField(referer)}" "${agent === undefined ? '-' : escapeLogField(agent)}"`;
}
