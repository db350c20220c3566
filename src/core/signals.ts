/**
 * Lifecycle messages. They travel on `signal` -> `control` links, exactly as
 * Axon's `producerFinished` and `shutdownMicroprocess` did: a producer that has
 * nothing more to send says so downstream, and a request to stop arrives on
 * `control`.
 */

/** The sender has finished producing; the receiver may finish once it has flushed. */
export interface ProducerFinished {
  readonly type: 'producerFinished';
}

/**
 * Stop. `graceful` asks the receiver to finish the work it has started (answer
 * the requests it has read, say) and then stop; without it, stop now and
 * release everything.
 */
export interface Shutdown {
  readonly type: 'shutdown';
  readonly graceful?: boolean;
}

/** The sender failed with an unexpected exception and has stopped. */
export interface Failed {
  readonly type: 'failed';
  readonly error: unknown;
  /** The name of the component that threw. */
  readonly component: string;
}

export type Lifecycle = ProducerFinished | Shutdown | Failed;

export const producerFinished: ProducerFinished = Object.freeze({ type: 'producerFinished' });
export const shutdown: Shutdown = Object.freeze({ type: 'shutdown' });
export const gracefulShutdown: Shutdown = Object.freeze({ type: 'shutdown', graceful: true });
export const failed = (component: string, error: unknown): Failed => ({ type: 'failed', error, component });

/** How a component ended; `done` resolves with one of these and never rejects. */
export type Ended =
  | { readonly reason: 'finished' }
  | { readonly reason: 'shutdown' }
  | { readonly reason: 'failed'; readonly error: unknown };

export function isLifecycle(message: unknown): message is Lifecycle {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === 'producerFinished' || type === 'shutdown' || type === 'failed';
}

/**
 * Whether a control message means "no more input is coming, finish what you
 * have": the producer upstream finished, or a graceful shutdown was asked for.
 */
export function endsInput(message: Lifecycle): boolean {
  return message.type === 'producerFinished' || (message.type === 'shutdown' && message.graceful === true);
}
