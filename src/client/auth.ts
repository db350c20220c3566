/**
 * Authorization headers, for `defineApi`'s `headers` hook:
 * `headers: basicAuth(user, password)`, or spread with others.
 */

/** Control characters (CTL, RFC 5234 §B.1): never in credentials, or the header could be split. */
const control = /[\x00-\x1f\x7f]/;

/**
 * `Authorization: Basic ...` (RFC 7617 §2): `user-id:password`, UTF-8
 * encoded (the `charset="UTF-8"` of §2.1), in base64. A user-id cannot
 * contain a colon, and neither part a control character.
 */
export function basicAuth(user: string, password: string): { readonly Authorization: string } {
  if (typeof user !== 'string' || typeof password !== 'string') throw new TypeError('basicAuth: user and password must be strings');
  if (user.includes(':')) throw new TypeError('basicAuth: the user-id must not contain ":" (RFC 7617 §2)');
  if (control.test(user) || control.test(password))
    throw new TypeError('basicAuth: control characters are not allowed in credentials (RFC 7617 §2)');
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

/** `Authorization: Bearer <token>` (RFC 6750 §2.1); the token must be a b64token. */
export function bearerAuth(token: string): { readonly Authorization: string } {
  if (typeof token !== 'string' || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) {
    throw new TypeError('bearerAuth: the token must be a b64token (RFC 6750 §2.1: letters, digits, "-._~+/", then "=" padding)');
  }
  return { Authorization: `Bearer ${token}` };
}
