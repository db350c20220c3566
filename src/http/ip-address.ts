/**
 * IP addresses as text and as bytes: what the trusted-proxy stage matches
 * against CIDR ranges, what the PROXY protocol's binary header carries, and
 * what forwarding fields name. Parsing is strict (RFC 791 dotted quads of
 * four decimal octets without leading zeros; RFC 4291 §2.2 IPv6 text, an
 * embedded IPv4 tail allowed, no zone index), and an IPv6 address is written
 * back in the canonical form of RFC 5952 §4. Pure: no lookups, no I/O.
 */

export type IpFamily = 'IPv4' | 'IPv6';

export interface IpAddress {
  readonly family: IpFamily;
  /** 4 bytes for IPv4, 16 for IPv6. */
  readonly bytes: Uint8Array;
}

/** A range of addresses (CIDR): `bits` leading bits of `base`. */
export interface IpRange {
  readonly family: IpFamily;
  readonly base: Uint8Array;
  readonly bits: number;
}

/** An IPv4 address in dotted-quad form, or undefined. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Leading zeros are refused: some readers take "010" as octal, others as decimal.
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

/** An IPv6 address in RFC 4291 §2.2 text form (no brackets, no zone), or undefined. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const bytes = new Uint8Array(16);
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap >= 0) {
    if (text.indexOf('::', gap + 1) >= 0) return undefined;
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  // An IPv4 tail ("::ffff:192.0.2.1") stands for the last two groups; it can only be the text's last group.
  let v4: Uint8Array | undefined;
  if (text.slice(text.lastIndexOf(':') + 1).includes('.')) {
    const groups = tailGroups.length > 0 ? tailGroups : headGroups;
    v4 = parseIPv4(groups.pop()!);
    if (!v4) return undefined;
  }
  for (const group of [...headGroups, ...tailGroups]) if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
  const groups = headGroups.length + tailGroups.length + (v4 ? 2 : 0);
  if (gap >= 0 ? groups > 7 : groups !== 8) return undefined;
  const write = (list: readonly string[], at: number): void => {
    list.forEach((group, i) => {
      const n = parseInt(group, 16);
      bytes[at + 2 * i] = n >> 8;
      bytes[at + 2 * i + 1] = n & 0xff;
    });
  };
  write(headGroups, 0);
  const tailBytes = tailGroups.length * 2 + (v4 ? 4 : 0);
  write(tailGroups, 16 - tailBytes);
  if (v4) bytes.set(v4, 12);
  return bytes;
}

/** An address of either family, as text; brackets around IPv6 are not taken here. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const bytes = parseIPv6(text);
    return bytes && { family: 'IPv6', bytes };
  }
  const bytes = parseIPv4(text);
  return bytes && { family: 'IPv4', bytes };
}

/** An IPv4 address as text. */
export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * An IPv6 address as RFC 5952 §4 text: lower-case hex without leading zeros,
 * the longest run of two or more zero groups (the first of equal runs)
 * written "::".
 */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it maps; any other address as it is. */
export function unmapped(address: IpAddress): IpAddress {
  if (address.family !== 'IPv6') return address;
  const b = address.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return address;
  if (b[10] !== 0xff || b[11] !== 0xff) return address;
  return { family: 'IPv4', bytes: b.slice(12) };
}

/**
 * A CIDR range ("10.0.0.0/8", "2001:db8::/32"), or a single address (all its
 * bits); undefined when it is not one. Bits set beyond the prefix length are
 * refused ("10.0.0.1/8"), as they usually mean a typing mistake.
 */
export function parseIpRange(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const max = address.bytes.length * 8;
  let bits = max;
  if (slash >= 0) {
    const prefix = text.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(prefix)) return undefined;
    bits = Number(prefix);
    if (bits > max) return undefined;
  }
  for (let bit = bits; bit < max; bit++) if (address.bytes[bit >> 3]! & (0x80 >> (bit & 7))) return undefined;
  return { family: address.family, base: address.bytes, bits };
}

/** Whether `address` is in `range`. An IPv4-mapped IPv6 address matches IPv4 ranges. */
export function inRange(address: IpAddress, range: IpRange): boolean {
  const a = unmapped(address);
  if (a.family !== range.family) return false;
  const full = range.bits >> 3;
  for (let i = 0; i < full; i++) if (a.bytes[i] !== range.base[i]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a.bytes[full]! & mask) === (range.base[full]! & mask);
}

/** Loopback, the name `--trust-proxy loopback` stands for: 127.0.0.0/8 and ::1. */
export const loopbackRanges: readonly IpRange[] = [parseIpRange('127.0.0.0/8')!, parseIpRange('::1')!];
