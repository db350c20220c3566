/**
 * The server's built-in stages, as options (what JSON configuration files
 * and the command line can say): `auth`, `cors`, `rateLimit`, `redirects`,
 * `rewrites` and `securityHeaders`, and `vhosts` (served by the document
 * root's route). Each is checked here, when the options are resolved, by
 * its component's own options module; the stages are made per site (the
 * users files are read then) by `middlewareStages`.
 *
 * The order of the request stages is fixed, for what each must see:
 *
 *   cors -> rateLimit -> redirects -> rewrites -> auth... -> your `before`
 *
 * CORS first, so a preflight is answered without credentials and every
 * refusal after it (429, 401) carries the CORS fields a page needs to read
 * it; redirects before rewrites, on the address as asked; authentication
 * after rewrites, on the path that will be served (a rewrite can never
 * lead round it). The security headers go last of all, after the error page.
 */
import { basicAuthStage } from '../../components/auth/basic-auth.js';
import { resolveBasicAuthOptions, type BasicAuthOptions, type ResolvedBasicAuthOptions } from '../../components/auth/options.js';
import { corsStage } from '../../components/cors.js';
import { resolveCorsOptions, type CorsOptions, type ResolvedCors } from '../../components/cors-options.js';
import { rateLimitStage } from '../../components/rate-limit.js';
import { resolveRateLimitOptions, type RateLimitOptions, type ResolvedRateLimit } from '../../components/rate-limit-options.js';
import { redirectStage } from '../../components/redirect.js';
import type { StageMaker } from '../../components/request-stage.js';
import { rewriteStage } from '../../components/rewrite.js';
import {
  resolveSecurityHeaders,
  securityHeadersStage,
  type ResolvedSecurityHeaders,
  type SecurityHeadersOptions,
} from '../../components/security-headers.js';
import { resolveVirtualHosts, type VirtualHost } from '../../components/static-file/virtual-hosts.js';
import {
  resolveRedirects,
  resolveRewrites,
  type RedirectRule,
  type ResolvedRedirect,
  type RewriteRule,
} from '../../components/url-rule-options.js';
import type { CompiledRule } from '../http/rewrite-rule.js';
import { badOption } from '../http/option-checks.js';

export interface MiddlewareOptions {
  /** Basic authentication, one entry per area: { file, prefix, realm } (see docs/middleware.md). */
  readonly auth?: readonly BasicAuthOptions[];
  /** CORS: "*", an origin, a list of origins, or { origins, credentials, ... }. */
  readonly cors?: CorsOptions | string | readonly string[];
  /** A token bucket per client: "100/s,burst=200" or { rate, burst, clients }. */
  readonly rateLimit?: RateLimitOptions | string;
  /** Redirects: [{ from: REGEX, to, status }], the first match answers. */
  readonly redirects?: readonly RedirectRule[];
  /** Rewrites of the path before routing: [{ from: REGEX, to }], the first match applies, once. */
  readonly rewrites?: readonly RewriteRule[];
  /** Document roots by Host: [{ host: "example.com" | "*.example.com", root }]; `root` serves the rest. */
  readonly vhosts?: readonly VirtualHost[];
  /** X-Content-Type-Options, Referrer-Policy, X-Frame-Options, and HSTS over TLS: true, or options. */
  readonly securityHeaders?: boolean | SecurityHeadersOptions;
}

export interface ResolvedMiddleware {
  readonly auth: readonly ResolvedBasicAuthOptions[];
  readonly cors: ResolvedCors | undefined;
  readonly rateLimit: ResolvedRateLimit | undefined;
  readonly redirects: readonly ResolvedRedirect[];
  readonly rewrites: readonly CompiledRule[];
  readonly vhosts: readonly VirtualHost[];
  readonly securityHeaders: ResolvedSecurityHeaders | false;
}

export const middlewareKeys = ['auth', 'cors', 'rateLimit', 'redirects', 'rewrites', 'vhosts', 'securityHeaders'] as const;

export function resolveMiddleware(options: MiddlewareOptions): ResolvedMiddleware {
  const auth = options.auth ?? [];
  if (!Array.isArray(auth)) throw badOption('auth', 'a list of { file, prefix, realm }', auth);
  return {
    auth: auth.map((entry, i) => resolveBasicAuthOptions(entry, `auth[${i}]`)),
    cors: options.cors === undefined ? undefined : resolveCorsOptions(options.cors),
    rateLimit: options.rateLimit === undefined ? undefined : resolveRateLimitOptions(options.rateLimit),
    redirects: resolveRedirects(options.redirects),
    rewrites: resolveRewrites(options.rewrites),
    vhosts: resolveVirtualHosts(options.vhosts),
    securityHeaders: resolveSecurityHeaders(options.securityHeaders),
  };
}

/**
 * The built-in stages of a site: the request stages in their order, and the
 * security headers, which go between the error page and the responder so
 * they are on every response (stage answers and the parser's refusals too).
 * The users files are read here.
 */
export function middlewareStages(m: ResolvedMiddleware): { before: StageMaker[]; headers: StageMaker | undefined } {
  const before: StageMaker[] = [];
  if (m.cors) before.push(corsStage(m.cors));
  if (m.rateLimit) before.push(rateLimitStage(m.rateLimit));
  if (m.redirects.length > 0) before.push(redirectStage(m.redirects));
  if (m.rewrites.length > 0) before.push(rewriteStage(m.rewrites));
  m.auth.forEach((entry, i) => {
    try {
      before.push(basicAuthStage(entry));
    } catch (error) {
      throw new TypeError(`boxwire: option "auth[${i}]": ${(error as Error).message}`);
    }
  });
  return { before, headers: m.securityHeaders ? securityHeadersStage(m.securityHeaders) : undefined };
}
