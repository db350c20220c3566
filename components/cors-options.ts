/**
 * Options of CORS (`cors(options)`, the server's `cors` option, `--cors
 * ORIGIN`): their type, defaults and checks, resolved once, when the stage
 * is made.
 */
import { originMatcher, type CorsPolicy, type OriginMatcher } from '../src/http/cors.js';
import { badOption } from '../src/http/option-checks.js';

export interface CorsOptions {
  /** Origins allowed: "*" for any, or a list ("https://app.example.com", "https://*.example.com", "null"). */
  readonly origins: '*' | readonly string[];
  /** Let browsers send cookies and credentials, and scripts read the answers (Access-Control-Allow-Credentials). Named origins only. Default false. */
  readonly credentials?: boolean;
  /** Methods a preflight may ask for. Default GET, HEAD, POST, PUT, PATCH, DELETE. */
  readonly methods?: readonly string[];
  /** Request headers a preflight may ask for; "*" (default) allows whatever it asks. */
  readonly allowHeaders?: '*' | readonly string[];
  /** Response headers scripts may read beyond the safelisted ones. Default none. */
  readonly exposeHeaders?: readonly string[];
  /** Seconds a browser may cache a preflight's answer. Default 600. */
  readonly maxAge?: number;
}

export interface ResolvedCors {
  readonly policy: CorsPolicy;
  readonly matcher: OriginMatcher;
}

const keys = new Set(['origins', 'credentials', 'methods', 'allowHeaders', 'exposeHeaders', 'maxAge']);
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function tokens(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !token.test(v))) throw badOption(name, 'a list of names', value);
  return value as string[];
}

/** `cors` as the server takes it: "*", one origin, a list of origins, or the options object. */
export function resolveCorsOptions(given: CorsOptions | string | readonly string[], name = 'cors'): ResolvedCors {
  const options: CorsOptions =
    typeof given === 'string'
      ? { origins: given === '*' ? '*' : [given] }
      : Array.isArray(given)
        ? { origins: given }
        : (given as CorsOptions);
  if (typeof options !== 'object' || options === null) throw badOption(name, '"*", a list of origins or an object', given);
  for (const key of Object.keys(options))
    if (!keys.has(key)) throw new TypeError(`boxwire: unknown option "${name}.${key}" (known: ${[...keys].join(', ')})`);
  let origins = options.origins;
  if (Array.isArray(origins) && origins.includes('*')) {
    if (origins.length > 1) throw badOption(`${name}.origins`, '"*" alone or a list of origins', origins);
    origins = '*';
  }
  if (origins !== '*' && (!Array.isArray(origins) || origins.length === 0))
    throw badOption(`${name}.origins`, '"*" or a non-empty list of origins', origins);
  let matcher: OriginMatcher;
  try {
    matcher = originMatcher(origins);
  } catch (error) {
    throw new TypeError(`boxwire: option "${name}.origins": ${(error as Error).message}`);
  }
  const credentials = options.credentials ?? false;
  if (typeof credentials !== 'boolean') throw badOption(`${name}.credentials`, 'true or false', credentials);
  // The Fetch standard: "*" never goes with credentials; a browser would refuse every answer.
  if (credentials && origins === '*')
    throw new TypeError(`boxwire: option "${name}": credentials are allowed only with named origins, not "*"`);
  const methods = tokens(`${name}.methods`, options.methods ?? ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).map((m) =>
    m.toUpperCase(),
  );
  const allowHeaders =
    options.allowHeaders === undefined || options.allowHeaders === '*' ? '*' : tokens(`${name}.allowHeaders`, options.allowHeaders);
  const exposeHeaders = tokens(`${name}.exposeHeaders`, options.exposeHeaders ?? []);
  const maxAge = options.maxAge ?? 600;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw badOption(`${name}.maxAge`, 'a whole number of seconds', maxAge);
  return { policy: { origins, credentials, methods, allowHeaders, exposeHeaders, maxAge }, matcher };
}
