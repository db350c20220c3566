/**
 * Request signing, the scheme many older APIs use (Last.fm, Flickr, and
 * their kind): take the call's arguments as `key=value` pairs (or just their
 * values), sort them, join them, put a shared secret at the end or the start,
 * and hash the lot; the hex digest travels as one more argument. `'hmac'`
 * keys an HMAC with the secret instead (RFC 2104), which is what to choose
 * when the API lets you: a plain hash with the secret in front can be
 * extended by anyone who has seen one signature (a length-extension attack
 * on MD5 and the SHA-2 family).
 *
 * The pairs are exactly the ones sent (`argumentPairs`): the values before
 * percent-encoding, arrays as repeated keys. Sorting is by key, then value,
 * in UTF-16 code unit order (byte order for ASCII); the text hashed is UTF-8.
 */
import { createHash, createHmac } from 'node:crypto';
import { argumentPairs, type Arguments } from './arguments.js';

export interface SigningOptions {
  /** The shared secret. */
  readonly secret: string;
  /** What is signed: the sorted `key=value` pairs (default) or the sorted values alone. */
  readonly over?: 'pairs' | 'values';
  /** Where the secret goes: appended (default), prepended, or as the key of an HMAC. */
  readonly secretAt?: 'end' | 'start' | 'hmac';
  /** A hash algorithm Node's crypto knows: `'sha256'` (default), `'md5'` for old APIs, `'sha1'`, `'sha512'`... */
  readonly hash?: string;
  /** How the digest is written: `'hex'` (default), `'base64'` or `'base64url'`. */
  readonly digest?: 'hex' | 'base64' | 'base64url';
  /** The argument the signature travels as; default `'signature'`. It is never signed itself. */
  readonly param?: string;
  /** Between a key and its value; default `'='` (Last.fm and Flickr use `''`). */
  readonly assign?: string;
  /** Between pairs (or values); default `'&'` (Last.fm and Flickr use `''`). */
  readonly separator?: string;
  /** Arguments left out of the signature (but still sent): Last.fm leaves out `format` and `callback`. */
  readonly exclude?: readonly string[];
}

type Resolved = Required<SigningOptions>;

const digests = ['hex', 'base64', 'base64url'] as const;

/** Checks signing options once, with a TypeError naming the bad one. */
export function resolveSigning(options: SigningOptions): Resolved {
  if (typeof options?.secret !== 'string' || options.secret === '') throw new TypeError('signing: secret must be a non-empty string');
  const resolved: Resolved = {
    secret: options.secret,
    over: options.over ?? 'pairs',
    secretAt: options.secretAt ?? 'end',
    hash: options.hash ?? 'sha256',
    digest: options.digest ?? 'hex',
    param: options.param ?? 'signature',
    assign: options.assign ?? '=',
    separator: options.separator ?? '&',
    exclude: options.exclude ?? [],
  };
  if (resolved.over !== 'pairs' && resolved.over !== 'values')
    throw new TypeError(`signing: over must be 'pairs' or 'values', got ${JSON.stringify(resolved.over)}`);
  if (!['end', 'start', 'hmac'].includes(resolved.secretAt)) {
    throw new TypeError(`signing: secretAt must be 'end', 'start' or 'hmac', got ${JSON.stringify(resolved.secretAt)}`);
  }
  if (!digests.includes(resolved.digest))
    throw new TypeError(`signing: digest must be one of ${digests.join(', ')}, got ${JSON.stringify(resolved.digest)}`);
  if (typeof resolved.param !== 'string' || resolved.param === '') throw new TypeError('signing: param must be a non-empty string');
  try {
    createHash(resolved.hash);
  } catch {
    throw new TypeError(`signing: hash ${JSON.stringify(resolved.hash)} is not an algorithm this Node.js knows (see crypto.getHashes())`);
  }
  return resolved;
}

/** The text that is hashed, secret aside: the sorted pairs or values, joined. */
export function signingText(args: Arguments, options: Pick<Resolved, 'over' | 'param' | 'assign' | 'separator' | 'exclude'>): string {
  const pairs = argumentPairs(args).filter(([key]) => key !== options.param && !options.exclude.includes(key));
  pairs.sort(([k1, v1], [k2, v2]) => compare(k1, k2) || compare(v1, v2));
  const parts = options.over === 'pairs' ? pairs.map(([k, v]) => `${k}${options.assign}${v}`) : pairs.map(([, v]) => v).sort(compare);
  return parts.join(options.separator);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The signature of some arguments. */
export function signature(args: Arguments, options: SigningOptions): string {
  const o = resolveSigning(options);
  return digestOf(signingText(args, o), o);
}

function digestOf(text: string, o: Resolved): string {
  switch (o.secretAt) {
    case 'hmac':
      return createHmac(o.hash, o.secret).update(text, 'utf8').digest(o.digest);
    case 'start':
      return createHash(o.hash)
        .update(o.secret + text, 'utf8')
        .digest(o.digest);
    case 'end':
      return createHash(o.hash)
        .update(text + o.secret, 'utf8')
        .digest(o.digest);
  }
}

/**
 * An `arguments` hook that adds the signature: `defineApi(d, { arguments:
 * signer({ secret }) })`, or inside your own hook, `sign({ ...args, api_key })`.
 */
export function signer(options: SigningOptions): <A extends Arguments>(args: A) => A & Record<string, string> {
  const o = resolveSigning(options);
  return (args) => ({ ...args, [o.param]: digestOf(signingText(args, o), o) });
}
