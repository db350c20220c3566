/**
 * The Basic authentication scheme (RFC 7617): reading the credentials a
 * client sends in Authorization, and the challenge a 401 carries. Pure: the
 * password check itself is password-hash.ts, the stage is
 * components/auth/basic-auth.ts.
 *
 * Strict where the RFC is: the scheme is matched case-insensitively (RFC
 * 9110 §11.1), the credentials are token68 in canonical base64 (Node's
 * decoder would quietly skip anything that is not), the user-id ends at the
 * first colon (§2), neither part may hold a control character (§2), and
 * both are UTF-8, the charset the challenge names (§2.1). Anything else is
 * refused with the reason, for the errors log.
 */
import { isUtf8 } from 'node:buffer';

export interface BasicCredentials {
  readonly user: string;
  /** The password's bytes, as sent (UTF-8): what the hash functions take. */
  readonly password: Buffer;
}

export type CredentialsResult =
  | { readonly ok: true; readonly credentials: BasicCredentials }
  /** `missing`: no Basic credentials at all (no field, or another scheme): a plain challenge. */
  | { readonly ok: false; readonly missing: boolean; readonly reason: string };

/** Longest credentials (the base64 text) read: longer ones are refused unread. 1 KiB holds any user-id and password htpasswd takes. */
export const maxCredentialsLength = 1024;

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;
const controls = /[\x00-\x1f\x7f]/;

const refuse = (reason: string, missing = false): CredentialsResult => ({ ok: false, missing, reason });

/** The Basic credentials of an Authorization field value (undefined: no field). */
export function parseBasicCredentials(field: string | undefined): CredentialsResult {
  if (field === undefined) return refuse('no credentials', true);
  const space = field.indexOf(' ');
  const scheme = space < 0 ? field : field.slice(0, space);
  if (scheme.toLowerCase() !== 'basic') return refuse(`credentials of another scheme (${JSON.stringify(scheme.slice(0, 20))})`, true);
  // RFC 9110 §11.4: one or more spaces may separate the scheme from the credentials; no parameters in Basic.
  const token = field
    .slice(space + 1)
    .replace(/^ +/, '')
    .replace(/[ \t]+$/, '');
  if (space < 0 || token === '') return refuse('Basic with no credentials');
  if (token.length > maxCredentialsLength) return refuse(`credentials longer than ${maxCredentialsLength} characters`);
  if (token.length % 4 !== 0 || !base64.test(token)) return refuse('credentials are not base64');
  const bytes = Buffer.from(token, 'base64');
  const colon = bytes.indexOf(0x3a);
  if (colon < 0) return refuse('credentials have no colon between user-id and password');
  if (!isUtf8(bytes)) return refuse('credentials are not UTF-8');
  const user = bytes.toString('utf8', 0, colon);
  const password = bytes.subarray(colon + 1);
  if (controls.test(user) || controls.test(password.toString('latin1'))) return refuse('control character in the credentials');
  if (user === '') return refuse('empty user-id');
  return { ok: true, credentials: { user, password } };
}

/** The WWW-Authenticate value of a 401 (RFC 7617 §2, §2.1): the realm, and UTF-8 as the charset credentials are sent in. */
export function basicChallenge(realm: string): string {
  return `Basic realm="${realm.replace(/["\\]/g, '\\$&')}", charset="UTF-8"`;
}

/** Whether a realm can be written in a challenge: a one-line string of printable characters. */
export function isValidRealm(realm: unknown): realm is string {
  return typeof realm === 'string' && realm !== '' && !controls.test(realm);
}
