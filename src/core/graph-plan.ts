/**
 * A graph described once, by name, and built again and again: a server
 * builds the same per-connection graph for every connection. A plan names
 * its children (each a factory of a fresh component from a context, such as
 * the connection's details) and lists its links as data, as a Graphline
 * does. Users edit it by name, never by position: put a component between
 * two children, replace a child, tap a box, add or drop a link. Each edit
 * returns a new plan; a plan never changes, so every graph built from it
 * shares one list of links and connects by position (see Graphline).
 */
import type { ComponentKind } from './census.js';
import type { Component } from './component.js';
import { Graphline, type LinkSpec } from './graph.js';

/** Makes one child of a graph, fresh for each graph built. */
export type ChildFactory<X> = (context: X) => Component<any>;

/** `"child.box"` or `"self.box"`. */
export type BoxRef = `${string}.${string}`;
export type PlanLink = readonly [from: BoxRef, to: BoxRef];

/** What a plan says of itself, as JSON: what the status page draws. */
export interface PlanView {
  readonly name: string;
  readonly children: readonly { readonly name: string; readonly role: string }[];
  readonly links: readonly PlanLink[];
}

export interface InsertOptions {
  /** More links of the new child, such as `['auth.answer', 'errorPage.inbox']` or `['auth.log', 'self.log']`. */
  readonly links?: readonly PlanLink[];
  /** What the child does, for the picture of the graph. */
  readonly role?: string;
}

interface Child<X> {
  readonly name: string;
  readonly make: ChildFactory<X>;
  readonly role: string;
}

export class GraphPlan<X = void> {
  private readonly byName: ReadonlyMap<string, Child<X>>;
  /** The links as the Graphline takes them: one array for every graph this plan builds. */
  private readonly graphLinks: readonly LinkSpec<Record<string, Component<any>>>[];
  /** What each child is, by position, once `childKinds` has looked. */
  private kinds: readonly (ComponentKind | undefined)[] | undefined = undefined;

  constructor(
    /** The children in order: a graph starts them last first, so consumers are ready for producers. */
    readonly children: readonly Child<X>[],
    readonly links: readonly PlanLink[],
    /** The name of each graph built (for logs): from the context. */
    private readonly nameOf: (context: X) => string = () => 'graph',
    readonly title = 'graph',
  ) {
    const byName = new Map<string, Child<X>>();
    for (const child of children) {
      if (child.name === 'self' || !/^[A-Za-z_$][\w$]*$/.test(child.name))
        throw new TypeError(`GraphPlan: "${child.name}" cannot name a child`);
      if (byName.has(child.name)) throw new TypeError(`GraphPlan: two children named "${child.name}"`);
      byName.set(child.name, child);
    }
    for (const [from, to] of links) {
      for (const ref of [from, to]) {
        const owner = ref.slice(0, ref.indexOf('.'));
        if (owner !== 'self' && !byName.has(owner)) throw new TypeError(`GraphPlan: the link ${from} -> ${to} names no child "${owner}"`);
      }
    }
    this.byName = byName;
    this.graphLinks = links as readonly LinkSpec<Record<string, Component<any>>>[];
  }

  /** A plan from children (by name, in order) and links. */
  static of<X>(
    children: Readonly<Record<string, ChildFactory<X> | { readonly make: ChildFactory<X>; readonly role: string }>>,
    links: readonly PlanLink[],
    options: { readonly name?: (context: X) => string; readonly title?: string } = {},
  ): GraphPlan<X> {
    const list = Object.entries(children).map(([name, child]) =>
      typeof child === 'function' ? { name, make: child, role: '' } : { name, make: child.make, role: child.role },
    );
    return new GraphPlan(list, links, options.name, options.title);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Builds one graph: a fresh child from each factory, linked as the plan says. */
  build(context: X): Graphline {
    const made: Record<string, Component<any>> = {};
    const children = this.children;
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      made[child.name] = child.make(context);
    }
    return new Graphline(made, this.graphLinks, this.nameOf(context));
  }

  /**
   * Builds one graph and drops it unstarted, so that a plan whose links name
   * boxes its children lack is refused when a server is made, not at its
   * first connection.
   */
  check(context: X): void {
    this.build(context);
  }

  /**
   * Puts a new child between two others: the link from `after`'s outbox to
   * `before`'s inbox now runs through the new child's inbox and outbox, and
   * so does the one from `after`'s signal to `before`'s control (so the end
   * of the input, and a shutdown, reach it in order). It sits just before
   * `before` in the order of children.
   */
  insert(name: string, make: ChildFactory<X>, where: { readonly after: string; readonly before: string } & InsertOptions): GraphPlan<X> {
    const { after, before } = where;
    this.mustHave(after);
    this.mustHave(before);
    const data: PlanLink = [`${after}.outbox`, `${before}.inbox`];
    const control: PlanLink = [`${after}.signal`, `${before}.control`];
    if (!this.links.some((l) => same(l, data))) throw new TypeError(`GraphPlan: no link ${data[0]} -> ${data[1]} to insert "${name}" into`);
    const links: PlanLink[] = [];
    for (const l of this.links) {
      if (same(l, data)) links.push([data[0], `${name}.inbox`], [`${name}.outbox`, data[1]]);
      else if (same(l, control)) links.push([control[0], `${name}.control`], [`${name}.signal`, control[1]]);
      else links.push(l);
    }
    links.push(...(where.links ?? []));
    const children = [...this.children];
    children.splice(
      children.findIndex((c) => c.name === before),
      0,
      { name, make, role: where.role ?? '' },
    );
    return this.with(children, links);
  }

  /** The same graph with another component in a child's place: same name, same links. */
  replace(name: string, make: ChildFactory<X>, role?: string): GraphPlan<X> {
    const old = this.mustHave(name);
    return this.with(
      this.children.map((c) => (c === old ? { name, make, role: role ?? c.role } : c)),
      this.links,
    );
  }

  /**
   * Adds a child that hears every message of a box as well (an outbox of a
   * child, or an inbox of the graph): the box's other links are untouched.
   * The tap gets them on its `inbox` unless `into` says otherwise.
   */
  tap(box: BoxRef, name: string, make: ChildFactory<X>, options: InsertOptions & { readonly into?: string } = {}): GraphPlan<X> {
    const owner = box.slice(0, box.indexOf('.'));
    if (owner !== 'self') this.mustHave(owner);
    const links: PlanLink[] = [...this.links, [box, `${name}.${options.into ?? 'inbox'}`], ...(options.links ?? [])];
    return this.with([...this.children, { name, make, role: options.role ?? '' }], links);
  }

  /** Drops a child and every link to or from it. */
  remove(name: string): GraphPlan<X> {
    const old = this.mustHave(name);
    return this.with(
      this.children.filter((c) => c !== old),
      this.links.filter(([from, to]) => !from.startsWith(`${name}.`) && !to.startsWith(`${name}.`)),
    );
  }

  /** Adds links. */
  link(...links: PlanLink[]): GraphPlan<X> {
    return this.with(this.children, [...this.links, ...links]);
  }

  /** Drops links. */
  unlink(...links: PlanLink[]): GraphPlan<X> {
    for (const l of links) if (!this.links.some((k) => same(k, l))) throw new TypeError(`GraphPlan: no link ${l[0]} -> ${l[1]} to drop`);
    return this.with(
      this.children,
      this.links.filter((k) => !links.some((l) => same(k, l))),
    );
  }

  /**
   * Each child's class in the runtime's census (census.ts), by position:
   * what the status page reads the figures of each child from. Learned by
   * building one graph from `context` the first time it is asked, and
   * dropping it unstarted, as `check` does; undefined for a child made while
   * the census was off.
   */
  childKinds(context: X): readonly (ComponentKind | undefined)[] {
    if (this.kinds === undefined) {
      const graph = this.build(context);
      this.kinds = this.children.map((c) => graph.children[c.name]?.censusKind);
    }
    return this.kinds;
  }

  /** The plan as JSON: children by name (with what each does) and links. */
  view(): PlanView {
    return { name: this.title, children: this.children.map(({ name, role }) => ({ name, role })), links: this.links };
  }

  private mustHave(name: string): Child<X> {
    const child = this.byName.get(name);
    if (!child) throw new TypeError(`GraphPlan: no child named "${name}" (children: ${[...this.byName.keys()].join(', ')})`);
    return child;
  }

  private with(children: readonly Child<X>[], links: readonly PlanLink[]): GraphPlan<X> {
    return new GraphPlan(children, links, this.nameOf, this.title);
  }
}

function same(a: PlanLink, b: PlanLink): boolean {
  return a[0] === b[0] && a[1] === b[1];
}
