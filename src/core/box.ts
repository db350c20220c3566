/**
 * A box is a named, typed stream of messages owned by one component: an inbox
 * it reads or an outbox it writes. Boxes are RxJS observables, so any operator
 * applies to them, but delivery is a plain loop over the linked targets: a
 * message costs a few function calls per hop, with no scheduler and no queue.
 * A message sent on a box that nothing is linked to is dropped and counted.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { Link } from './link.js';

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
}

type Target<T> = (message: T) => void;

export class Box<T> extends Observable<T> {
  /** Delivery functions, in the order they were attached. Copied on write so a
   *  target may detach (or attach) while a message is being delivered. */
  private targets: readonly Target<T>[] = [];
  private readonly subscribers = new Set<Subscriber<T>>();
  /** Links that start or end at this box, so closing the box can undo them. */
  readonly links = new Set<Link<unknown>>();
  /** Messages sent while nothing was attached. */
  dropped = 0;
  closed = false;
  /** Sends a message on to this box; the function a link attaches to its source. */
  readonly deliver: Target<T>;

  constructor(
    readonly owner: BoxOwner,
    readonly name: string,
    readonly direction: Direction,
    readonly description: string,
  ) {
    super((subscriber) => {
      if (this.closed) {
        subscriber.complete();
        return undefined;
      }
      const target: Target<T> = (message) => subscriber.next(message);
      this.subscribers.add(subscriber);
      const detach = this.attach(target);
      return () => {
        this.subscribers.delete(subscriber);
        detach();
      };
    });
    this.deliver = (message) => this.send(message);
  }

  /** Messages that reached an inbox before its component started; handed over at start. */
  private held: T[] | undefined;

  /** Hands a message to every target attached to this box. */
  send(message: T): void {
    const targets = this.targets;
    const n = targets.length;
    if (n === 0) {
      if (this.held) this.held.push(message);
      else this.dropped++;
      return;
    }
    if (n === 1) {
      targets[0]!(message);
      return;
    }
    for (let i = 0; i < n; i++) targets[i]!(message);
  }

  /** Keeps what arrives until `release()`: an inbox does this until its component has started. */
  hold(): void {
    this.held ??= [];
  }

  /** Delivers what was held, in order, and stops holding. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    if (held) for (const message of held) this.send(message);
  }

  /** Attaches a delivery function; returns the function that detaches it. */
  attach(target: Target<T>): () => void {
    if (this.closed) return noop;
    this.targets = [...this.targets, target];
    return () => {
      const at = this.targets.indexOf(target);
      if (at >= 0) this.targets = [...this.targets.slice(0, at), ...this.targets.slice(at + 1)];
    };
  }

  /** Number of attached targets (links and subscribers). */
  get fanout(): number {
    return this.targets.length;
  }

  /** Undoes every link of this box, completes its subscribers and drops whatever comes later. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = undefined;
    for (const link of [...this.links]) link.unlink();
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    this.targets = [];
    for (const subscriber of subscribers) subscriber.complete();
  }

  override toString(): string {
    return `${this.owner.name}.${this.name}`;
  }
}

function noop(): void {}
