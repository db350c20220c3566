/**
 * `defineApi(description, hooks)`: a client for a remote HTTP API from its
 * description. Each call goes through the same steps, each a hook with a
 * default:
 *
 *   arguments checked (description) -> path filled (path.ts) -> url(call)
 *   -> arguments(args, call), where signing happens -> query / body placed
 *   -> headers(call) -> fetch (transport.ts) -> decode(response, call), JSON
 *   by default -> check(data, response, call), raising the API's own errors
 *   -> a status outside 200-299 is an error -> the decoded data.
 *
 * Every failure is an `ApiError` naming the call, except what `check` throws,
 * which is the API's own typed error and passes through untouched.
 */
import { argumentPairs, checkArguments, placeArguments, type Arguments } from './arguments.js';
import type { ApiClient, CallOptions, HeaderFields } from './client-types.js';
import { checkDescription, isRecord, type ApiDescription, type MethodName, type ParamSpec } from './description.js';
import { ApiError, isApiError, type ApiCall } from './errors.js';
import { camelJoin, type CamelJoin, type NameRule, type Naming } from './naming.js';
import { describeValue, fillPath, pathVariables } from './path.js';
import { exchange, type ApiResponse, type Exchange, type Fetch } from './transport.js';

export interface ApiHooks<R extends NameRule = CamelJoin, Out = unknown> {
  /** Where the namespaces live: `https://api.example.com/v3/`. http or https, no query, no credentials (use `basicAuth`). */
  readonly baseUrl: string | URL;
  /** How a namespace becomes a property name; `camelJoin()` by default. */
  readonly naming?: Naming<R>;
  /** The URL of a call, before the query; by default `call.base + call.path`. */
  readonly url?: (call: ApiCall) => string | URL | Promise<string | URL>;
  /**
   * The arguments to send, from the checked ones (path variables taken out):
   * add keys, rename, sign here. By default they are sent as given.
   */
  readonly arguments?: (args: Arguments, call: ApiCall) => Arguments | Promise<Arguments>;
  /** Request header fields: fixed ones, or per call (`basicAuth(user, password)`, say). */
  readonly headers?: HeaderFields | ((call: ApiCall) => HeaderFields | Promise<HeaderFields>);
  /** How a `post`, `put` or `patch` sends its body: `'form'` (default, `application/x-www-form-urlencoded`) or `'json'`. */
  readonly body?: 'form' | 'json';
  /** Turns a response into the call's result; JSON by default (`decodeJson`). */
  readonly decode?: (response: ApiResponse, call: ApiCall) => Out | Promise<Out>;
  /**
   * Looks at a decoded response (whatever its status) and throws if the API
   * says the call failed: `throw new ApiError('api', call, data.message, { code: data.error })`,
   * or an error class of your own. Returning accepts it (a status outside
   * 200-299 is still an error).
   */
  readonly check?: (data: NoInfer<Out>, response: ApiResponse, call: ApiCall) => void | Promise<void>;
  /** Milliseconds from sending a request to the last byte of its response; default 30 000. */
  readonly timeout?: number;
  /** Largest response body read, in bytes; default 16 MiB. */
  readonly maxResponseBytes?: number;
  /** What fetch does with a redirect; default `'follow'`. */
  readonly redirect?: 'follow' | 'error' | 'manual';
  /** The transport; Node's global `fetch` by default. */
  readonly fetch?: Fetch;
}

interface Resolved {
  readonly base: string;
  readonly naming: (namespace: string) => string;
  readonly url: ((call: ApiCall) => string | URL | Promise<string | URL>) | undefined;
  readonly arguments: ((args: Arguments, call: ApiCall) => Arguments | Promise<Arguments>) | undefined;
  readonly headers: HeaderFields | ((call: ApiCall) => HeaderFields | Promise<HeaderFields>) | undefined;
  readonly body: 'form' | 'json';
  readonly decode: (response: ApiResponse, call: ApiCall) => unknown;
  readonly check: ((data: unknown, response: ApiResponse, call: ApiCall) => void | Promise<void>) | undefined;
  readonly timeout: number;
  readonly maxResponseBytes: number;
  readonly redirect: 'follow' | 'error' | 'manual';
  readonly fetch: Fetch;
}

/** One call of the description, worked out once. */
interface CallSite {
  readonly namespace: string;
  readonly name: string;
  readonly method: MethodName;
  readonly params: readonly ParamSpec[];
  readonly variables: readonly string[];
}

export const defaultTimeout = 30_000;
export const defaultMaxResponseBytes = 16 * 1024 * 1024;
/** setTimeout's largest delay. */
const maxTimeout = 2 ** 31 - 1;

/**
 * A client for the API `description` describes. Write the description `as
 * const` (or pass it straight in) so that TypeScript sees its literal names
 * and types. The description and hooks are checked here, once: a bad one is
 * a TypeError saying what is wrong.
 */
export function defineApi<const D extends ApiDescription, R extends NameRule = CamelJoin, Out = unknown>(
  description: D,
  hooks: ApiHooks<R, Out>,
): ApiClient<D, R, Out> {
  checkDescription(description);
  const h = resolveHooks(hooks as ApiHooks<NameRule, unknown>);
  const client: Record<string, unknown> = {};
  const namedBy = new Map<string, string>();
  for (const [namespace, spec] of Object.entries(description)) {
    const name = h.naming(namespace);
    if (typeof name !== 'string' || name === '') throw new TypeError(`defineApi: the naming rule gives namespace "${namespace}" no name`);
    if (name === 'then' || name === '__proto__')
      throw new TypeError(`defineApi: namespace "${namespace}" cannot be named "${name}" (a reserved property); use another naming rule`);
    const other = namedBy.get(name);
    if (other !== undefined) {
      throw new TypeError(
        `defineApi: namespaces "${other}" and "${namespace}" are both named "${name}"; use a naming rule that tells them apart (keepNamespace, or one of your own)`,
      );
    }
    namedBy.set(name, namespace);
    const variables = pathVariables(namespace);
    const calls: Record<string, unknown> = {};
    for (const method of Object.keys(spec) as MethodName[]) {
      const site: CallSite = { namespace, name, method, params: spec[method]!, variables };
      calls[method] = (args?: unknown, options?: CallOptions) => invoke(h, site, args, options);
    }
    client[name] = Object.freeze(calls);
  }
  return Object.freeze(client) as ApiClient<D, R, Out>;
}

async function invoke(h: Resolved, site: CallSite, args: unknown, options: CallOptions = {}): Promise<unknown> {
  const { call, request, timeout } = await prepare(h, site, args, options);
  const response = await exchange(h.fetch, call, request, {
    timeout,
    maxResponseBytes: h.maxResponseBytes,
    redirect: h.redirect,
    signal: options.signal,
  });
  return outcome(h, call, response);
}

/** Checks a call's arguments and options, runs the url, arguments and headers hooks, and builds the request. */
async function prepare(
  h: Resolved,
  site: CallSite,
  args: unknown,
  options: CallOptions,
): Promise<{ call: ApiCall; request: Exchange; timeout: number }> {
  let path: string;
  let rest: Arguments;
  let timeout: number;
  try {
    const checked = checkArguments(args, site.params, site.variables);
    path = fillPath(site.namespace, checked.variables);
    rest = checked.rest;
    if (typeof options !== 'object' || options === null) throw new TypeError('the call options must be an object');
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
      throw new TypeError('the signal option must be an AbortSignal');
    timeout = options.timeout === undefined ? h.timeout : checkTimeout(options.timeout, 'the timeout option');
  } catch (error) {
    throw new ApiError('arguments', site, (error as Error).message);
  }
  const call: ApiCall = { namespace: site.namespace, name: site.name, method: site.method, params: site.params, base: h.base, path };
  const url = await hook(call, 'url', async () => new URL(h.url ? await h.url(call) : h.base + path));
  const sent = h.arguments
    ? await hook(call, 'arguments', async () => {
        const out = await h.arguments!(rest, call);
        if (!isRecord(out)) throw new TypeError(`it returned ${describeValue(out)}, not an object of arguments`);
        return out;
      })
    : rest;
  const { query, body } = placeArguments(sent, site.method, site.params);
  for (const [key, value] of argumentPairs(query)) url.searchParams.append(key, value);
  const headers = new Headers(h.decode === decodeJson ? { Accept: 'application/json' } : undefined);
  const fields = h.headers;
  if (fields) await hook(call, 'headers', async () => mergeHeaders(headers, typeof fields === 'function' ? await fields(call) : fields));
  if (options.headers) {
    try {
      mergeHeaders(headers, options.headers);
    } catch (error) {
      throw new ApiError('arguments', call, `bad header option: ${(error as Error).message}`);
    }
  }
  let payload: string | URLSearchParams | undefined;
  if (body && Object.keys(body).length > 0) {
    if (h.body === 'json') {
      payload = JSON.stringify(body);
      if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
    } else payload = new URLSearchParams(argumentPairs(body));
  }
  return { call, request: { url, method: site.method.toUpperCase(), headers, body: payload }, timeout };
}

/** Decodes and checks a response: the call's result, or its error. */
async function outcome(h: Resolved, call: ApiCall, response: ApiResponse): Promise<unknown> {
  let data: unknown;
  try {
    data = await h.decode(response, call);
  } catch (error) {
    // A failed call's error page is often not JSON: then the status is the news, with the text.
    if (!response.ok) throw statusError(call, response, response.text());
    if (isApiError(error)) throw error;
    throw new ApiError('decode', call, (error as Error)?.message ?? String(error), {
      url: response.url,
      status: response.status,
      data: response.text(),
      cause: error,
    });
  }
  if (h.check) await h.check(data, response, call);
  if (!response.ok) throw statusError(call, response, data);
  return data;
}

function statusError(call: ApiCall, response: ApiResponse, data: unknown): ApiError {
  return new ApiError('status', call, `the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, {
    url: response.url,
    status: response.status,
    data,
  });
}

/** Runs a hook; a failure that is not already an ApiError becomes one, of kind `'hook'`. */
async function hook<T>(call: ApiCall, name: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isApiError(error)) throw error;
    throw new ApiError('hook', call, `the ${name} hook failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

function mergeHeaders(headers: Headers, fields: HeaderFields): void {
  for (const [name, value] of new Headers(fields as Record<string, string>)) headers.set(name, value);
}

/**
 * The default decoder: an empty body is `undefined`, anything else must be
 * JSON (RFC 8259), whatever its Content-Type says.
 */
export function decodeJson(response: ApiResponse): unknown {
  if (response.body.byteLength === 0) return undefined;
  const text = response.text();
  try {
    return JSON.parse(text);
  } catch {
    const type = response.headers.get('content-type') ?? 'no Content-Type';
    throw new TypeError(`the response is not JSON (${type}): ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)}`);
  }
}

function resolveHooks(hooks: ApiHooks<NameRule, unknown>): Resolved {
  if (!isRecord(hooks)) throw new TypeError('defineApi: hooks must be an object (with at least baseUrl)');
  for (const name of ['naming', 'url', 'arguments', 'decode', 'check', 'fetch'] as const) {
    if (hooks[name] !== undefined && typeof hooks[name] !== 'function') throw new TypeError(`defineApi: hooks.${name} must be a function`);
  }
  if (hooks.body !== undefined && hooks.body !== 'form' && hooks.body !== 'json') {
    throw new TypeError(`defineApi: hooks.body must be 'form' or 'json', got ${JSON.stringify(hooks.body)}`);
  }
  if (hooks.redirect !== undefined && !['follow', 'error', 'manual'].includes(hooks.redirect)) {
    throw new TypeError(`defineApi: hooks.redirect must be 'follow', 'error' or 'manual', got ${JSON.stringify(hooks.redirect)}`);
  }
  if (hooks.headers !== undefined && typeof hooks.headers !== 'function') {
    try {
      new Headers(hooks.headers as Record<string, string>);
    } catch (error) {
      throw new TypeError(`defineApi: hooks.headers: ${(error as Error).message}`);
    }
  }
  const maxResponseBytes = hooks.maxResponseBytes ?? defaultMaxResponseBytes;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 0) {
    throw new TypeError(`defineApi: hooks.maxResponseBytes must be a whole number of bytes, got ${String(hooks.maxResponseBytes)}`);
  }
  const fetch = hooks.fetch ?? (globalThis.fetch as Fetch | undefined);
  if (!fetch) throw new TypeError('defineApi: this runtime has no global fetch; give hooks.fetch');
  return {
    base: resolveBase(hooks.baseUrl),
    naming: hooks.naming ?? camelJoin(),
    url: hooks.url,
    arguments: hooks.arguments,
    headers: hooks.headers,
    body: hooks.body ?? 'form',
    decode: hooks.decode ?? decodeJson,
    check: hooks.check,
    timeout: hooks.timeout === undefined ? defaultTimeout : checkTimeout(hooks.timeout, 'defineApi: hooks.timeout'),
    maxResponseBytes,
    redirect: hooks.redirect ?? 'follow',
    fetch,
  };
}

/** A time limit in milliseconds, checked: what setTimeout can wait for. */
export function checkTimeout(ms: unknown, what: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > maxTimeout) {
    throw new TypeError(`${what} must be a number of milliseconds above 0 and at most ${maxTimeout}, got ${String(ms)}`);
  }
  return ms;
}

/** The base URL, checked, ending in `/` so namespaces resolve below it, not beside it. */
function resolveBase(baseUrl: unknown): string {
  let url: URL;
  try {
    url = new URL(baseUrl as string);
  } catch {
    throw new TypeError(`defineApi: hooks.baseUrl must be an absolute URL, got ${JSON.stringify(String(baseUrl))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`defineApi: hooks.baseUrl must be http or https, got ${url.protocol}`);
  if (url.username || url.password)
    throw new TypeError('defineApi: hooks.baseUrl must not carry credentials; use headers: basicAuth(user, password)');
  if (url.search || url.hash)
    throw new TypeError('defineApi: hooks.baseUrl must not have a query or fragment; add fixed arguments in the arguments hook');
  return url.pathname.endsWith('/') ? url.href : `${url.href}/`;
}
