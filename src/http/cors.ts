/**
 * Cross-origin resource sharing, the decisions (the Fetch standard, "CORS
 * protocol"): whether a request is a preflight, whether its Origin is
 * allowed, and the fields each answer carries. The stage that applies them
 * is components/cors.ts.
 *
 * - An allowed origin gets Access-Control-Allow-Origin: its own origin, or
 *   "*" when every origin is allowed and no credentials are (the Fetch
 *   standard forbids "*" with credentials, and a policy that asks for both
 *   is refused when it is made).
 * - Whenever the answer depends on Origin (any policy but a bare "*"),
 *   responses say Vary: Origin, those without an Origin too, so a shared
 *   cache never hands one origin's answer to another (Fetch §3.2.5 "CORS
 *   protocol and HTTP caches").
 * - A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
 *   answered here, 204, with the methods and headers allowed and how long
 *   to cache that; one from an origin not allowed is refused, 403.
 */

export interface CorsPolicy {
  /** Origins allowed exactly ("https://app.example.com", "null"), or patterns ("https://*.example.com"); "*" for any. */
  readonly origins: readonly string[] | '*';
  /** Send Access-Control-Allow-Credentials: true (named origins only). */
  readonly credentials: boolean;
  /** Methods a preflight may ask for. */
  readonly methods: readonly string[];
  /** Request headers a preflight may ask for; "*" allows what it asks (echoed back). */
  readonly allowHeaders: readonly string[] | '*';
  /** Response headers scripts may read beyond the safelisted ones. */
  readonly exposeHeaders: readonly string[];
  /** Seconds a browser may cache a preflight's answer. */
  readonly maxAge: number;
}

export type CorsDecision =
  /** Not a CORS request (no Origin), or one from an origin not allowed: pass it on, with these fields on the response. */
  | { readonly type: 'pass'; readonly fields: readonly (readonly [string, string])[] }
  /** A preflight: answer it with this status and these fields. */
  | {
      readonly type: 'preflight';
      readonly status: 204 | 403;
      readonly fields: readonly (readonly [string, string])[];
      readonly reason?: string;
    };

export interface CorsRequest {
  readonly method: string;
  /** The Origin field, if any. */
  readonly origin: string | undefined;
  readonly requestMethod: string | undefined;
  readonly requestHeaders: string | undefined;
}

/** A policy's origins, made ready to match: exact ones in a set, wildcard ones as (scheme, host suffix, port). */
export interface OriginMatcher {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly wildcards: readonly { readonly prefix: string; readonly suffix: string }[];
}

const originPattern = /^(https?:\/\/)(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/;

/** The matcher of a list of origins; throws a TypeError naming a bad one. */
export function originMatcher(origins: readonly string[] | '*'): OriginMatcher {
  if (origins === '*') return { any: true, exact: new Set(), wildcards: [] };
  const exact = new Set<string>();
  const wildcards: { prefix: string; suffix: string }[] = [];
  for (const given of origins) {
    const origin = typeof given === 'string' ? given.toLowerCase() : given;
    if (origin === 'null') {
      exact.add('null');
      continue;
    }
    const m = typeof origin === 'string' ? originPattern.exec(origin) : null;
    if (!m) throw new TypeError(`${JSON.stringify(given)} is not an origin such as "https://app.example.com" or "https://*.example.com"`);
    if (m[2]) wildcards.push({ prefix: m[1]!, suffix: `.${m[3]}${m[4] ?? ''}` });
    else exact.add(origin);
  }
  return { any: false, exact, wildcards };
}

/** Whether an Origin field value is allowed. A wildcard takes subdomains only ("https://*.example.com" not "https://example.com"). */
export function originAllowed(matcher: OriginMatcher, origin: string): boolean {
  if (matcher.any) return true;
  const o = origin.toLowerCase();
  if (matcher.exact.has(o)) return true;
  for (const { prefix, suffix } of matcher.wildcards) {
    if (!o.startsWith(prefix) || !o.endsWith(suffix)) continue;
    const label = o.slice(prefix.length, o.length - suffix.length);
    // One or more labels before the suffix, of host characters only (no port, path or userinfo smuggled in).
    if (label !== '' && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(label)) return true;
  }
  return false;
}

/** Whether responses depend on Origin, and must say so in Vary. */
export function variesByOrigin(policy: CorsPolicy): boolean {
  return policy.origins !== '*';
}

const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The CORS answer to a request under a policy. */
export function corsDecision(policy: CorsPolicy, matcher: OriginMatcher, request: CorsRequest): CorsDecision {
  const vary = variesByOrigin(policy);
  const { origin } = request;
  const preflight = request.method === 'OPTIONS' && origin !== undefined && request.requestMethod !== undefined;
  if (origin === undefined || !originAllowed(matcher, origin)) {
    const fields: [string, string][] = vary ? [['Vary', 'Origin']] : [];
    if (!preflight) return { type: 'pass', fields };
    return { type: 'preflight', status: 403, fields, reason: `CORS preflight from an origin not allowed: ${JSON.stringify(origin)}` };
  }
  const fields: [string, string][] = [['Access-Control-Allow-Origin', policy.origins === '*' && !policy.credentials ? '*' : origin]];
  if (policy.credentials) fields.push(['Access-Control-Allow-Credentials', 'true']);
  if (!preflight) {
    if (policy.exposeHeaders.length > 0) fields.push(['Access-Control-Expose-Headers', policy.exposeHeaders.join(', ')]);
    if (vary) fields.push(['Vary', 'Origin']);
    return { type: 'pass', fields };
  }
  fields.push(['Access-Control-Allow-Methods', policy.methods.join(', ')]);
  const asked = request.requestHeaders;
  if (policy.allowHeaders === '*') {
    // Echo what was asked for, if it is a list of field names (the answer then varies by it too).
    const names = (asked ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (names.length > 0 && names.every((n) => token.test(n))) fields.push(['Access-Control-Allow-Headers', names.join(', ')]);
  } else if (policy.allowHeaders.length > 0) fields.push(['Access-Control-Allow-Headers', policy.allowHeaders.join(', ')]);
  fields.push(['Access-Control-Max-Age', String(policy.maxAge)]);
  const varying = [
    vary ? 'Origin' : '',
    'Access-Control-Request-Method',
    policy.allowHeaders === '*' ? 'Access-Control-Request-Headers' : '',
  ]
    .filter(Boolean)
    .join(', ');
  fields.push(['Vary', varying]);
  return { type: 'preflight', status: 204, fields };
}
