/**
 * What CGI scripts and WSGI applications both see of a request, decided in
 * one place: which header fields become HTTP_* variables, and how a TLS
 * client certificate is described.
 *
 * Header fields: only names of letters, digits and '-' are mapped. '_' and
 * the other token characters would let a client forge a variable that a
 * trusted field maps to ("X_Forwarded_For" posing as "X-Forwarded-For"), or
 * make two fields collide, so such fields are dropped, as Apache and nginx
 * do. Never passed on: Proxy (httpoxy, CVE-2016-5385: HTTP clients read
 * HTTP_PROXY as their proxy), Proxy-Authorization (a credential for a proxy,
 * not for the application), Content-Length and Content-Type (they travel as
 * CONTENT_LENGTH and CONTENT_TYPE), Transfer-Encoding (already removed),
 * and Upgrade and HTTP2-Settings, with their tokens in Connection: a script
 * or application behind a gateway cannot switch the client's connection to
 * another protocol, so it must not be told it was asked to (a route that can,
 * a WebSocket one, declares it and gets the request as it came).
 * Authorization only when the gateway passes it: CGI by option (RFC 3875
 * §4.1.18 lets servers withhold it), WSGI always (applications authenticate).
 */
import type { PeerCertificate } from '../core/connection-info.js';

const withheld = new Set([
  'proxy',
  'proxy-authorization',
  'content-length',
  'content-type',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);
/** The Connection options that name the withheld upgrade fields (RFC 9110 §7.6.1, §7.8; RFC 7540 §3.2). */
const upgradeOptions = new Set(['upgrade', 'http2-settings']);

/** Header names repeat from request to request: their variables are remembered (a few hundred of them). */
const remembered = [new Map<string, string | null>(), new Map<string, string | null>()];

/** The HTTP_* variable a header field becomes, or undefined when it must not become one. */
export function headerVariable(name: string, passAuthorization = false): string | undefined {
  const cache = remembered[passAuthorization ? 1 : 0]!;
  let variable = cache.get(name);
  if (variable === undefined) {
    variable = variableOf(name, passAuthorization);
    if (cache.size >= 512) cache.clear();
    cache.set(name, variable);
  }
  return variable ?? undefined;
}

function variableOf(name: string, passAuthorization: boolean): string | null {
  if (!/^[A-Za-z0-9-]+$/.test(name)) return null;
  const key = name.toLowerCase();
  if (withheld.has(key) || (key === 'authorization' && !passAuthorization)) return null;
  return `HTTP_${key.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * The value a gateway passes on for a field (`key` lower case): Connection
 * without its upgrade options, undefined when nothing is left; any other
 * field as it is.
 */
export function gatewayValue(key: string, value: string): string | undefined {
  if (key !== 'connection' || !/upgrade|http2-settings/i.test(value)) return value;
  const kept = value
    .split(',')
    .map((option) => option.trim())
    .filter((option) => option !== '' && !upgradeOptions.has(option.toLowerCase()));
  return kept.length > 0 ? kept.join(', ') : undefined;
}

/**
 * A TLS connection's client certificate, as Apache's mod_ssl names it (the
 * names CGI programs and WSGI middleware look for): SSL_CLIENT_VERIFY is
 * SUCCESS when the client presented a certificate that verified against the
 * interface's CA, NONE otherwise; the subject and issuer as RFC 2253-style
 * distinguished names and their CN. Only a verified certificate is ever
 * described. `value` adapts a text to where it goes (CGI's environment).
 */
export function clientCertificateVariables(
  certificate: PeerCertificate | undefined,
  value: (text: string) => string = (t) => t,
): Record<string, string> {
  if (!certificate) return { SSL_CLIENT_VERIFY: 'NONE' };
  const dn = (fields: Readonly<Record<string, string | string[] | undefined>>): string =>
    Object.entries(fields)
      .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
      .map(([k, v]) => `${k}=${(Array.isArray(v) ? v.join('+') : v).replace(/[,+"\\<>;]/g, '\\$&')}`)
      .join(',');
  const first = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
  return {
    SSL_CLIENT_VERIFY: 'SUCCESS',
    SSL_CLIENT_S_DN: value(dn(certificate.subject)),
    SSL_CLIENT_S_DN_CN: value(first(certificate.subject.CN)),
    SSL_CLIENT_I_DN: value(dn(certificate.issuer)),
    SSL_CLIENT_I_DN_CN: value(first(certificate.issuer.CN)),
    SSL_CLIENT_M_SERIAL: certificate.serialNumber,
    SSL_CLIENT_V_START: certificate.validFrom,
    SSL_CLIENT_V_END: certificate.validTo,
  };
}
