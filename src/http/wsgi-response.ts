/**
 * What a WSGI application may pass to `startResponse` (PEP 3333, "The
 * start_response() Callable"), as small named checks. Each returns the
 * reason a value is refused, or undefined when it is fine; the worker thread
 * throws the reason at the application, at the call that was wrong.
 */
import { isToken } from './grammar.js';

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1, the list of RFC 2616 §13.5.1 that
 * PEP 3333 names): they belong to one connection, and the server owns the
 * connection, so an application may not set them (PEP 3333, "Other HTTP
 * Features").
 */
export const hopByHopFields: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/** Field values: HTAB, visible ASCII and obs-text (RFC 9110 §5.5); never CR, LF or NUL. */
const fieldValue = /^[\t\x20-\x7e\x80-\xff]*$/;

/** PEP 3333: a status is "999 Message here": three digits, a space, a reason phrase. Only final statuses. */
export function statusProblem(status: unknown): string | undefined {
  if (typeof status !== 'string') return `status must be a string such as "200 OK", not ${describe(status)}`;
  const m = /^([1-9]\d\d) ([\t\x20-\x7e\x80-\xff]*)$/.exec(status);
  if (!m) return `status must be three digits, a space and a reason phrase, such as "200 OK" (got ${JSON.stringify(status)})`;
  const code = Number(m[1]);
  if (code < 200 || code > 599) return `status ${code} cannot be an application's final response`;
  return undefined;
}

/** The status code of a status line that passed statusProblem. */
export function statusCode(status: string): number {
  return Number(status.slice(0, 3));
}

/** PEP 3333: headers are a list of (name, value) pairs of strings; names are tokens; no hop-by-hop fields. */
export function headersProblem(headers: unknown): string | undefined {
  if (!Array.isArray(headers)) return `headers must be an array of [name, value] pairs, not ${describe(headers)}`;
  for (const pair of headers as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return `each header must be a [name, value] pair, not ${describe(pair)}`;
    const [name, value] = pair as unknown[];
    if (typeof name !== 'string' || !isToken.test(name)) return `header name ${JSON.stringify(name)} is not a token (RFC 9110 §5.1)`;
    if (typeof value !== 'string') return `the value of ${name} must be a string, not ${describe(value)}`;
    if (!fieldValue.test(value)) return `the value of ${name} holds a control character (CR, LF, NUL...)`;
    if (hopByHopFields.has(name.toLowerCase())) return `${name} is a hop-by-hop header: the server manages the connection (PEP 3333)`;
  }
  return undefined;
}

/** The Content-Length an application declared, when it declared a valid one. */
export function declaredLength(headers: readonly (readonly [string, string])[]): number | undefined {
  for (const [name, value] of headers) {
    if (name.length === 14 && name.toLowerCase() === 'content-length' && /^\s*\d+\s*$/.test(value)) return Number(value);
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object'
    ? `a ${value.constructor?.name ?? 'object'}`
    : typeof value === 'string'
      ? JSON.stringify(value)
      : String(value);
}
