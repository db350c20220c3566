/**
 * Rate limiting by token bucket, the arithmetic and the table of clients.
 * Each client has a bucket holding up to `burst` tokens, refilled at `rate`
 * tokens a second; a request takes one, and a request that finds less than
 * one is refused, told how long until there is one (Retry-After, RFC 9110
 * §10.2.3; 429, RFC 6585 §4). The stage is components/rate-limit.ts.
 *
 * Memory is bounded: the table holds at most `clients` buckets. When it is
 * full, buckets that have refilled to the brim are dropped first (a full
 * bucket is the same as none, so that loses nothing); if that frees too
 * little, the oldest buckets go, which gives those clients a full bucket
 * again: size the table above the number of clients active at once.
 *
 * Clients are told apart by address; an IPv6 client by its /64 (one
 * household or host usually holds a whole /64, and would otherwise have
 * 2^64 buckets to spend), an IPv4 address seen through an IPv6 socket as
 * the IPv4 address.
 */

export interface RateSpec {
  /** Tokens added per second. */
  readonly rate: number;
  /** Most tokens a bucket holds: the requests a client may make at once after a pause. */
  readonly burst: number;
  /** Most clients remembered at once. */
  readonly clients: number;
}

export const defaultClients = 100_000;

const units: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };

/**
 * Reads "100/s", "600/m,burst=50", "5000/h,burst=100,clients=50000": a
 * number of requests per second, minute or hour; the burst defaults to the
 * number given (so "100/s" allows 100 at once, then 100 a second).
 */
export function parseRateSpec(text: string): RateSpec {
  const [head, ...options] = text.split(',').map((s) => s.trim());
  const m = /^(\d+(?:\.\d+)?)\/([smh])$/.exec(head ?? '');
  if (!m || !(Number(m[1]) > 0))
    throw new TypeError(`"${text}" is not a rate such as 100/s, 600/m or 5000/h (with ,burst=N and ,clients=N)`);
  const count = Number(m[1]);
  let burst = Math.max(1, Math.ceil(count));
  let clients = defaultClients;
  for (const option of options) {
    const o = /^(burst|clients)=(\d+)$/.exec(option);
    if (!o || Number(o[2]) < 1) throw new TypeError(`"${option}" in "${text}": the options are burst=N and clients=N, N from 1`);
    if (o[1] === 'burst') burst = Number(o[2]);
    else clients = Number(o[2]);
  }
  return { rate: count / units[m[2]!]!, burst, clients };
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last worked out (ms, performance.now()). */
  at: number;
}

/** The buckets of every client, bounded. */
export class ClientBuckets {
  private readonly buckets = new Map<string, Bucket>();
  /** Tokens per millisecond. */
  private readonly perMs: number;
  /** Milliseconds an empty bucket takes to fill. */
  private readonly fillTime: number;

  constructor(readonly spec: RateSpec) {
    this.perMs = spec.rate / 1000;
    this.fillTime = spec.burst / this.perMs;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes a token for `client` at `now` (ms): 0 when there was one, else the milliseconds until there is one. */
  take(client: string, now: number): number {
    const bucket = this.buckets.get(client);
    if (bucket === undefined) {
      if (this.buckets.size >= this.spec.clients) this.makeRoom(now);
      this.buckets.set(client, { tokens: this.spec.burst - 1, at: now });
      return 0;
    }
    const tokens = Math.min(this.spec.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (tokens >= 1) {
      bucket.tokens = tokens - 1;
      return 0;
    }
    bucket.tokens = tokens;
    return (1 - tokens) / this.perMs;
  }

  /** Drops the buckets that are full again; then, if that left the table nine tenths full or more, the oldest. */
  private makeRoom(now: number): void {
    const { burst, clients } = this.spec;
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= burst || now - bucket.at >= this.fillTime) this.buckets.delete(client);
    }
    const target = Math.floor(clients * 0.9);
    if (this.buckets.size <= target) return;
    for (const client of this.buckets.keys()) {
      this.buckets.delete(client);
      if (this.buckets.size <= target) break;
    }
  }
}

/** Whole seconds to wait, as Retry-After says it: at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/**
 * What tells one client from another: the address, an IPv4 one seen through
 * an IPv6 socket ("::ffff:192.0.2.1") as IPv4, an IPv6 one cut to its first
 * `v6Prefix` bits.
 */
export function clientKey(address: string, v6Prefix = 64): string {
  if (!address.includes(':')) return address;
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  const groups = ipv6Groups(address);
  if (groups === undefined) return address;
  if (v6Prefix >= 128) return groups.map((g) => g.toString(16)).join(':');
  const kept: number[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, v6Prefix - i * 16));
    kept.push(bits === 0 ? 0 : groups[i]! & (0xffff << (16 - bits)) & 0xffff);
  }
  return `${kept.map((g) => g.toString(16)).join(':')}/${v6Prefix}`;
}

/** The eight 16-bit groups of an IPv6 address (a zone id dropped, an embedded IPv4 tail read); undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An IPv4 tail ("::ffff:192.0.2.1", "64:ff9b::192.0.2.1") as the two groups it stands for.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    text = `${text.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  return [...head, ...Array(8 - given).fill(0), ...rest];
}
