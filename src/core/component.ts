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
import type { Observable, Unsubscribable } from 'rxjs';
import { Box, box, removeAt, type BoxOwner, type BoxSpec, type Dispatcher, type MessageOf } from './box.js';
import { endsInput, failed, producerFinished, shutdown, type Ended, type Lifecycle, type Shutdown } from './signals.js';
import { stats } from './stats.js';
import { kindOf, type ComponentKind } from './census.js';

export type BoxSpecs = Record<string, BoxSpec<any>>;

/** The boxes of a component: every component has `control` in and `signal` out. */
export interface ComponentSpec<I extends BoxSpecs = BoxSpecs, O extends BoxSpecs = BoxSpecs> {
  readonly inboxes: I & { readonly control: BoxSpec<any> };
  readonly outboxes: O & { readonly signal: BoxSpec<any> };
}

type WithDefault<S extends BoxSpecs, K extends string, T> = S & (K extends keyof S ? unknown : { readonly [P in K]: BoxSpec<T> });

/** @internal What a graph's spec says of a box that is one of its children's, passed through (see Graphline). */
export const passedThrough: BoxSpec<any> = Object.freeze({ description: "a child's box, passed through as the graph's own" });

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
  readonly inboxes: Inboxes<S>;
  readonly outboxes: Outboxes<S>;
  /** @internal Everything else the runtime keeps of the component: see `Core`. */
  private readonly core: Core;

  constructor(
    readonly spec: S,
    name?: string,
  ) {
    const kind = kindOf(new.target, spec);
    const core = new Core(this, name, kind);
    this.core = core;
    // Inboxes hold what arrives before start() and hand it over once main() has run.
    const base = kind === undefined ? 0 : kind.base;
    this.inboxes = makeBoxes(this, spec.inboxes, 'in', core.boxList, base) as Inboxes<S>;
    core.inboxCount = core.boxList.length;
    const outBase = kind === undefined ? 0 : base + kind.inboxes.length;
    this.outboxes = makeBoxes(this, spec.outboxes, 'out', core.boxList, outBase) as Outboxes<S>;
  }

  get state(): ComponentState {
    return this.core.state;
  }

  /**
   * @internal Its boxes by position (what graphs link by, as the same graph is
   * built again and again): its inboxes in its spec's order, its outboxes,
   * then (a graph's) the children's boxes it passes through as its own.
   */
  boxAt(index: number): Box<unknown> {
    return this.core.boxList[index]!;
  }

  /** @internal The position of one of its boxes, for `boxAt`; -1 if it has no such box. */
  positionOf(box: Box<unknown>): number {
    return this.core.boxList.indexOf(box);
  }

  /** Makes another component's box one of this component's own: a graph passing a child's box through. */
  protected takeBox(direction: 'in' | 'out', name: string, box: Box<unknown>): void {
    ((direction === 'in' ? this.inboxes : this.outboxes) as Record<string, Box<unknown>>)[name] = box;
    this.core.boxList.push(box);
  }

  /** @internal Its class's figures in the census (census.ts); undefined when it is not counted. */
  get censusKind(): ComponentKind | undefined {
    return this.core.kind;
  }

  get name(): string {
    const core = this.core;
    return (core.name ??= `${this.constructor.name}#${core.serial}`);
  }

  /** Resolves with how the component ended, once it has stopped. Never rejects. */
  get done(): Promise<Ended> {
    const core = this.core;
    if (!core.done) {
      const ended = core.ended;
      core.done = ended ? Promise.resolve(ended) : new Promise((resolve) => this.whenEnded(resolve));
    }
    return core.done;
  }

  /** @internal Calls `watcher` (synchronously) when the component stops: what parents use instead of `done`. */
  whenEnded(watcher: (ended: Ended) => void): void {
    const core = this.core;
    if (core.ended) watcher(core.ended);
    else (core.endWatchers ??= []).push(watcher);
  }

  /** Runs `main()` once. Starting twice, or after stopping, does nothing. */
  start(): this {
    const core = this.core;
    if (core.state !== 'created') return this;
    core.state = 'running';
    core.live = true;
    stats.components++;
    const kind = core.kind;
    if (kind !== undefined) {
      kind.live++;
      kind.started++;
    }
    this.on('control', handleControl as (message: unknown) => void);
    core.dispatchTo(runMain as (message: unknown) => void, undefined);
    const boxes = core.boxList;
    for (let i = 0; i < core.inboxCount; i++) boxes[i]!.release();
    return this;
  }

  /** @internal Its boundary: what an object it hands out (a handler task's reply box) delivers through, so the component's handlers never re-enter. */
  get boundary(): Dispatcher {
    return this.core;
  }

  /** Asks the component to stop, as a `shutdown` message on its `control` inbox. */
  shutdown(message: Shutdown = shutdown): Promise<Ended> {
    this.askToStop(message);
    return this.done;
  }

  /** @internal shutdown() without the promise: what a parent stopping its children uses (a server does it per connection). */
  askToStop(message: Shutdown = shutdown): void {
    const state = this.core.state;
    if (state === 'created') this.stop({ reason: 'shutdown' }, message);
    else if (state === 'running') (this.inboxes as unknown as Record<string, Box<unknown>>).control!.send(message);
  }

  get running(): boolean {
    return this.core.state === 'running';
  }

  /** Sets up the component: attaches handlers with `on()`, starts its work. */
  protected abstract main(): void;

  /**
   * Handles lifecycle messages. By default: `producerFinished` from upstream
   * finishes this component too; `shutdown` stops it and is passed on; an
   * upstream failure stops it and is passed on so the end of the chain hears
   * of it; anything else is ignored. A component that owes answers calls `finishOnceIdle` instead of
   * overriding this; override for anything else, and call `super` for the rest.
   */
  protected onControl(message: Lifecycle): void {
    const awaitingIdle = this.core.awaitingIdle;
    if (awaitingIdle && endsInput(message)) {
      awaitingIdle.inputEnded = true;
      this.finishIfIdle();
      return;
    }
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
        // Control may carry news only some components care for (a WebSocket's open and
        // close, say): what a component does not know is not its business.
        return;
    }
  }

  /** Sends a message on one of this component's outboxes. */
  protected send<K extends keyof S['outboxes'] & string>(outbox: K, message: OutMessage<S, K>): void {
    (this.outboxes[outbox] as Box<unknown>).send(message);
  }

  /**
   * Handles the messages of one of this component's inboxes. The handler is
   * called with the component as `this`, so a method can be passed as it is
   * (no closure per component: a server makes several per connection; see
   * `npm run bench:core`, bytes per connection).
   */
  protected on<K extends keyof S['inboxes'] & string>(inbox: K, handler: (message: InMessage<S, K>) => void): void {
    (this.inboxes[inbox] as Box<unknown>).handleWith(this.core, handler as (message: unknown) => void);
  }

  /** Subscribes to any observable for the life of the component; an error in it fails the component. */
  protected subscribe<T>(source: Observable<T>, next: (value: T) => void): void {
    const core = this.core;
    const subscription = source.subscribe({
      next: (value) => core.dispatchTo(next as (value: unknown) => void, value),
      error: (error: unknown) => this.fail(error),
    });
    this.own(subscription);
  }

  /**
   * Listens to a Node event emitter (a socket, a child process, a worker) for
   * the life of the component, at the component's boundary.
   */
  protected listen<A extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, handler: (...args: A) => void): void {
    const listener = this.listenerFor(handler);
    emitter.on(event, listener);
    this.own(() => emitter.off(event, listener));
  }

  /**
   * Listens, like `listen`, to an emitter this component owns and discards
   * when it stops (its socket, say): the listener is never taken off, as
   * what the emitter says after that is dropped at the boundary, and a
   * connection's worth of removals is saved (see `npm run bench -- http`,
   * hello Connection: close).
   */
  protected listenToOwn<A extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, handler: (...args: A) => void): void {
    emitter.on(event, this.listenerFor(handler));
  }

  private listenerFor<A extends unknown[]>(handler: (...args: A) => void): (...args: unknown[]) => void {
    const core = this.core;
    // Most events carry one argument: the handler is dispatched with it, with no closure per event.
    // A handler is given every argument when it declares more than one (its `length`: so no rest parameter alone).
    return handler.length <= 1
      ? (arg: unknown): void => core.dispatchTo(handler as unknown as (message: unknown) => void, arg)
      : (...args: unknown[]): void => core.dispatchTo(() => handler.apply(this, args as A), undefined);
  }

  /**
   * Runs `work` at this component's boundary: now if no handler of this
   * component is running, right after the running one otherwise. For
   * callbacks that reach a component from outside its handlers (a hook on an
   * object it handed out), so they never re-enter it.
   */
  protected run(work: () => void): void {
    this.core.dispatchTo(work as (m: unknown) => void, undefined);
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
    this.core.own(resource);
    return resource;
  }

  /** Releases an owned resource early. */
  protected disown(resource: Resource, releaseIt = true): void {
    this.core.disown(resource, releaseIt);
  }

  /**
   * A timer owned by this component; it never outlives it and never keeps the
   * process alive. `refresh()` starts its period again, also after it has
   * fired or been cancelled (a cleared Node timeout cannot be refreshed, so
   * a new one is made then).
   */
  protected timer(ms: number, fire: () => void): OwnedTimer {
    return new Timer(this.core, ms, fire).arm();
  }

  /**
   * Runs a child component for as long as this one runs: starts it, and when
   * this component stops, shuts the child down. `onEnded` is called (at this
   * component's boundary, with it as `this`) when the child stops first. Links to the child are
   * undone when either side stops, because closing a box undoes its links.
   */
  protected adopt<C extends Component<any>>(child: C, onEnded?: (ended: Ended) => void): C {
    const core = this.core;
    if (core.state === 'stopped') {
      child.askToStop();
      return child;
    }
    const childCore = child.core;
    childCore.adopter = core;
    childCore.onAdoptedEnd = onEnded;
    (core.adopted ??= []).push(childCore);
    stats.resources++;
    child.start();
    return child;
  }

  /**
   * Runs a fresh child for one message, as Kamaelia's Carousel did: adopts
   * it, hands it the message on its inbox and then `producerFinished` on its
   * control (it gets nothing else), and calls `onEnded` when it stops (see
   * `adopt`). What a carousel does for every message and a router for every
   * request its handler components answer. Link its outboxes first.
   */
  protected runChild<C extends Component<any>>(child: C, message: unknown, onEnded?: (ended: Ended) => void): C {
    this.adopt(child, onEnded);
    const inboxes = child.inboxes as unknown as Record<string, Box<unknown>>;
    inboxes.inbox!.send(message);
    inboxes.control!.send(producerFinished);
    return child;
  }

  /**
   * For a component that owes answers for what it has read (calls, children
   * running): the end of its input (`producerFinished`, or a graceful
   * shutdown) then finishes it only once `inFlight()` (called with the
   * component as `this`: a method will do) is false. It calls
   * `finishIfIdle()` whenever a piece of work ends.
   */
  protected finishOnceIdle(inFlight: () => boolean): void {
    this.core.awaitingIdle = { inFlight, inputEnded: false };
  }

  /** Finishes if the input has ended and no work is in flight (see `finishOnceIdle`). */
  protected finishIfIdle(): void {
    const awaitingIdle = this.core.awaitingIdle;
    if (awaitingIdle?.inputEnded && !awaitingIdle.inFlight.call(this)) this.finish();
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
    const core = this.core;
    if (core.state === 'stopped') return;
    const wasRunning = core.state === 'running';
    core.state = 'stopped';
    core.live = false;
    core.pending = undefined;
    // Children first, in the order they were adopted; then what it owns, last owned first.
    const adopted = core.adopted;
    core.adopted = undefined;
    if (adopted) {
      stats.resources -= adopted.length;
      for (let i = 0; i < adopted.length; i++) {
        const child = adopted[i]!;
        child.adopter = undefined;
        child.onAdoptedEnd = undefined;
        if (child.state !== 'stopped') child.component.askToStop();
      }
    }
    const owned = core.resources;
    core.resources = undefined;
    if (owned) {
      stats.resources -= owned.length;
      for (let i = owned.length - 1; i >= 0; i--) {
        try {
          release(owned[i]!);
        } catch {
          // A resource that fails to release has still been given up.
        }
      }
    }
    if (wasRunning) stats.components--;
    const kind = core.kind;
    if (kind !== undefined) {
      if (wasRunning) kind.live--;
      if (ended.reason === 'failed') kind.failed++;
    }
    core.ended = ended;
    const watchers = core.endWatchers;
    core.endWatchers = undefined;
    if (watchers) for (const watcher of watchers) watcher(ended);
    const adopter = core.adopter;
    core.adopter = undefined;
    if (adopter) adopter.childStopped(core, ended);
    const boxes = core.boxList;
    for (let i = 0; i < core.inboxCount; i++) boxes[i]!.close();
    if (lastWord) (this.outboxes as unknown as Record<string, Box<unknown>>).signal!.send(lastWord);
    for (let i = core.inboxCount; i < boxes.length; i++) boxes[i]!.close();
  }

  toString(): string {
    return this.name;
  }
}

/**
 * What the runtime keeps of each component besides its boxes, in one object
 * of one class. The runtime's hot paths (delivering a message, starting,
 * stopping, adopting) read these fields for components of every class; read
 * on the component itself, each field would see as many object shapes as
 * there are component classes in a graph, and V8 turns such an access into a
 * slow generic lookup. Here each is a plain field read (see
 * `npm run bench:core`: messages/s through a pipeline, and bytes per
 * connection). It is also the component's boundary: boxes deliver to it.
 */
class Core implements Dispatcher {
  state: ComponentState = 'created';
  /** state === 'running', as a field the hot path can test cheaply. */
  live = false;
  busy = false;
  /** Messages that arrived while a handler ran: handler, message, handler, message, ... */
  pending: unknown[] | undefined = undefined;
  readonly serial = ++serial;
  /** Every box of the component: those it made, its inboxes first, then any taken from its children (see `boxAt`). */
  readonly boxList: Box<unknown>[] = [];
  inboxCount = 0;
  // What most components never need is made on first use: a server builds
  // several components per connection, and each allocation is paid per
  // connection (see `npm run bench:core`, bytes per connection).
  ended: Ended | undefined = undefined;
  done: Promise<Ended> | undefined = undefined;
  endWatchers: ((ended: Ended) => void)[] | undefined = undefined;
  resources: Resource[] | undefined = undefined;
  /** Children this component runs (adopt), and, on a child, who runs it. */
  adopted: Core[] | undefined = undefined;
  adopter: Core | undefined = undefined;
  onAdoptedEnd: ((ended: Ended) => void) | undefined = undefined;
  /** Set by `finishOnceIdle`: whether work is in flight, and whether the input has ended. */
  awaitingIdle: { readonly inFlight: () => boolean; inputEnded: boolean } | undefined = undefined;

  constructor(
    readonly component: Component<any>,
    public name: string | undefined,
    /** Its class's figures in the census; undefined when it is not counted. */
    readonly kind: ComponentKind | undefined,
  ) {}

  /** Runs a handler at the component's boundary: to completion, with its exceptions caught. */
  dispatchTo(handler: (message: unknown) => void, message: unknown): void {
    if (!this.live) return;
    if (this.busy) {
      (this.pending ??= []).push(handler, message);
      return;
    }
    this.busy = true;
    try {
      handler.call(this.component, message);
      if (this.pending !== undefined && this.pending.length !== 0) this.drainPending();
    } catch (error) {
      this.pending = undefined;
      (this.component as unknown as { fail(error: unknown): void }).fail(error);
    } finally {
      this.busy = false;
    }
  }

  /** Handles the messages that arrived while a handler ran, in arrival order. */
  private drainPending(): void {
    const pending = this.pending!;
    const component = this.component;
    for (let i = 0; i < pending.length && this.live; i += 2) {
      (pending[i] as (message: unknown) => void).call(component, pending[i + 1]);
    }
    pending.length = 0;
  }

  own(resource: Resource): void {
    if (this.state === 'stopped') {
      release(resource);
      return;
    }
    (this.resources ??= []).push(resource);
    stats.resources++;
  }

  disown(resource: Resource, releaseIt: boolean): void {
    if (forget(this.resources, resource) && releaseIt) release(resource);
  }

  /** A child has stopped: forget it, and tell whoever adopted it. */
  childStopped(child: Core, ended: Ended): void {
    if (!forget(this.adopted, child)) return;
    const onEnded = child.onAdoptedEnd;
    child.onAdoptedEnd = undefined;
    if (onEnded) this.dispatchTo(onEnded as (m: unknown) => void, ended);
  }
}

/**
 * A component's timer: one object (it is its own resource and its own
 * handle), where closures would be four per timer, and a server arms a few
 * per connection (see `npm run bench:core`, bytes per connection).
 */
class Timer implements OwnedTimer, Unsubscribable {
  private handle: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly core: Core,
    private readonly ms: number,
    private readonly fire: () => void,
  ) {}

  arm(): this {
    this.handle = setTimeout(timerFired, this.ms, this);
    this.handle.unref();
    this.core.own(this);
    return this;
  }

  fired(): void {
    this.handle = undefined;
    this.core.disown(this, false);
    this.core.dispatchTo(this.fire as (m: unknown) => void, undefined);
  }

  refresh(): void {
    if (this.handle) this.handle.refresh();
    else if (this.core.state === 'running') this.arm();
  }

  cancel(): void {
    this.core.disown(this, true);
  }

  /** As a resource: released when the component stops, or cancelled. */
  unsubscribe(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

function timerFired(timer: Timer): void {
  timer.fired();
}

function handleControl(this: Component<any>, message: Lifecycle): void {
  (this as unknown as { onControl(message: Lifecycle): void }).onControl(message);
}

function runMain(this: Component<any>): void {
  (this as unknown as { main(): void }).main();
}

/** Makes a component's boxes of one direction; `base` is the first one's census slot (0: not counted). */
function makeBoxes(
  owner: BoxOwner,
  specs: BoxSpecs,
  direction: 'in' | 'out',
  list: Box<unknown>[],
  base: number,
): Record<string, Box<unknown>> {
  const made: Record<string, Box<unknown>> = {};
  let slot = base;
  for (const name in specs) {
    const spec = specs[name]!;
    const at = slot;
    if (base !== 0) slot++;
    if (spec === passedThrough) {
      // A place in the record for the child's box the graph takes (takeBox): every record of the graph's shape stays one shape.
      made[name] = undefined as never;
      continue;
    }
    // No description: the box reads it from its owner's spec when asked.
    const b = new Box(owner, name, direction);
    b.slot = at;
    if (direction === 'in') b.hold();
    made[name] = b;
    list.push(b);
  }
  return made;
}

/** Takes `item` out of what a component holds (`list`), counting it off; false when it was not there. */
function forget<I>(list: I[] | undefined, item: I): boolean {
  const at = list ? list.indexOf(item) : -1;
  if (at < 0) return false;
  removeAt(list!, at);
  stats.resources--;
  return true;
}

function release(resource: Resource): void {
  if (typeof resource === 'function') resource();
  else resource.unsubscribe();
}

export function assertNever(value: never): never {
  throw new TypeError(`unexpected message: ${JSON.stringify(value)}`);
}
