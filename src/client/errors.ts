/**
 * The one error type of the API client. Every failure names the call
 * (`GET artistsCalendar`), the URL it went to (without its query or
 * credentials: a query often carries keys and signatures, and error messages
 * end up in logs), and why, with `kind` to tell the reasons apart in code.
 * An API's own `check` hook raises it too, or a subclass of it.
 */
import type { MethodName, ParamSpec } from './description.js';

/** Why a call failed. */
export type ApiErrorKind =
  /** The arguments do not fit the description; nothing was sent. */
  | 'arguments'
  /** One of the API's url, arguments or headers hooks threw; nothing was sent. */
  | 'hook'
  /** No response: the connection failed (refused, reset, DNS, TLS). */
  | 'network'
  /** No whole response within the time limit. */
  | 'timeout'
  /** The caller aborted the call (its `signal`, or the component shut down). */
  | 'aborted'
  /** The response body was larger than `maxResponseBytes`. */
  | 'too-large'
  /** The server answered with a status outside 200-299 and no `check` hook claimed it. */
  | 'status'
  /** The response body could not be decoded (not JSON, say). */
  | 'decode'
  /** The API said the call failed, in a response the `check` hook inspected. */
  | 'api';

/** One call, as the hooks see it. */
export interface ApiCall {
  /** The namespace as described: `'artists/{artist_id}/calendar'`. */
  readonly namespace: string;
  /** The client's name for it: `'artistsCalendar'`. */
  readonly name: string;
  readonly method: MethodName;
  /** The parameters the description lists for this method. */
  readonly params: readonly ParamSpec[];
  /** The base URL, ending in `/`. */
  readonly base: string;
  /** The namespace with its variables filled and encoded, relative to `base`: `'artists/258948/calendar'`. */
  readonly path: string;
}

export interface ApiErrorDetails {
  /** The URL the call went to (shown without query or credentials). */
  readonly url?: string | URL;
  readonly status?: number;
  /** The decoded response body, or its text when it could not be decoded. */
  readonly data?: unknown;
  /** The API's own error code, for `check` hooks. */
  readonly code?: string | number;
  readonly cause?: unknown;
}

export class ApiError extends Error {
  /** `GET artistsCalendar` */
  readonly label: string;
  /** Why, without the call's label. */
  readonly reason: string;
  /** The URL without query or credentials, when the call got that far. */
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly data: unknown;
  readonly code: string | number | undefined;

  constructor(
    readonly kind: ApiErrorKind,
    readonly call: Pick<ApiCall, 'name' | 'method' | 'namespace'>,
    reason: string,
    details: ApiErrorDetails = {},
  ) {
    const label = `${call.method.toUpperCase()} ${call.name}`;
    const url = details.url === undefined ? undefined : redactUrl(details.url);
    super(`${label}${url ? ` (${url})` : ''}: ${reason}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ApiError';
    this.label = label;
    this.reason = reason;
    this.url = url;
    this.status = details.status;
    this.data = details.data;
    this.code = details.code;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** A URL fit for messages and logs: no credentials, no query, no fragment. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(invalid URL)';
  }
  return `${parsed.origin}${parsed.pathname}`;
}
