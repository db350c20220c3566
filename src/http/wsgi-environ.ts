/**
 * The CGI part of a WSGI environ (PEP 3333 "environ Variables", after
 * RFC 3875 §4.1): the one place a request becomes the variables an
 * application sees. The worker thread adds the `wsgi.*` entries.
 *
 * Strings are JavaScript strings, not Python's "bytes as latin-1": PATH_INFO
 * is the path as the parser decoded it (once, as UTF-8, invalid UTF-8
 * refused), never decoded again; REQUEST_URI and QUERY_STRING are as sent.
 *
 * Which header fields become HTTP_* variables (Authorization included, as
 * applications authenticate) and how a client certificate is described are
 * decided in gateway-variables.ts, for CGI and WSGI alike. CONTENT_LENGTH is
 * the length the parser framed the body with, not the header's text.
 */
import type { HttpRequest } from './messages.js';
import { clientCertificateVariables, gatewayValue, headerVariable } from './gateway-variables.js';

export type CgiVariables = Record<string, string>;

export interface EnvironSettings {
  /** SERVER_SOFTWARE. */
  readonly serverSoftware: string;
}

/**
 * The request as CGI variables. SCRIPT_NAME is the mount the router matched
 * (no trailing slash, '' at the root); PATH_INFO is the rest of the path
 * (PEP 3333: SCRIPT_NAME + PATH_INFO is the whole path).
 */
export function wsgiEnviron(request: HttpRequest, settings: EnvironSettings): CgiVariables {
  const scriptName = request.mount ?? '';
  const pathInfo = request.params?.['*'] ?? (request.path.startsWith(scriptName) ? request.path.slice(scriptName.length) : request.path);
  const connection = request.connection;
  const env: CgiVariables = {
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: scriptName,
    PATH_INFO: pathInfo,
    QUERY_STRING: request.query,
    REQUEST_URI: request.target,
    SERVER_NAME: request.host || connection.localAddress,
    SERVER_PORT: String(connection.localPort),
    SERVER_PROTOCOL: request.version,
    SERVER_SOFTWARE: settings.serverSoftware,
    REMOTE_ADDR: connection.remoteAddress,
    REMOTE_PORT: String(connection.remotePort),
  };
  // RFC 3875 §4.1.1, §4.1.11: who a stage of ours authenticated the request as.
  if (request.identity) {
    env.AUTH_TYPE = request.identity.type;
    env.REMOTE_USER = request.identity.user;
  }
  if (connection.secure) {
    env.HTTPS = 'on';
    Object.assign(env, clientCertificateVariables(connection.peerCertificate));
  }
  const body = request.body;
  if (body && body.length !== undefined) env.CONTENT_LENGTH = String(body.length);
  const contentType = request.headers.get('content-type');
  if (contentType !== undefined) env.CONTENT_TYPE = contentType;
  request.headers.forEach((raw, name, key) => {
    const variable = headerVariable(name, true);
    if (variable === undefined) return;
    const value = gatewayValue(key, raw);
    if (value === undefined) return;
    const prior = env[variable];
    // RFC 9110 §5.3 joins repeated fields with ", "; cookies are joined with "; " (RFC 6265 §5.4).
    env[variable] = prior === undefined ? value : `${prior}${variable === 'HTTP_COOKIE' ? '; ' : ', '}${value}`;
  });
  return env;
}

/**
 * The URL a fetch-style application's Request carries: the scheme, the Host
 * asked for, and the normalised path (SCRIPT_NAME + PATH_INFO, encoded again
 * for the URL) with the query as sent.
 */
export function requestUrl(env: Readonly<CgiVariables>): string {
  const scheme = env.HTTPS === 'on' ? 'https' : 'http';
  const query = env.QUERY_STRING ? `?${env.QUERY_STRING}` : '';
  const path = encodeURI(`${env.SCRIPT_NAME ?? ''}${env.PATH_INFO ?? ''}`).replace(/[?#]/g, encodeURIComponent) || '/';
  const name = env.SERVER_NAME ?? 'localhost';
  const server = `${name.includes(':') ? `[${name}]` : name}:${env.SERVER_PORT}`;
  for (const host of [env.HTTP_HOST ?? server, server, 'localhost']) {
    try {
      return new URL(`${scheme}://${host}${path}${query}`).href;
    } catch {
      // A host the URL parser will not take: try the next.
    }
  }
  return `${scheme}://localhost/`;
}
