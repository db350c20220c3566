/**
 * The client's one effectful edge: one HTTP exchange over `fetch` (Node's
 * own, unless the API's hooks inject another), under a time limit that covers
 * the whole exchange, body included, and a size limit on the body, which is
 * read as it arrives and given up on (the stream cancelled, the connection
 * freed) as soon as it passes the limit. Failures come back as `ApiError`s
 * that say which call failed and why; the timer and the caller's abort
 * listener are released on every path.
 */
import { ApiError, type ApiCall } from './errors.js';

/** A response, read whole (within `maxResponseBytes`), as `decode` and `check` hooks see it. */
export interface ApiResponse {
  readonly status: number;
  readonly statusText: string;
  /** Whether the status is 200-299. */
  readonly ok: boolean;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** The URL that answered, after redirects. */
  readonly url: string;
  /** The body as UTF-8 text. */
  text(): string;
}

export interface Exchange {
  readonly url: URL;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | URLSearchParams | undefined;
}

export interface ExchangeLimits {
  /** Milliseconds for the whole exchange. */
  readonly timeout: number;
  readonly maxResponseBytes: number;
  readonly redirect: 'follow' | 'error' | 'manual';
  /** The caller's signal: aborting it aborts the exchange. */
  readonly signal?: AbortSignal | undefined;
}

export type Fetch = (input: URL, init: RequestInit) => Promise<Response>;

export async function exchange(fetch: Fetch, call: ApiCall, request: Exchange, limits: ExchangeLimits): Promise<ApiResponse> {
  const url = request.url;
  const fail = (kind: 'timeout' | 'aborted' | 'network' | 'too-large', reason: string, cause?: unknown): ApiError =>
    new ApiError(kind, call, reason, { url, cause });
  const callerSignal = limits.signal;
  if (callerSignal?.aborted) throw fail('aborted', 'aborted before it was sent', callerSignal.reason);
  const controller = new AbortController();
  let ended: 'timeout' | 'aborted' | undefined;
  const timer = setTimeout(() => {
    ended = 'timeout';
    controller.abort();
  }, limits.timeout);
  const onAbort = (): void => {
    ended ??= 'aborted';
    controller.abort();
  };
  callerSignal?.addEventListener('abort', onAbort, { once: true });
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
        redirect: limits.redirect,
      });
    } catch (error) {
      throw ended ? error : fail('network', `no response: ${networkReason(error)}`, error);
    }
    const body = await readBody(response, limits.maxResponseBytes, fail);
    return {
      status: response.status,
      statusText: response.statusText,
      ok: response.ok,
      headers: response.headers,
      body,
      url: response.url || url.href,
      text: () => Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
    };
  } catch (error) {
    if (ended === 'timeout') throw fail('timeout', `no complete response within ${limits.timeout} ms`, error);
    if (ended === 'aborted') throw fail('aborted', 'aborted by the caller', callerSignal?.reason);
    throw error;
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Reads a response body whole, refusing one larger than `limit` bytes: from
 * its Content-Length before reading, or as soon as the bytes pass the limit.
 * The body is cancelled when it is given up on, so the connection is freed.
 */
async function readBody(
  response: Response,
  limit: number,
  fail: (kind: 'network' | 'too-large', reason: string, cause?: unknown) => ApiError,
): Promise<Uint8Array> {
  const stream = response.body;
  if (!stream) return new Uint8Array(0);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await stream.cancel().catch(() => {});
    throw fail('too-large', `the response is larger than ${limit} bytes (Content-Length: ${declared})`);
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        throw fail('network', `the response body was cut short: ${networkReason(error)}`, error);
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limit) throw fail('too-large', `the response is larger than ${limit} bytes`);
      chunks.push(next.value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** What went wrong on the way, from fetch's error and its cause (`connect ECONNREFUSED 127.0.0.1:9`, `other side closed`). */
export function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}
