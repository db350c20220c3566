/**
 * Checking a password against a hash from an htpasswd file (htpasswd.ts):
 * the one place it is done. Every comparison takes the same time whatever
 * the bytes (timingSafeEqual; bcryptjs compares its strings in constant
 * time too), so timing tells an attacker nothing about how close a guess
 * came.
 *
 * - `{SHA}`: base64 of SHA-1 of the password (htpasswd -s). One hash, fast.
 * - `$apr1$` and `$1$`: Poul-Henning Kamp's MD5-crypt, with Apache's magic
 *   string or the original one (htpasswd -m). Written here on node:crypto's
 *   MD5: the algorithm is short, fixed since 1994, and no package does it
 *   better; the tests check it against htpasswd's own output. A thousand
 *   rounds of MD5: about a millisecond.
 * - `$2y$`, `$2a$`, `$2b$`: bcrypt (htpasswd -B), by bcryptjs, a pure
 *   JavaScript bcrypt without dependencies, widely used and maintained. Node
 *   has no bcrypt and no Blowfish key schedule to build one on (OpenSSL 3
 *   keeps Blowfish in its legacy provider, off by default), and a native
 *   module would need a build on every platform. bcrypt is slow on purpose
 *   (cost 5, htpasswd's default, is a few milliseconds; cost 12, a few
 *   hundred), so the server runs these checks on a thread of their own
 *   (components/auth/hash-lane.ts), never on the event loop.
 *
 * Which checks are slow is said by `isSlowHash`: those go to that thread.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { HashKind, StoredHash } from './htpasswd.js';

/** Whether `password` is the one `stored` was made from. */
export function verifyPassword(password: Uint8Array, stored: StoredHash): boolean {
  switch (stored.kind) {
    case 'sha1':
      return sameBytes(createHash('sha1').update(password).digest(), Buffer.from(stored.text.slice(5), 'base64'));
    case 'md5':
      return sameBytes(Buffer.from(md5Crypt(password, stored.text), 'latin1'), Buffer.from(stored.text, 'latin1'));
    case 'bcrypt':
      // bcryptjs takes a string and hashes its UTF-8 bytes: the password's bytes are UTF-8 (basic-credentials.ts checks).
      return bcrypt.compareSync(Buffer.from(password).toString('utf8'), stored.text);
    default:
      return stored.kind satisfies never;
  }
}

/** Whether a check takes long enough to be kept off the event loop: bcrypt, and MD5-crypt's thousand rounds. */
export function isSlowHash(kind: HashKind): boolean {
  return kind !== 'sha1';
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const itoa64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * MD5-crypt of `password` with the magic and salt of `setting`
 * ("$apr1$salt$..." or "$1$salt$..."): the whole hash string, as
 * htpasswd -m (or crypt(3) with an MD5 setting) writes it.
 */
export function md5Crypt(password: Uint8Array, setting: string): string {
  const magic = setting.startsWith('$apr1$') ? '$apr1$' : '$1$';
  const rest = setting.slice(magic.length);
  const dollar = rest.indexOf('$');
  const salt = Buffer.from((dollar < 0 ? rest : rest.slice(0, dollar)).slice(0, 8), 'latin1');
  const pw = Buffer.from(password);
  const alternate = createHash('md5').update(pw).update(salt).update(pw).digest();
  const context = createHash('md5').update(pw).update(magic).update(salt);
  for (let left = pw.length; left > 0; left -= 16) context.update(alternate.subarray(0, Math.min(16, left)));
  // A quirk of the original: a NUL byte for each 1 bit of the length, the password's first byte for each 0 bit.
  for (let bits = pw.length; bits > 0; bits >>= 1) context.update(bits & 1 ? zero : pw.subarray(0, 1));
  let digest = context.digest();
  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update(i & 1 ? pw : digest);
    if (i % 3) round.update(salt);
    if (i % 7) round.update(pw);
    round.update(i & 1 ? digest : pw);
    digest = round.digest();
  }
  const d = digest;
  const groups: [number, number][] = [
    [(d[0]! << 16) | (d[6]! << 8) | d[12]!, 4],
    [(d[1]! << 16) | (d[7]! << 8) | d[13]!, 4],
    [(d[2]! << 16) | (d[8]! << 8) | d[14]!, 4],
    [(d[3]! << 16) | (d[9]! << 8) | d[15]!, 4],
    [(d[4]! << 16) | (d[10]! << 8) | d[5]!, 4],
    [d[11]!, 2],
  ];
  let out = `${magic}${salt.toString('latin1')}$`;
  for (let [value, count] of groups) {
    for (; count > 0; count--, value >>= 6) out += itoa64[value & 0x3f];
  }
  return out;
}

const zero = Buffer.alloc(1);
