/**
 * Links join boxes. The usual link goes from a component's outbox to another's
 * inbox; inside a graph, a link may also pass a graph's inbox through to a
 * child's inbox, or a child's outbox out to the graph's outbox. A link can be
 * undone, and closing either end undoes it.
 */
import type { Box } from './box.js';
import { stats } from './stats.js';

export class Link<T> {
  private detach: (() => void) | undefined;

  constructor(
    readonly from: Box<T>,
    readonly to: Box<T>,
  ) {
    if (from.closed || to.closed) {
      this.detach = undefined;
      return;
    }
    this.detach = from.attach(to.deliver);
    from.links.add(this as Link<unknown>);
    to.links.add(this as Link<unknown>);
    stats.links++;
  }

  get linked(): boolean {
    return this.detach !== undefined;
  }

  /** The same as `unlink()`, so a component can `own()` a link. */
  unsubscribe(): void {
    this.unlink();
  }

  unlink(): void {
    const detach = this.detach;
    if (!detach) return;
    this.detach = undefined;
    detach();
    this.from.links.delete(this as Link<unknown>);
    this.to.links.delete(this as Link<unknown>);
    stats.links--;
  }
}

/**
 * Links `from` to `to`: every message sent on `from` is delivered to `to`.
 * `to` may accept a wider type than `from` sends.
 */
export function link<A extends B, B>(from: Box<A>, to: Box<B>): Link<A> {
  return new Link<A>(from, to as unknown as Box<A>);
}

/** Undoes every link from `from` to `to`. */
export function unlink<A extends B, B>(from: Box<A>, to: Box<B>): void {
  for (const l of [...from.links]) if (l.from === from && (l.to as Box<unknown>) === to) l.unlink();
}
