/**
 * Options of rate limiting (`rateLimit(options)`, the server's `rateLimit`,
 * `--rate-limit 100/s,burst=200`): "RATE/UNIT[,burst=N][,clients=N]" or an
 * object, resolved once, when the stage is made.
 */
import { badOption } from '../src/http/option-checks.js';
import { defaultClients, parseRateSpec, type RateSpec } from '../src/http/token-bucket.js';

export interface RateLimitOptions {
  /** Requests a second each client may make, on average. */
  readonly rate: number;
  /** Requests a client may make at once after a pause (the bucket's size). Default: `rate`, at least 1. */
  readonly burst?: number;
  /** Clients remembered at most (memory: roughly 100 bytes each). Default 100000. */
  readonly clients?: number;
  /** IPv6 clients are told apart by this many leading bits of their address. Default 64. */
  readonly ipv6Prefix?: number;
}

export interface ResolvedRateLimit {
  readonly spec: RateSpec;
  readonly ipv6Prefix: number;
}

const keys = new Set(['rate', 'burst', 'clients', 'ipv6Prefix']);

export function resolveRateLimitOptions(given: RateLimitOptions | string, name = 'rateLimit'): ResolvedRateLimit {
  if (typeof given === 'string') {
    try {
      return { spec: parseRateSpec(given), ipv6Prefix: 64 };
    } catch (error) {
      throw new TypeError(`boxwire: option "${name}": ${(error as Error).message}`);
    }
  }
  if (typeof given !== 'object' || given === null) throw badOption(name, 'a rate such as "100/s,burst=200" or an object', given);
  for (const key of Object.keys(given))
    if (!keys.has(key)) throw new TypeError(`boxwire: unknown option "${name}.${key}" (known: ${[...keys].join(', ')})`);
  const { rate } = given;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0)
    throw badOption(`${name}.rate`, 'a positive number of requests a second', rate);
  const burst = given.burst ?? Math.max(1, Math.ceil(rate));
  if (!Number.isInteger(burst) || burst < 1) throw badOption(`${name}.burst`, 'a whole number from 1', burst);
  const clients = given.clients ?? defaultClients;
  if (!Number.isInteger(clients) || clients < 1) throw badOption(`${name}.clients`, 'a whole number from 1', clients);
  const ipv6Prefix = given.ipv6Prefix ?? 64;
  if (!Number.isInteger(ipv6Prefix) || ipv6Prefix < 1 || ipv6Prefix > 128)
    throw badOption(`${name}.ipv6Prefix`, 'a whole number from 1 to 128', ipv6Prefix);
  return { spec: { rate, burst, clients }, ipv6Prefix };
}
