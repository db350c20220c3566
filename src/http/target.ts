/**
 * The request-target (RFC 9112 §3.2) and the path everything downstream
 * uses. This is the one place a URL path is percent-decoded: decoded once,
 * NUL and other control characters refused, invalid or overlong UTF-8
 * refused, dot segments removed (RFC 3986 §5.2.4) and repeated slashes
 * merged. A path that comes out of here can never climb above "/".
 */

export type TargetForm = 'origin' | 'absolute' | 'authority' | 'asterisk';

export type ParsedTarget =
  | {
      readonly ok: true;
      readonly form: TargetForm;
      readonly rawPath: string;
      readonly query: string;
      /** The decoded, normalised path ('' for authority and asterisk forms). */
      readonly path: string;
      /** The authority of an absolute or authority form target. */
      readonly authority?: string;
      readonly scheme?: 'http' | 'https';
    }
  | { readonly ok: false; readonly reason: string };

const fail = (reason: string): ParsedTarget => ({ ok: false, reason });

/** Parses a request-target for a method. Syntax errors are 400s. */
export function parseTarget(method: string, target: string): ParsedTarget {
  // RFC 9110 §9.3.6, RFC 9112 §3.2.3: CONNECT's target is host:port, and nothing else; never a path a
  // handler could take for an ordinary request.
  if (method === 'CONNECT') {
    const authority = parseAuthority(target);
    if (!authority || authority.port === undefined) return fail('CONNECT needs host:port');
    return { ok: true, form: 'authority', rawPath: '', query: '', path: '', authority: target };
  }
  const first = target.charCodeAt(0);
  if (first === 0x2f /* / */) return originForm(target);
  if (target === '*')
    return method === 'OPTIONS'
      ? { ok: true, form: 'asterisk', rawPath: '*', query: '', path: '' }
      : fail('"*" target is only for OPTIONS');
  const scheme = /^(https?):\/\//i.exec(target);
  if (!scheme) return fail('request-target is not origin-form or absolute-form');
  const rest = target.slice(scheme[0].length);
  const slash = rest.search(/[/?]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  if (!authority || authority.includes('@') || !parseAuthority(authority)) return fail('bad authority in absolute-form target');
  const pathAndQuery = slash < 0 ? '/' : rest[slash] === '?' ? `/${rest.slice(slash)}` : rest.slice(slash);
  const origin = originForm(pathAndQuery);
  if (!origin.ok) return origin;
  return { ...origin, form: 'absolute', authority, scheme: scheme[1]!.toLowerCase() as 'http' | 'https' };
}

function originForm(target: string): ParsedTarget {
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  const path = decodePath(rawPath);
  if (!path.ok) return fail(path.reason);
  return { ok: true, form: 'origin', rawPath, query, path: path.path };
}

const needsWork = /%|\/\.|\/\//;
const controls = /[\x00-\x1f\x7f]/;

export type DecodedPath = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

/**
 * Decodes and normalises a path, or says why it cannot be one: no leading
 * '/', a malformed %-escape, a control character (NUL included), invalid or
 * overlong UTF-8. Also refused, as ambiguous: an encoded '/' (%2F) and
 * encoded dot segments (%2e%2e), which decoding would turn into structure a
 * proxy checking the raw path never saw (Jetty, Tomcat and Apache refuse
 * them by default too). Plain "." and ".." segments are removed (RFC 3986
 * §5.2.4) and can never climb above "/".
 */
export function decodePath(raw: string): DecodedPath {
  if (raw.charCodeAt(0) !== 0x2f) return { ok: false, reason: 'the path does not start with /' };
  if (!needsWork.test(raw)) return controls.test(raw) ? { ok: false, reason: 'control character in the path' } : { ok: true, path: raw };
  let decoded = raw;
  if (raw.includes('%')) {
    if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return { ok: false, reason: 'malformed percent-encoding in the path' };
    if (/%2f/i.test(raw)) return { ok: false, reason: 'an encoded "/" in the path is ambiguous' };
    if (/%2e/i.test(raw) && hasEncodedDotSegment(raw)) return { ok: false, reason: 'an encoded dot segment in the path is ambiguous' };
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return { ok: false, reason: 'invalid UTF-8 in the path' };
    }
  }
  if (controls.test(decoded)) return { ok: false, reason: 'control character in the path' };
  return { ok: true, path: removeDotSegments(decoded) };
}

/** A decoded path in the form a request-target carries it: each segment percent-encoded, so it stays one path. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The decoded path, or undefined when `decodePath` refuses it. */
export function normalizePath(raw: string): string | undefined {
  const decoded = decodePath(raw);
  return decoded.ok ? decoded.path : undefined;
}

function hasEncodedDotSegment(raw: string): boolean {
  for (const segment of raw.split('/')) {
    if (!segment.includes('%')) continue;
    const dots = segment.replace(/%2e/gi, '.');
    if (dots === '.' || dots === '..') return true;
  }
  return false;
}

/** RFC 3986 §5.2.4 on a decoded path, merging repeated slashes as it goes; a trailing slash is kept. */
export function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  let trailing = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '' || segment === '.') {
      trailing = last;
    } else if (segment === '..') {
      out.pop();
      trailing = last;
    } else {
      out.push(segment);
      trailing = false;
    }
  }
  if (out.length === 0) return '/';
  return `/${out.join('/')}${trailing ? '/' : ''}`;
}

export interface Authority {
  /** Lower-cased host; an IPv6 literal keeps its brackets. */
  readonly host: string;
  readonly port: number | undefined;
}

/** reg-name characters (RFC 3986 §3.2.2): unreserved, sub-delims and '%', by character code. */
const regNameChars = new Uint8Array(128);
for (const c of "-._~!$&'()*+,;=%") regNameChars[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) regNameChars[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) regNameChars[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) regNameChars[c] = 1;

const ipLiteralChars = /^\[[0-9A-Fa-f:.]+\]$/;

/**
 * Parses `host[:port]` (RFC 3986 §3.2.2 and §3.2.3); undefined when it is
 * not one. The host is a bracketed IP literal or a reg-name (possibly
 * empty); the port is up to five digits, at most 65535. By hand, as every
 * request's Host goes through it.
 */
export function parseAuthority(value: string): Authority | undefined {
  let hostEnd: number;
  if (value.charCodeAt(0) === 0x5b /* [ */) {
    hostEnd = value.indexOf(']') + 1;
    if (hostEnd === 0 || !ipLiteralChars.test(value.slice(0, hostEnd))) return undefined;
  } else {
    hostEnd = 0;
    while (hostEnd < value.length) {
      const c = value.charCodeAt(hostEnd);
      if (c >= 128 || regNameChars[c] === 0) break;
      hostEnd++;
    }
  }
  let port: number | undefined;
  if (hostEnd < value.length) {
    if (value.charCodeAt(hostEnd) !== 0x3a /* : */) return undefined;
    const digits = value.length - hostEnd - 1;
    if (digits > 5) return undefined;
    let n = 0;
    for (let i = hostEnd + 1; i < value.length; i++) {
      const c = value.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) return undefined;
      n = n * 10 + c;
    }
    // "host:" has an empty port, which RFC 3986 allows: no port.
    if (digits > 0) port = n;
    if (n > 65535) return undefined;
  }
  return { host: value.slice(0, hostEnd).toLowerCase(), port };
}
