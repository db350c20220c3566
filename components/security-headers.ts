/**
 * Security headers as a response stage: every response leaves with
 * X-Content-Type-Options: nosniff (no guessing a script out of a text file),
 * a Referrer-Policy, X-Frame-Options (no framing by other sites:
 * clickjacking), and, on TLS connections only, Strict-Transport-Security
 * (RFC 6797 §7.2: never over plain HTTP, where an attacker could forge it).
 * A field the handler set itself is left as it is: a page that means to be
 * framed says so.
 *
 *   createServer({ after: [securityHeaders({ hsts: { maxAge: 63072000, includeSubDomains: true } })] })
 */
import type { HttpResponse } from '../src/http/messages.js';
import { badOption } from '../src/http/option-checks.js';
import { map } from './transform.js';
import type { StageMaker } from './request-stage.js';

export interface SecurityHeadersOptions {
  /** Referrer-Policy. Default "strict-origin-when-cross-origin"; false for none. */
  readonly referrerPolicy?: string | false;
  /** X-Frame-Options: "DENY" or "SAMEORIGIN" (default); false for none. */
  readonly frameOptions?: 'DENY' | 'SAMEORIGIN' | false;
  /** Strict-Transport-Security on TLS connections; false for none. Default max-age one year. */
  readonly hsts?: { readonly maxAge?: number; readonly includeSubDomains?: boolean; readonly preload?: boolean } | false;
}

export interface ResolvedSecurityHeaders {
  /** Fields for every response. */
  readonly always: readonly (readonly [string, string])[];
  /** Strict-Transport-Security's value, for TLS connections; undefined for none. */
  readonly hsts: string | undefined;
}

const policies = new Set([
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
]);

export function resolveSecurityHeaders(
  given: boolean | SecurityHeadersOptions | undefined,
  name = 'securityHeaders',
): ResolvedSecurityHeaders | false {
  if (given === undefined || given === false) return false;
  const options: SecurityHeadersOptions = given === true ? {} : given;
  if (typeof options !== 'object' || options === null) throw badOption(name, 'true, false or an object', given);
  for (const key of Object.keys(options))
    if (!['referrerPolicy', 'frameOptions', 'hsts'].includes(key))
      throw new TypeError(`boxwire: unknown option "${name}.${key}" (known: referrerPolicy, frameOptions, hsts)`);
  const always: [string, string][] = [['X-Content-Type-Options', 'nosniff']];
  const referrer = options.referrerPolicy ?? 'strict-origin-when-cross-origin';
  if (referrer !== false) {
    if (typeof referrer !== 'string' || !referrer.split(',').every((p) => policies.has(p.trim())))
      throw badOption(`${name}.referrerPolicy`, `one of ${[...policies].join(', ')}, or false`, referrer);
    always.push(['Referrer-Policy', referrer]);
  }
  const frame = options.frameOptions ?? 'SAMEORIGIN';
  if (frame !== false) {
    if (frame !== 'DENY' && frame !== 'SAMEORIGIN') throw badOption(`${name}.frameOptions`, '"DENY", "SAMEORIGIN" or false', frame);
    always.push(['X-Frame-Options', frame]);
  }
  const hsts = options.hsts ?? {};
  let sts: string | undefined;
  if (hsts !== false) {
    if (typeof hsts !== 'object' || hsts === null) throw badOption(`${name}.hsts`, 'an object or false', hsts);
    const maxAge = hsts.maxAge ?? 31_536_000;
    if (!Number.isInteger(maxAge) || maxAge < 0) throw badOption(`${name}.hsts.maxAge`, 'a whole number of seconds', maxAge);
    sts = `max-age=${maxAge}${hsts.includeSubDomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''}`;
  }
  return { always, hsts: sts };
}

/** Security headers as a response stage factory: true for the defaults, or options; bad ones are a TypeError now. */
export function securityHeaders(options: boolean | SecurityHeadersOptions = true): StageMaker {
  const resolved = resolveSecurityHeaders(options);
  if (!resolved) throw new TypeError('securityHeaders(false) makes no stage');
  return securityHeadersStage(resolved);
}

/** The same, from options already resolved (the server's `securityHeaders`). */
export function securityHeadersStage({ always, hsts }: ResolvedSecurityHeaders): StageMaker {
  const decorate = (response: HttpResponse): HttpResponse => {
    if (response.raw) return response;
    const headers = response.headers.clone();
    for (const [name, value] of always) if (!headers.has(name)) headers.set(name, value);
    if (hsts !== undefined && response.request.connection.secure && !headers.has('strict-transport-security'))
      headers.set('Strict-Transport-Security', hsts);
    return { ...response, headers };
  };
  return () => map(decorate);
}
