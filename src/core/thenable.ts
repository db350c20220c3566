/** Whether a value a function returned is a promise (or any thenable) to wait for, rather than the answer itself. */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
