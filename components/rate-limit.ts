/**
 * Rate limiting as a request stage: a token bucket per client (see
 * src/http/token-bucket.ts for the arithmetic and the bounded table), a
 * request that finds its client's bucket empty answered 429 with
 * Retry-After, and a line on the errors log.
 *
 * The client is `request.connection.remoteAddress`: behind a proxy, put
 * this stage after the one that resolves the real client from the proxy's
 * fields, which rewrites `request.connection`. The table is shared by every
 * connection of the server; its time is each request's `received`, so the
 * stage reads no clock of its own.
 *
 *   createServer({ before: [rateLimit('100/s,burst=200')] })
 */
import { errorResponse, type HttpRequest } from '../src/http/messages.js';
import { ClientBuckets, clientKey, retryAfterSeconds } from '../src/http/token-bucket.js';
import { requestStage, type StageDecision, type StageMaker } from './request-stage.js';
import { resolveRateLimitOptions, type RateLimitOptions, type ResolvedRateLimit } from './rate-limit-options.js';

/** Rate limiting as a request stage factory: "100/s,burst=200" or the options object; bad ones are a TypeError now. */
export function rateLimit(options: RateLimitOptions | string): StageMaker {
  return rateLimitStage(resolveRateLimitOptions(options, 'rateLimit'));
}

/** The same, from options already resolved (the server's `rateLimit`); `buckets` to share or inspect the table. */
export function rateLimitStage(options: ResolvedRateLimit, buckets = new ClientBuckets(options.spec)): StageMaker {
  const v6Prefix = options.ipv6Prefix;
  const decide = (request: HttpRequest): StageDecision => {
    const client = clientKey(request.connection.remoteAddress, v6Prefix);
    const wait = buckets.take(client, request.received);
    if (wait === 0) return undefined;
    const seconds = retryAfterSeconds(wait);
    return errorResponse(request, 429, {
      headers: { 'Retry-After': String(seconds) },
      error: `rate limit: ${client} must wait ${seconds} s`,
    });
  };
  return () => requestStage(decide, 'rateLimit');
}
