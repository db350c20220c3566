/**
 * Route paths. A pattern is matched against the request's normalised path:
 *
 *   "/"               exactly "/"
 *   "/about"          exactly "/about"
 *   "/users/:id"      one segment captured as params.id
 *   "/static/*"       "/static" and everything below it; the part after
 *                     "/static" is params["*"] (with its leading "/")
 *   "*"               every path
 *
 * A prefix pattern's fixed part ("/static") is the mount point: CGI's
 * SCRIPT_NAME begins with it, WSGI's SCRIPT_NAME is it.
 */
import { hostPatternMatches } from './host-pattern.js';

export interface RouteMatch {
  /** The part of the path the pattern's fixed prefix matched. */
  readonly mount: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface CompiledPattern {
  readonly pattern: string;
  match(path: string): RouteMatch | undefined;
}

const paramName = /^:([A-Za-z_][A-Za-z0-9_]*)$/;
const noParams: Readonly<Record<string, string>> = Object.freeze({});

export function compilePattern(pattern: string): CompiledPattern {
  if (pattern === '*') {
    return { pattern, match: (path) => ({ mount: '', params: { '*': path } }) };
  }
  if (!pattern.startsWith('/')) throw new TypeError(`route path ${JSON.stringify(pattern)} must start with "/" (or be "*")`);
  const prefix = pattern.endsWith('/*');
  const body = prefix ? pattern.slice(0, -2) : pattern;
  const segments = body.split('/').slice(1);
  const names: string[] = [];
  for (const segment of segments) {
    const m = paramName.exec(segment);
    if (m) names.push(m[1]!);
    else if (segment.includes(':') || segment.includes('*'))
      throw new TypeError(`route path ${JSON.stringify(pattern)}: bad segment "${segment}"`);
  }
  if (names.length === 0) {
    // Fixed paths: plain string comparisons.
    if (!prefix) return { pattern, match: (path) => (path === body ? { mount: body, params: noParams } : undefined) };
    const mount = body;
    return {
      pattern,
      match: (path) => {
        if (mount === '') return { mount: '', params: { '*': path } };
        if (path === mount) return { mount, params: { '*': '' } };
        if (path.startsWith(mount) && path.charCodeAt(mount.length) === 0x2f) return { mount, params: { '*': path.slice(mount.length) } };
        return undefined;
      },
    };
  }
  const source = segments
    .map((segment) => (paramName.test(segment) ? '/([^/]+)' : `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    .join('');
  const re = new RegExp(`^(${source})${prefix ? '(/.*)?' : ''}$`);
  return {
    pattern,
    match: (path) => {
      const m = re.exec(path);
      if (!m) return undefined;
      const params: Record<string, string> = {};
      for (let i = 0; i < names.length; i++) params[names[i]!] = m[i + 2]!;
      if (prefix) params['*'] = m[names.length + 2] ?? '';
      return { mount: m[1]!, params };
    },
  };
}

/** Does a route's host pattern ("example.com", "*.example.com") accept this host? */
export function hostMatches(pattern: string | undefined, host: string): boolean {
  return pattern === undefined || hostPatternMatches(pattern, host);
}
