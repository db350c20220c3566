/**
 * The component: Axon's microprocess with boxes, on RxJS.
 *
 * A component declares its inboxes and outboxes up front (`boxes({...})`),
 * reads its inboxes through `on()`, writes its outboxes through `send()`, and
 * sees nothing else of any other component. Each component runs its handlers
 * to completion: a message that arrives while one of its handlers is running
 * (because the handler's own sends came back round to it) waits in a queue
 * and is handled right after, so handlers never re-enter.
 *
 * Lifecycle: `start()` runs `main()` once; `done` resolves when the component
 * has stopped. A component stops when it finishes (`finish()`, after which it
 * sends `producerFinished` on `signal`), when `shutdown` arrives on `control`
 * (which it passes on), or when one of its handlers throws: the exception is
 * caught here, at the one boundary, reported as `failed` on `signal`, and the
 * component stops. Stopping releases everything the component `own`s and
 * undoes every link of its boxes.
 */
import { type Observable, type Unsubscribable } from 'rxjs';
import { Box, box, type BoxOwner, type BoxSpec, type MessageOf } from './box.js';
import {
  failed,
  producerFinished,
  type Ended,
  type Lifecycle,
  type Shutdown,
} from './signals.js';
import { stats } from './stats.js';

export type BoxSpecs = Record<string, BoxSpec<any>>;

/** The boxes of a component: every component has `control` in and `signal` out. */
export interface ComponentSpec<I extends BoxSpecs = BoxSpecs, O extends BoxSpecs = BoxSpecs> {
  readonly inboxes: I & { readonly control: BoxSpec<any> };
  readonly outboxes: O & { readonly signal: BoxSpec<any> };
}

type WithDefault<S extends BoxSpecs, K extends string, T> = S &
  (K extends keyof S ? unknown : { readonly [P in K]: BoxSpec<T> });

export const controlBox = box<Lifecycle>('lifecycle requests: shutdown, or the producer upstream finished or failed');
export const signalBox = box<Lifecycle>('lifecycle news: this component finished, shut down or failed');

/**
 * Declares a component's boxes. `control` and `signal` are added when not
 * given; declare them yourself to widen their message type.
 */
export function boxes<I extends BoxSpecs, O extends BoxSpecs>(spec: {
  inboxes: I;
  outboxes: O;
}): ComponentSpec<WithDefault<I, 'control', Lifecycle>, WithDefault<O, 'signal', Lifecycle>> {
  return {
    inboxes: { control: controlBox, ...spec.inboxes },
    outboxes: { signal: signalBox, ...spec.outboxes },
  } as never;
}

/** The default boxes: `inbox` and `control` in, `outbox` and `signal` out. */
export const defaultBoxes = boxes({
  inboxes: { inbox: box<unknown>('messages to work on') },
  outboxes: { outbox: box<unknown>('results') },
});
export type DefaultSpec = typeof defaultBoxes;

export type Inboxes<S extends ComponentSpec> = {
  readonly [K in keyof S['inboxes']]: Box<MessageOf<S['inboxes'][K]>>;
};
export type Outboxes<S extends ComponentSpec> = {
  readonly [K in keyof S['outboxes']]: Box<MessageOf<S['outboxes'][K]>>;
};
export type InMessage<S extends ComponentSpec, K extends keyof S['inboxes']> = MessageOf<S['inboxes'][K]>;
export type OutMessage<S extends ComponentSpec, K extends keyof S['outboxes']> = MessageOf<S['outboxes'][K]>;

/** Something a component holds and must give back when it stops. */
export type Resource = Unsubscribable | (() => void);

export type ComponentState = 'created' | 'running' | 'stopped';

/** A handle on a timer owned by a component. */
export interface OwnedTimer {
  /** Starts the timer's period again from now. */
  refresh(): void;
  cancel(): void;
}

let serial = 0;

export abstract class Component<S extends ComponentSpec = DefaultSpec> implements BoxOwner {
  readonly name: string;
  readonly inboxes: Inboxes<S>;
  readonly outboxes: Outboxes<S>;
  readonly done: Promise<Ended>;
  state: ComponentState = 'created';

  private resolveDone!: (ended: Ended) => void;
  private readonly resources = new Set<Resource>();
  private busy = false;
  /** state === 'running', as a field the hot path can test cheaply. */
  private live = false;
  /** Messages that arrived while a handler ran: handler, message, handler, message, ... */
  private pending: unknown[] = [];

  constructor(readonly spec: S, name?: string) {
    this.name = name ?? `${this.constructor.name}#${++serial}`;
    // Inboxes hold what arrives before start() and hand it over once main() has run.
    this.inboxes = makeBoxes(this, spec.inboxes, 'in') as Inboxes<S>;
    this.outboxes = makeBoxes(this, spec.outboxes, 'out') as Outboxes<S>;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Runs `main()` once. Starting twice, or after stopping, does nothing. */
  start(): this {
    if (this.state !== 'created') return this;
    this.state = 'running';
    this.live = true;
    stats.components++;
    this.on('control', (message) => this.onControl(message as Lifecycle));
    this.guard(() => this.main());
    for (const inbox of Object.values(this.inboxes) as Box<unknown>[]) inbox.release();
    return this;
  }

  /** Asks the component to stop, as a `shutdown` message on its `control` inbox. */
  shutdown(message: Shutdown = { type: 'shutdown' }): Promise<Ended> {
    if (this.state === 'created') this.stop({ reason: 'shutdown' }, message);
    else (this.inboxes as unknown as Record<string, Box<unknown>>).control!.send(message);
    return this.done;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Sets up the component: attaches handlers with `on()`, starts its work. */
  protected abstract main(): void;

  /**
   * Handles lifecycle messages. By default: `producerFinished` from upstream
   * finishes this component too; `shutdown` stops it and is passed on; an
   * upstream failure stops it and is passed on so the end of the chain hears
   * of it. Override to finish gracefully, and call `super` for the rest.
   */
  protected onControl(message: Lifecycle): void {
    switch (message.type) {
      case 'producerFinished':
        this.finish();
        return;
      case 'shutdown':
        this.stop({ reason: 'shutdown' }, message);
        return;
      case 'failed':
        this.stop({ reason: 'shutdown' }, message);
        return;
      default:
        assertNever(message);
    }
  }

  /** Sends a message on one of this component's outboxes. */
  protected send<K extends keyof S['outboxes'] & string>(outbox: K, message: OutMessage<S, K>): void {
    (this.outboxes[outbox] as Box<unknown>).send(message);
  }

  /** Handles the messages of one of this component's inboxes. */
  protected on<K extends keyof S['inboxes'] & string>(
    inbox: K,
    handler: (message: InMessage<S, K>) => void,
  ): void {
    (this.inboxes[inbox] as Box<unknown>).attach((message) =>
      this.dispatch(handler as (message: unknown) => void, message),
    );
  }

  /** Subscribes to any observable for the life of the component; an error in it fails the component. */
  protected subscribe<T>(source: Observable<T>, next: (value: T) => void): void {
    const subscription = source.subscribe({
      next: (value) => this.dispatch(next as (value: unknown) => void, value),
      error: (error: unknown) => this.fail(error),
    });
    this.own(subscription);
  }

  /**
   * Listens to a Node event emitter (a socket, a child process, a worker) for
   * the life of the component, at the component's boundary.
   */
  protected listen<A extends unknown[]>(
    emitter: NodeJS.EventEmitter,
    event: string,
    handler: (...args: A) => void,
  ): void {
    const listener = (...args: unknown[]): void =>
      this.dispatch(() => handler.apply(this, args as A), undefined);
    emitter.on(event, listener);
    this.own(() => emitter.off(event, listener));
  }

  /** Runs an asynchronous task; a rejection fails the component. */
  protected task(work: () => Promise<unknown>): void {
    let promise: Promise<unknown>;
    try {
      promise = work();
    } catch (error) {
      this.fail(error);
      return;
    }
    promise.then(undefined, (error: unknown) => this.fail(error));
  }

  /** Takes ownership of a resource: it is released when the component stops. */
  protected own<R extends Resource>(resource: R): R {
    if (this.state === 'stopped') {
      release(resource);
      return resource;
    }
    this.resources.add(resource);
    stats.resources++;
    return resource;
  }

  /** Releases an owned resource early. */
  protected disown(resource: Resource, releaseIt = true): void {
    if (!this.resources.delete(resource)) return;
    stats.resources--;
    if (releaseIt) release(resource);
  }

  /** A timer owned by this component; it never outlives it and never keeps the process alive. */
  protected timer(ms: number, fire: () => void): OwnedTimer {
    const handle = setTimeout(() => {
      this.disown(cancel, false);
      this.dispatch(fire as (m: unknown) => void, undefined);
    }, ms);
    handle.unref();
    const cancel = (): void => clearTimeout(handle);
    this.own(cancel);
    return {
      refresh: () => {
        if (!this.resources.has(cancel) && this.state === 'running') this.own(cancel);
        handle.refresh();
      },
      cancel: () => this.disown(cancel),
    };
  }

  /**
   * Runs a child component for as long as this one runs: starts it, and when
   * this component stops, shuts the child down. `onEnded` is called (at this
   * component's boundary) when the child stops first. Links to the child are
   * undone when either side stops, because closing a box undoes its links.
   */
  protected adopt<C extends Component<any>>(child: C, onEnded?: (ended: Ended) => void): C {
    const stopChild = (): void => {
      if (child.state !== 'stopped') void child.shutdown();
    };
    this.own(stopChild);
    void child.done.then((ended) => {
      this.disown(stopChild, false);
      if (onEnded) this.dispatch(onEnded as (m: unknown) => void, ended);
    });
    child.start();
    return child;
  }

  /** Has nothing more to send: says `producerFinished` on `signal` and stops. */
  protected finish(): void {
    this.stop({ reason: 'finished' }, producerFinished);
  }

  /** Stops because of an unexpected error, reported as `failed` on `signal`. */
  protected fail(error: unknown): void {
    this.stop({ reason: 'failed', error }, failed(this.name, error));
  }

  /**
   * Stops: releases resources (last owned, first released), resolves `done`,
   * sends the last word on `signal` and closes every box, which undoes their links.
   */
  protected stop(ended: Ended, lastWord?: Lifecycle): void {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.live = false;
    this.pending = [];
    const resources = [...this.resources].reverse();
    this.resources.clear();
    stats.resources -= resources.length;
    for (const resource of resources) {
      try {
        release(resource);
      } catch {
        // A resource that fails to release has still been given up.
      }
    }
    if (wasRunning) stats.components--;
    this.resolveDone(ended);
    for (const b of Object.values(this.inboxes) as Box<unknown>[]) b.close();
    if (lastWord) (this.outboxes as unknown as Record<string, Box<unknown>>).signal!.send(lastWord);
    for (const b of Object.values(this.outboxes) as Box<unknown>[]) b.close();
  }

  /** Runs a handler at the component's boundary: to completion, with its exceptions caught. */
  private dispatch(handler: (message: unknown) => void, message: unknown): void {
    if (!this.live) return;
    if (this.busy) {
      this.pending.push(handler, message);
      return;
    }
    this.busy = true;
    try {
      handler.call(this, message);
      if (this.pending.length !== 0) this.drainPending();
    } catch (error) {
      this.pending = [];
      this.fail(error);
    } finally {
      this.busy = false;
    }
  }

  /** Handles the messages that arrived while a handler ran, in arrival order. */
  private drainPending(): void {
    const pending = this.pending;
    for (let i = 0; i < pending.length && this.live; i += 2) {
      (pending[i] as (message: unknown) => void).call(this, pending[i + 1]);
    }
    pending.length = 0;
  }

  private guard(work: () => void): void {
    this.dispatch(work as (m: unknown) => void, undefined);
  }

  toString(): string {
    return this.name;
  }
}

function makeBoxes(owner: BoxOwner, specs: BoxSpecs, direction: 'in' | 'out'): Record<string, Box<unknown>> {
  const made: Record<string, Box<unknown>> = {};
  for (const name of Object.keys(specs)) {
    const b = new Box(owner, name, direction, specs[name]!.description);
    if (direction === 'in') b.hold();
    made[name] = b;
  }
  return made;
}

function release(resource: Resource): void {
  if (typeof resource === 'function') resource();
  else resource.unsubscribe();
}

export function assertNever(value: never): never {
  throw new TypeError(`unexpected message: ${JSON.stringify(value)}`);
}
