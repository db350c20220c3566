/**
 * Host patterns, for routes (`host`) and virtual hosts: "example.com" takes
 * that host only; "*.example.com" takes every name below it
 * ("a.example.com", "a.b.example.com") but not "example.com" itself. Names
 * compare case-insensitively (RFC 9110 §4.2.3) and a fully qualified name's
 * trailing dot is ignored ("example.com." is "example.com").
 *
 * When several patterns could take a host, the most specific wins, as nginx
 * picks a server_name: an exact name, then the wildcard with the longest
 * suffix (`hostPatternOrder` sorts them so).
 */

const hostName = /^(\*\.)?([a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])$/;

/** The form hosts are compared in: lower case, no trailing dot. */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Whether a pattern is a host name, an IP literal, or "*." and a name. */
export function isHostPattern(pattern: unknown): pattern is string {
  return typeof pattern === 'string' && hostName.test(normalizeHost(pattern));
}

/** Does a host pattern take this host? */
export function hostPatternMatches(pattern: string, host: string): boolean {
  const p = normalizeHost(pattern);
  const h = host.endsWith('.') ? normalizeHost(host) : host.toLowerCase();
  if (p.startsWith('*.')) return h.length > p.length - 1 && h.endsWith(p.slice(1));
  return h === p;
}

/** Sorts patterns most specific first: exact names (in the order given), then wildcards, longest suffix first. */
export function hostPatternOrder<T>(items: readonly T[], patternOf: (item: T) => string): T[] {
  const rank = (pattern: string): number => (pattern.startsWith('*.') ? -pattern.length : -1e6);
  return items
    .map((item, index) => ({ item, index, rank: rank(normalizeHost(patternOf(item))) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((x) => x.item);
}
