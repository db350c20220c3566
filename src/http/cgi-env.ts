/**
 * The CGI environment (RFC 3875 §4.1): the one place a request becomes the
 * environment of a script. Nothing else builds one, so every rule about what
 * a script may see lives here:
 *
 * - the RFC 3875 meta-variables, each with its exact meaning, and the usual
 *   extensions (REQUEST_URI, SCRIPT_FILENAME, DOCUMENT_ROOT, REMOTE_PORT,
 *   SERVER_ADDR, HTTPS, REDIRECT_STATUS);
 * - HTTP_* for the request's header fields (§4.1.18), except those that carry
 *   credentials or are given elsewhere, `Proxy` (httpoxy: HTTP_PROXY would
 *   read as a proxy setting), and names that do not map one-to-one onto a
 *   variable name (see `headerVariable`);
 * - none of the server's own environment but an allow-list (PATH, locale,
 *   time zone, temp dir) and what the administrator names.
 *
 * Precedence, lowest first: HTTP_* from the request, the server's
 * allow-listed variables, the administrator's variables, the meta-variables.
 * So a request can never override anything the server or its administrator
 * set.
 */
import { isUtf8 } from 'node:buffer';
import type { HttpRequest, Identity } from './messages.js';
import { clientCertificateVariables, gatewayValue, headerVariable } from './gateway-variables.js';

/** Where the script is and what the request path says about it. */
export interface CgiScript {
  /** SCRIPT_NAME: the decoded URL path that names the script (RFC 3875 §4.1.13). */
  readonly scriptName: string;
  /** PATH_INFO: the decoded rest of the path after SCRIPT_NAME; '' for none (§4.1.5). */
  readonly pathInfo: string;
  /** SCRIPT_FILENAME: the script's absolute file name. */
  readonly filename: string;
}

/** Who the server authenticated the request as (AUTH_TYPE and REMOTE_USER, RFC 3875 §4.1.1, §4.1.11). */
export type CgiIdentity = Identity;

export interface CgiEnvSettings {
  /** SERVER_SOFTWARE (§4.1.17). */
  readonly serverSoftware: string;
  /** DOCUMENT_ROOT, and the root PATH_TRANSLATED maps PATH_INFO into (§4.1.6). */
  readonly documentRoot: string;
  /** Pass the Authorization field on as HTTP_AUTHORIZATION (for scripts that do their own authentication). */
  readonly passAuthorization: boolean;
  /** Names of the server's own variables passed on; "LC_*" takes every name with that prefix. */
  readonly inherit: readonly string[];
  /** Variables the administrator sets for every script. */
  readonly extra: Readonly<Record<string, string>>;
}

/** What the server knows of the request besides the request itself. */
export interface CgiRequestFacts {
  /** The length of a chunked body the server has read in full before starting the script. */
  readonly bodyLength?: number;
  /** The identity the server established, if it authenticated the request. */
  readonly identity?: CgiIdentity;
}

/** The server's variables a script gets when none are named: enough to find programs and speak the locale. */
export const defaultInheritedEnv: readonly string[] = ['PATH', 'LANG', 'LANGUAGE', 'LC_*', 'TZ', 'TMPDIR'];

/** PATH when the server has none (as Apache does). */
const fallbackPath = '/usr/local/bin:/usr/bin:/bin';

/**
 * Header values arrive as latin1 strings (one char per byte). The
 * environment is written as UTF-8, so a value whose bytes are UTF-8 is
 * re-read as such and reaches the script byte for byte.
 */
export function envValue(latin1: string): string {
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : latin1;
}

/** An IPv4 peer seen through an IPv6 socket, as the dotted quad the script expects (§4.1.8). */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Whether the allow-list names `name` ("LC_*" takes every name with that prefix). */
function inherited(name: string, inherit: readonly string[]): boolean {
  for (const pattern of inherit) {
    if (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern) return true;
  }
  return false;
}

/** The variables of `env` that the allow-list names. */
export function inheritedVariables(env: Readonly<Record<string, string | undefined>>, inherit: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(env)) {
    const value = env[name];
    if (value !== undefined && inherited(name, inherit)) picked[name] = value;
  }
  return picked;
}

/**
 * The environment of the script that answers `request`. `serverEnv` is the
 * server's own environment (process.env), of which only the `inherit`
 * allow-list is passed on.
 */
export function cgiEnvironment(
  request: HttpRequest,
  script: CgiScript,
  facts: CgiRequestFacts,
  settings: CgiEnvSettings,
  serverEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;

  // RFC 3875 §4.1.18: protocol-specific meta-variables, one per field name;
  // repeated fields joined as one value with the same meaning (RFC 9110 §5.3;
  // Cookie with "; " as RFC 6265 §5.4 writes it).
  request.headers.forEach((value, _name, key) => {
    const variable = headerVariable(key, settings.passAuthorization);
    if (variable === undefined) return;
    const passed = gatewayValue(key, value);
    if (passed === undefined) return;
    const text = envValue(passed);
    const prior = env[variable];
    env[variable] = prior === undefined ? text : `${prior}${key === 'cookie' ? '; ' : ', '}${text}`;
  });

  for (const name of Object.keys(serverEnv)) {
    const value = serverEnv[name];
    if (value !== undefined && inherited(name, settings.inherit)) env[name] = value;
  }
  // Only where the server passes its PATH on at all (CGI; a FastCGI application has its own environment).
  if (settings.inherit.includes('PATH')) env.PATH ??= fallbackPath;
  for (const name of Object.keys(settings.extra)) env[name] = settings.extra[name]!;

  const connection = request.connection;
  const { scriptName, pathInfo } = script;

  // §4.1.1, §4.1.11: only when the server itself authenticated the request (a stage of ours, or the administrator's function).
  const identity = facts.identity ?? request.identity;
  if (identity) {
    env.AUTH_TYPE = identity.type;
    env.REMOTE_USER = identity.user;
  } else {
    delete env.AUTH_TYPE;
    delete env.REMOTE_USER;
  }
  // §4.1.2, §4.1.3: if and only if the request has a body. "Content-Length: 0"
  // is a body, an empty one; a chunked body has a length only once it has
  // been read in full (otherwise the script reads stdin to its end).
  const hasBody = request.body !== undefined || request.headers.has('content-length');
  const length = request.body ? (request.body.length ?? facts.bodyLength) : hasBody ? 0 : undefined;
  if (length !== undefined) env.CONTENT_LENGTH = String(length);
  else delete env.CONTENT_LENGTH;
  const type = hasBody ? request.headers.get('content-type') : undefined;
  if (type) env.CONTENT_TYPE = envValue(type);
  else delete env.CONTENT_TYPE;
  env.GATEWAY_INTERFACE = 'CGI/1.1'; // §4.1.4
  // §4.1.5, §4.1.6: PATH_INFO is decoded; PATH_TRANSLATED maps it under the
  // document root as a document request would be. Both unset when empty.
  if (pathInfo !== '') {
    env.PATH_INFO = pathInfo;
    env.PATH_TRANSLATED = joinUnder(settings.documentRoot, pathInfo);
  } else {
    delete env.PATH_INFO;
    delete env.PATH_TRANSLATED;
  }
  env.QUERY_STRING = envValue(request.query); // §4.1.7: as sent, '' when none
  env.REMOTE_ADDR = plainAddress(connection.remoteAddress); // §4.1.8
  // §4.1.9: no reverse lookup; the RFC lets the address stand in.
  env.REMOTE_HOST = env.REMOTE_ADDR;
  delete env.REMOTE_IDENT; // §4.1.10: no ident lookups
  env.REQUEST_METHOD = request.method; // §4.1.12
  env.SCRIPT_NAME = scriptName; // §4.1.13
  // §4.1.14: the host the request is for (Host, or the absolute target), else our address.
  env.SERVER_NAME = request.host || hostLiteral(connection.localAddress, connection.family);
  env.SERVER_PORT = String(connection.localPort); // §4.1.15: the port the request came in on
  env.SERVER_PROTOCOL = request.version; // §4.1.16
  env.SERVER_SOFTWARE = settings.serverSoftware; // §4.1.17

  // Extensions every CGI server sets (Apache, lighttpd), relied on by PHP and friends.
  env.REQUEST_URI = request.target.startsWith('/')
    ? envValue(request.target)
    : envValue(request.query ? `${request.rawPath}?${request.query}` : request.rawPath);
  env.SCRIPT_FILENAME = script.filename;
  env.DOCUMENT_ROOT = settings.documentRoot;
  env.REMOTE_PORT = String(connection.remotePort);
  env.SERVER_ADDR = plainAddress(connection.localAddress);
  if (connection.secure) {
    env.HTTPS = 'on';
    Object.assign(env, clientCertificateVariables(connection.peerCertificate, envValue));
  } else delete env.HTTPS;
  env.REDIRECT_STATUS = '200'; // php-cgi refuses to run without it (cgi.force_redirect)
  return env;
}

/** root + a decoded, normalised path ("/a/b"), without doubling the slash. */
function joinUnder(root: string, path: string): string {
  return root.endsWith('/') ? root + path.slice(1) : root + path;
}

function hostLiteral(address: string, family: 'IPv4' | 'IPv6'): string {
  const plain = plainAddress(address);
  return family === 'IPv6' && plain.includes(':') ? `[${plain}]` : plain;
}
