/**
 * A box is a named, typed stream of messages owned by one component: an inbox
 * it reads or an outbox it writes. Boxes are RxJS observables, so any operator
 * applies to them, but delivery is a plain loop: a message goes to each box
 * linked from this one (a direct call, no closure, no scheduler, no queue)
 * and then to each handler. A message sent on a box that nothing is linked
 * to is dropped, and counted in the census (census.ts) with the rest of
 * the box's traffic.
 */
import { Observable, type Subscriber } from 'rxjs';
import { tallies } from './census.js';
import { stats } from './stats.js';

export type Direction = 'in' | 'out';

/** The declaration of one box: its message type (a phantom) and what flows there. */
export interface BoxSpec<T> {
  readonly description: string;
  /** Never set: it only carries the message type. */
  readonly __message?: (message: T) => T;
}

/** Declares a box carrying messages of type `T`. */
export function box<T>(description: string): BoxSpec<T> {
  return { description };
}

export type MessageOf<S> = S extends BoxSpec<infer T> ? T : never;

export interface BoxOwner {
  readonly name: string;
  /** A component's spec, where its boxes' descriptions are read. */
  readonly spec?: { readonly inboxes: Record<string, BoxSpec<any>>; readonly outboxes: Record<string, BoxSpec<any>> };
}

/** Descriptions of boxes made outside a component's spec (a component's own are read from its spec: one field less per box). */
const looseDescriptions = new WeakMap<Box<any>, string>();
/** What `held` is while a box holds and nothing has arrived yet. */
const holdingNothing: never[] = Object.freeze([]) as never[];

/** What a component's own handler is delivered through: its boundary. */
export interface Dispatcher {
  dispatchTo(handler: (message: unknown) => void, message: unknown): void;
}

type Target<T> = (message: T) => void;
/** The target a subscription attaches, with its subscriber. */
type SubscriberTarget<T> = Target<T> & { subscriber?: Subscriber<T> };

export class Box<T> extends Observable<T> {
  /**
   * Boxes linked from this one, in link order: the first, then the others
   * (copied on write, so links may change while a message is being
   * delivered). Most boxes have one link, which then costs no array (see
   * `npm run bench:core`, bytes per connection). The others are empty
   * whenever there is no first.
   */
  private first: Box<T> | undefined = undefined;
  private more: readonly Box<T>[] = noBoxes;
  /** Handlers and subscribers, after the links. Copied on write likewise. */
  private fns: readonly Target<T>[] = noTargets;
  /** The one handler most inboxes have, its component's own, called through that component's boundary. */
  private handler: ((message: T) => void) | undefined = undefined;
  private dispatcher: Dispatcher | undefined = undefined;
  /**
   * How many open links run to this box, so closing it counts them off. A
   * count, not a list of the boxes: a long-lived box (a pool's, a server's
   * log) is linked to from every short-lived one, and a list kept in the old
   * generation would hold each of them through young collections.
   */
  private sourceCount = 0;
  /**
   * While the box holds (an inbox, until its component has started), the
   * messages that have reached it, to be handed over at start; undefined
   * when it does not hold.
   */
  private held: T[] | undefined = undefined;
  /**
   * Its counters' place in the census (census.ts): one per box name of its
   * component's class, so a send adds to a number and allocates nothing.
   * 0 when it is not counted.
   */
  slot = 0;
  closed = false;

  constructor(
    readonly owner: BoxOwner,
    readonly name: string,
    readonly direction: Direction,
    /** Omitted when the owner's spec describes the box. */
    description?: string,
  ) {
    super();
    if (description !== undefined) looseDescriptions.set(this, description);
  }

  /** What flows in the box, as its declaration says. */
  get description(): string {
    const loose = looseDescriptions.get(this);
    if (loose !== undefined) return loose;
    const spec = this.owner.spec;
    return (this.direction === 'in' ? spec?.inboxes : spec?.outboxes)?.[this.name]?.description ?? '';
  }

  /** @internal RxJS calls this when something subscribes to the box. */
  protected _subscribe(subscriber: Subscriber<T>): () => void {
    if (this.closed) {
      subscriber.complete();
      return noop;
    }
    // The target carries its subscriber, for close() to complete: subscribing is rare, and a field for it on every box is not.
    const target = ((message: T) => subscriber.next(message)) as SubscriberTarget<T>;
    target.subscriber = subscriber;
    this.attach(target);
    return () => this.detach(target);
  }

  /** Hands a message to every box linked from this one, then to every handler. */
  send(message: T): void {
    const first = this.first;
    const more = this.more;
    const fns = this.fns;
    const handler = this.handler;
    // Read now: delivering to the links may close this box (its component stopping) before the handler's turn.
    const dispatcher = this.dispatcher;
    const slot = this.slot;
    if (first === undefined && fns.length === 0 && handler === undefined) {
      const held = this.held;
      if (held === undefined) {
        if (slot !== 0) tallies.dropped[slot]++;
        return;
      }
      if (slot !== 0) tallies.held[slot]++;
      if (held === holdingNothing) this.held = [message];
      else held.push(message);
      return;
    }
    if (slot !== 0) tallies.sent[slot]++;
    if (first !== undefined) {
      if (first.closed) this.prune();
      else first.send(message);
      for (let i = 0; i < more.length; i++) {
        const target = more[i]!;
        if (target.closed) this.prune();
        else target.send(message);
      }
    }
    if (handler !== undefined) dispatcher!.dispatchTo(handler as (message: unknown) => void, message);
    for (let i = 0; i < fns.length; i++) fns[i]!(message);
  }

  /** Drops links to boxes that have closed since (their closing did not touch this box). */
  private prune(): void {
    this.setLinks(this.links().filter((target) => !target.closed));
  }

  /** Every box linked from this one, in link order. */
  private links(): Box<T>[] {
    return this.first === undefined ? [] : [this.first, ...this.more];
  }

  private setLinks(links: readonly Box<T>[]): void {
    this.first = links[0];
    this.more = links.length > 1 ? links.slice(1) : noBoxes;
  }

  /** Keeps what arrives until `release()`: an inbox does this until its component has started. */
  hold(): void {
    this.held ??= holdingNothing;
  }

  /** Delivers what was held, in order, and stops holding. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    if (held) for (let i = 0; i < held.length; i++) this.send(held[i]!);
  }

  /**
   * Attaches a component's handler, called through its `dispatcher`. The
   * first one a box gets takes a slot of its own (no closure); any more are
   * attached as plain targets.
   */
  handleWith(dispatcher: Dispatcher, handler: (message: T) => void): void {
    if (this.closed) return;
    if (this.handler === undefined) {
      this.handler = handler;
      this.dispatcher = dispatcher;
    } else this.attach((message) => dispatcher.dispatchTo(handler as (message: unknown) => void, message));
  }

  /** Attaches a handler. */
  attach(target: Target<T>): void {
    if (!this.closed) this.fns = appended(this.fns, target);
  }

  /** Detaches a handler attached before. */
  detach(target: Target<T>): void {
    const at = this.fns.indexOf(target);
    if (at >= 0) this.fns = removed(this.fns, at);
  }

  /** @internal Links this box to `to`; see link(). False when either is closed. */
  connect(to: Box<T>): boolean {
    if (this.closed || to.closed || to === this) return false;
    if (this.first === undefined) this.first = to;
    else this.more = appended(this.more, to);
    to.sourceCount++;
    stats.links++;
    return true;
  }

  /** @internal Undoes one link from this box to `to`. */
  disconnect(to: Box<T>): boolean {
    const links = this.links();
    const at = links.indexOf(to);
    if (at < 0) return false;
    // A closed box is dropped too: its closing counted the link off, but left it here until the next send.
    this.setLinks(removed(links, at));
    if (to.closed) return false;
    to.sourceCount--;
    stats.links--;
    return true;
  }

  /** Whether a link runs from this box to `to`. */
  linksTo(to: Box<T>): boolean {
    return !to.closed && (this.first === to || this.more.includes(to));
  }

  /** Number of links and handlers attached. */
  get fanout(): number {
    let open = 0;
    for (const target of this.links()) if (!target.closed) open++;
    return open + this.fns.length + (this.handler ? 1 : 0);
  }

  /**
   * Undoes every link to and from this box, completes its subscribers and
   * drops whatever comes later. It allocates nothing: a link is counted off
   * by whichever end closes first, and a source still open drops its link to
   * this box the next time it sends.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = undefined;
    stats.links -= this.sourceCount;
    this.sourceCount = 0;
    const first = this.first;
    const more = this.more;
    this.first = undefined;
    this.more = noBoxes;
    if (first !== undefined && !first.closed) {
      first.sourceCount--;
      stats.links--;
    }
    for (let i = 0; i < more.length; i++) {
      const target = more[i]!;
      if (target.closed) continue;
      target.sourceCount--;
      stats.links--;
    }
    const fns = this.fns;
    this.fns = noTargets;
    this.handler = undefined;
    this.dispatcher = undefined;
    for (let i = 0; i < fns.length; i++) (fns[i] as SubscriberTarget<T>).subscriber?.complete();
  }

  override toString(): string {
    return `${this.owner.name}.${this.name}`;
  }
}

function noop(): void {}

/** Removes `list[at]` in place, keeping the order; unlike splice it makes no array of what it removed. */
export function removeAt(list: unknown[], at: number): void {
  for (let i = at + 1; i < list.length; i++) list[i - 1] = list[i];
  list.length--;
}

/** A copy of `list` with `item` at the end: lists are copied on write, so delivery may go on over the old one. */
function appended<I>(list: readonly I[], item: I): readonly I[] {
  if (list.length === 0) return [item];
  const grown = list.slice();
  grown.push(item);
  return grown;
}

/** A copy of `list` without its item at `at`. */
function removed<I>(list: readonly I[], at: number): readonly I[] {
  return list.filter((_, i) => i !== at);
}
const noTargets: readonly never[] = Object.freeze([]);
const noBoxes: readonly never[] = Object.freeze([]);
