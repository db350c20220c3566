/**
 * Links join boxes. The usual link goes from a component's outbox to another's
 * inbox; inside a graph, a link may also pass a graph's inbox through to a
 * child's inbox, or a child's outbox out to the graph's outbox. A link can be
 * undone, and closing either end undoes it.
 */
import type { Box } from './box.js';
import type { Component } from './component.js';

/** A handle on one link, to undo it. */
export class Link<T> {
  constructor(
    readonly from: Box<T>,
    readonly to: Box<T>,
  ) {
    from.connect(to);
  }

  get linked(): boolean {
    return this.from.linksTo(this.to);
  }

  /** The same as `unlink()`, so a component can `own()` a link. */
  unsubscribe(): void {
    this.unlink();
  }

  unlink(): void {
    this.from.disconnect(this.to);
  }
}

/**
 * Links `from` to `to`: every message sent on `from` is delivered to `to`.
 * `to` may accept a wider type than `from` sends.
 */
export function link<A extends B, B>(from: Box<A>, to: Box<B>): Link<A> {
  return new Link<A>(from, to as unknown as Box<A>);
}

/** Undoes the link from `from` to `to`, if there is one. */
export function unlink<A extends B, B>(from: Box<A>, to: Box<B>): void {
  from.disconnect(to as unknown as Box<A>);
}

/**
 * @internal Links boxes by position: four numbers a link, the `from`
 * component's index in `ends` (-1: `self`), its box's place (`boxAt`), then
 * the same for `to`. What a graph, or a server linking a connection, follows
 * once it has worked the positions out by name.
 */
export function linkByPosition(plan: readonly number[], ends: readonly Component<any>[], self?: Component<any>): void {
  for (let i = 0; i < plan.length; i += 4) {
    const from = plan[i]! < 0 ? self! : ends[plan[i]!]!;
    const to = plan[i + 2]! < 0 ? self! : ends[plan[i + 2]!]!;
    from.boxAt(plan[i + 1]!).connect(to.boxAt(plan[i + 3]!));
  }
}
