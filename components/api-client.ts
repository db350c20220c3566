/**
 * The API client as a component: call messages in on `inbox`, their outcomes
 * out on `outbox`, so a client made by `defineApi` composes into pipelines
 * and graphs like any other stage.
 *
 * A call message names the call as the client does (`{ type: 'call', name:
 * 'artistsCalendar', method: 'get', args: { artist_id: '258948' } }`) and may
 * carry a `tag` of yours, handed back untouched. Its outcome is a `result`
 * with the decoded data, or a `failure` with the error (an `ApiError`, or the
 * API's own error from its `check` hook): failures are messages, not
 * exceptions, so one bad call never stops the stream. Up to `concurrency`
 * calls run at once; outcomes leave in the order the calls arrived.
 *
 * `producerFinished` finishes the component once every call received has its
 * outcome sent; `shutdown` aborts the calls in flight and stops at once.
 */
import { box, type BoxSpec } from '../src/core/box.js';
import { Component, type ComponentSpec } from '../src/core/component.js';
import { logRecord, type LogRecord } from '../src/core/log.js';
import type { Lifecycle } from '../src/core/signals.js';
import type { ArgumentsOf, CallOptions, ResultOf } from '../src/client/client-types.js';
import { checkTimeout } from '../src/client/define-api.js';
import { isRecord } from '../src/client/description.js';
import { ApiError } from '../src/client/errors.js';

type AnyCall = (...args: never[]) => Promise<unknown>;

/** The calls of a client, as messages: one member per name and method. */
export type CallMessage<C> = {
  [N in keyof C & string]: {
    [M in keyof C[N] & string]: C[N][M] extends AnyCall
      ? { readonly type: 'call'; readonly name: N; readonly method: M; readonly tag?: unknown } & ({} extends ArgumentsOf<C[N][M]>
          ? { readonly args?: ArgumentsOf<C[N][M]> }
          : { readonly args: ArgumentsOf<C[N][M]> })
      : never;
  }[keyof C[N] & string];
}[keyof C & string];

/** What a call's outcome says back: the call it answers, and the result. */
export type ResultMessage<C> = {
  [N in keyof C & string]: {
    [M in keyof C[N] & string]: C[N][M] extends AnyCall
      ? { readonly type: 'result'; readonly call: Extract<CallMessage<C>, { name: N; method: M }>; readonly data: ResultOf<C[N][M]> }
      : never;
  }[keyof C[N] & string];
}[keyof C & string];

/** A call that failed: usually an `ApiError`; whatever the API's `check` hook threw otherwise. */
export interface FailureMessage<C> {
  readonly type: 'failure';
  readonly call: CallMessage<C>;
  readonly error: unknown;
}

export type OutcomeMessage<C> = ResultMessage<C> | FailureMessage<C>;

export type ApiClientSpec<C> = ComponentSpec<
  { readonly inbox: BoxSpec<CallMessage<C>>; readonly control: BoxSpec<Lifecycle> },
  { readonly outbox: BoxSpec<OutcomeMessage<C>>; readonly log: BoxSpec<LogRecord>; readonly signal: BoxSpec<Lifecycle> }
>;

function apiClientBoxes<C>(): ApiClientSpec<C> {
  return {
    inboxes: {
      inbox: box<CallMessage<C>>('calls to make: { type: "call", name, method, args, tag }'),
      control: box<Lifecycle>(
        'lifecycle requests: producerFinished finishes once every outcome is out; shutdown aborts the calls in flight',
      ),
    },
    outboxes: {
      outbox: box<OutcomeMessage<C>>("each call's outcome, a result or a failure, in the order the calls came"),
      log: box<LogRecord>('a line on the errors channel for each failed call'),
      signal: box<Lifecycle>('lifecycle news'),
    },
  };
}

export interface ApiClientOptions {
  /** Calls running at once; default 4. */
  readonly concurrency?: number;
  /** Milliseconds per call, instead of the API's own timeout. */
  readonly timeout?: number;
  readonly name?: string;
}

interface Slot<C> {
  readonly message: CallMessage<C>;
  outcome?: OutcomeMessage<C>;
}

export class ApiClientComponent<C extends object> extends Component<ApiClientSpec<C>> {
  private readonly concurrency: number;
  /** Every call received and not yet answered, in arrival order. */
  private readonly slots: Slot<C>[] = [];
  /** Calls not yet started. */
  private readonly waiting: Slot<C>[] = [];
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly client: C,
    private readonly options: ApiClientOptions = {},
  ) {
    super(apiClientBoxes<C>(), options.name);
    const concurrency = options.concurrency ?? 4;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1)
      throw new TypeError(`ApiClientComponent: concurrency must be a whole number above 0, got ${String(options.concurrency)}`);
    this.concurrency = concurrency;
    if (options.timeout !== undefined) checkTimeout(options.timeout, 'ApiClientComponent: timeout');
    this.finishOnceIdle(() => this.slots.length > 0);
  }

  protected main(): void {
    // Stopping, however it happens, aborts what is in flight.
    this.own(() => {
      for (const controller of this.inFlight) controller.abort();
      this.inFlight.clear();
    });
    this.on('inbox', (message) => {
      const slot: Slot<C> = { message };
      this.slots.push(slot);
      this.waiting.push(slot);
      this.startCalls();
    });
  }

  private startCalls(): void {
    while (this.inFlight.size < this.concurrency && this.waiting.length > 0) this.call(this.waiting.shift()!);
  }

  private call(slot: Slot<C>): void {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const settle = (outcome: OutcomeMessage<C>): void => {
      this.inFlight.delete(controller);
      slot.outcome = outcome;
      this.flush();
    };
    let promise: Promise<unknown>;
    try {
      const fn = this.lookup(slot.message);
      const options: CallOptions =
        this.options.timeout === undefined ? { signal: controller.signal } : { signal: controller.signal, timeout: this.options.timeout };
      promise = fn(slot.message.args, options);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (data) => this.run(() => settle({ type: 'result', call: slot.message, data } as ResultMessage<C>)),
      (error: unknown) => this.run(() => settle({ type: 'failure', call: slot.message, error })),
    );
  }

  /** The client's function for a call message; an ApiError when it names no call. */
  private lookup(message: CallMessage<C>): (args: unknown, options: CallOptions) => Promise<unknown> {
    const m = message as unknown;
    if (!isRecord(m) || m.type !== 'call' || typeof m.name !== 'string' || typeof m.method !== 'string') {
      throw new ApiError('arguments', { name: '?', method: 'get', namespace: '?' }, `not a call message: ${describe(m)}`);
    }
    const namespace = (this.client as Record<string, unknown>)[m.name];
    const call =
      isRecord(namespace) && Object.hasOwn(this.client, m.name) && Object.hasOwn(namespace, m.method) ? namespace[m.method] : undefined;
    if (typeof call !== 'function') {
      throw new ApiError('arguments', { name: m.name, method: m.method as 'get', namespace: '?' }, 'the API has no such call');
    }
    return call as (args: unknown, options: CallOptions) => Promise<unknown>;
  }

  /** Sends the outcomes that are next in arrival order, then starts more calls, or finishes. */
  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.outcome) {
      const outcome = this.slots.shift()!.outcome!;
      if (outcome.type === 'failure') {
        const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
        this.send('log', logRecord('errors', 'warn', `api call failed: ${message}`, { error: outcome.error }));
      }
      this.send('outbox', outcome);
    }
    this.startCalls();
    this.finishIfIdle();
  }
}

function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? typeof value : text.length > 80 ? `${text.slice(0, 80)}...` : text;
  } catch {
    return typeof value;
  }
}

/** The component form of a client: `new Pipeline(..., apiClient(api), ...)`. */
export const apiClient = <C extends object>(client: C, options?: ApiClientOptions): ApiClientComponent<C> =>
  new ApiClientComponent(client, options);
