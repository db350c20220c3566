/**
 * An expected failure with a status: thrown by request-body readers (408 on a
 * body timeout, 400 on a malformed chunk, 413 past the size limit) and by
 * handlers that want a particular error status. The router turns it into a
 * response; any other exception becomes a 500.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message?: string,
    /** Whether the connection can no longer be trusted for another request. */
    readonly close = false,
  ) {
    super(message ?? `HTTP ${status}`);
    this.name = 'HttpError';
  }
}

export function isHttpError(error: unknown): error is HttpError {
  return error instanceof HttpError;
}
