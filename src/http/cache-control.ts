/**
 * Cache-Control for files (RFC 9111 §5.2.2): `max-age` from the server's
 * options, and `immutable` (RFC 8246) for names that carry a fingerprint of
 * their content (`app.3f9a1c2e.js`), which never change under that name.
 */

export interface CachePolicy {
  /** Seconds a response stays fresh; 0 makes clients revalidate each time (cheap, with ETag). */
  readonly maxAge: number;
  /** Names matching this are fingerprinted: cached for a year, marked immutable. */
  readonly immutable: RegExp | undefined;
}

export const oneYear = 31_536_000;

export function cacheControlFor(name: string, policy: CachePolicy): string {
  if (policy.immutable?.test(name)) return `public, max-age=${oneYear}, immutable`;
  return `public, max-age=${policy.maxAge}`;
}
