/**
 * Graphs: components made of components. A `Graphline` names its children and
 * lists its links as data, `["parser.outbox", "router.inbox"]`; a link may
 * start at one of the graph's own inboxes (`"self.inbox"`) or end at one of
 * its own outboxes (`"self.outbox"`), which passes messages through. The
 * graph's boxes are the `self.` boxes its links name, plus `control` and
 * `signal`. `Pipeline(a, b, c)` is the graphline that chains outbox -> inbox
 * and signal -> control.
 *
 * A graph lives and dies as a unit: it runs until all of its children have
 * stopped; if one fails, the others are shut down, and the graph reports the
 * failure on its own `signal`. Control messages sent to the graph reach its
 * heads (the children whose `control` no sibling feeds), and travel from there
 * along the signal -> control links, in order. A non-graceful `shutdown`
 * additionally reaches every child, so nothing outlives the graph.
 */
import type { Box, BoxSpec } from './box.js';
import { box } from './box.js';
import { Component, passedThrough, type ComponentSpec } from './component.js';
import { linkByPosition } from './link.js';
import { failed, producerFinished, shutdown, type Ended, type Lifecycle } from './signals.js';

export type Children = Record<string, Component<any>>;

type InboxNames<C> = C extends Component<infer S> ? keyof S['inboxes'] & string : never;
type OutboxNames<C> = C extends Component<infer S> ? keyof S['outboxes'] & string : never;

/** `"child.outbox"` or `"self.someInbox"`: where a link starts. */
export type FromRef<C extends Children> = { [K in keyof C & string]: `${K}.${OutboxNames<C[K]>}` }[keyof C & string] | `self.${string}`;
/** `"child.inbox"` or `"self.someOutbox"`: where a link ends. */
export type ToRef<C extends Children> = { [K in keyof C & string]: `${K}.${InboxNames<C[K]>}` }[keyof C & string] | `self.${string}`;

export type LinkSpec<C extends Children> = readonly [from: FromRef<C>, to: ToRef<C>];

type GraphSpec = ComponentSpec<Record<string, BoxSpec<any>>, Record<string, BoxSpec<any>>>;

export class Graphline<C extends Children = Children> extends Component<GraphSpec> {
  readonly children: Readonly<C>;
  readonly links: readonly LinkSpec<C>[];
  /** The children, in the order they were named. */
  private readonly childList: Component<any>[];
  private readonly plan: Plan;
  private readonly controlPassedThrough: boolean;
  private readonly signalPassedThrough: boolean;
  private running_ = 0;
  private firstError: { error: unknown } | undefined = undefined;
  private shutdownRequested = false;

  constructor(children: C, links: readonly LinkSpec<C>[], name?: string) {
    const shape = shapeOf(links);
    super(shape.spec, name);
    if ('self' in children) throw new TypeError('Graphline: "self" names the graph itself, not a child');
    this.children = children;
    this.links = links;
    // A server builds the same graph for every connection: where each link runs is worked out
    // by name once, and then followed by position while the children's names and specs stay the same
    // (see `npm run bench -- http`, hello Connection: close).
    let plan = shape.plan;
    const list: Component<any>[] = [];
    for (const key in children) {
      const child = children[key]!;
      if (plan && (plan.names[list.length] !== key || plan.specs[list.length] !== child.spec)) plan = undefined;
      list.push(child);
    }
    this.childList = list;
    if (!plan || plan.names.length !== list.length) plan = shape.plan = this.planFor(shape, list);
    this.plan = plan;
    // A passthrough box linked to one child box only is that box (Axon collapsed such chains too): one hop
    // less per message into and out of every connection's graph (see `npm run bench -- http`, hello keep-alive).
    const aliases = plan.aliases;
    for (let i = 0; i < aliases.length; i++) {
      const [selfBox, direction, child, at] = aliases[i]!;
      this.takeBox(direction, selfBox, list[child]!.boxAt(at));
    }
    linkByPosition(plan.links, list, this);
    this.controlPassedThrough = shape.controlPassedThrough;
    this.signalPassedThrough = shape.signalPassedThrough;
  }

  protected main(): void {
    const all = this.childList;
    this.running_ = all.length;
    // Consumers first, so that a producer that sends from its main() is heard.
    // childEnded is called with this graph as `this`, as every handler is.
    for (let i = all.length - 1; i >= 0; i--) this.adopt(all[i]!, this.childEnded);
    if (all.length === 0) this.finish();
  }

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'shutdown') this.shutdownRequested = true;
    if (!this.controlPassedThrough) {
      // The heads: children whose control no sibling feeds.
      const heads = this.plan.heads;
      for (let i = 0; i < heads.length; i++) this.childList[heads[i]!]!.inboxes.control.send(message);
    }
    if (message.type === 'shutdown' && !message.graceful) this.stopChildren();
  }

  protected override stop(ended: Ended, lastWord?: Lifecycle): void {
    if (this.state === 'stopped') return;
    this.stopChildren();
    super.stop(ended, this.signalPassedThrough ? undefined : lastWord);
  }

  private stopChildren(): void {
    const all = this.childList;
    for (let i = 0; i < all.length; i++) {
      const child = all[i]!;
      if (child.state !== 'stopped') child.askToStop(shutdown);
    }
  }

  private childEnded(ended: Ended): void {
    this.running_--;
    if (ended.reason === 'failed' && !this.firstError) {
      this.firstError = { error: ended.error };
      this.stopChildren();
    }
    if (this.running_ > 0 || this.state !== 'running') return;
    if (this.firstError) this.stop({ reason: 'failed', error: this.firstError.error }, failed(this.name, this.firstError.error));
    else if (this.shutdownRequested) this.stop({ reason: 'shutdown' }, shutdown);
    else this.stop({ reason: 'finished' }, producerFinished);
  }

  /** Works out, by name, where the shape's links run among these children. */
  private planFor(shape: Shape, list: readonly Component<any>[]): Plan {
    const names = Object.keys(this.children);
    const index = (owner: string, name: string, end: 'from' | 'to'): [number, number] => {
      if (owner === 'self') {
        const own = (end === 'from' ? this.inboxes : this.outboxes) as Record<string, Box<unknown>>;
        return [-1, this.positionOf(own[name]!)];
      }
      const child = names.indexOf(owner);
      if (child < 0) throw new TypeError(`Graphline: no child named "${owner}" (in "${owner}.${name}")`);
      const boxes = (end === 'from' ? list[child]!.outboxes : list[child]!.inboxes) as Record<string, Box<unknown>>;
      if (!Object.hasOwn(boxes, name)) {
        const kind = end === 'from' ? 'outbox' : 'inbox';
        throw new TypeError(`Graphline: ${owner} has no ${kind} "${name}" (in "${owner}.${name}")`);
      }
      return [child, list[child]!.positionOf(boxes[name]!)];
    };
    const aliases = shape.aliases.map(([selfBox, direction, child, childBox]) => {
      // An inbox of the graph is a child's inbox (a link's "to" end); an outbox, a child's outbox.
      const [at, box] = index(child, childBox, direction === 'in' ? 'to' : 'from');
      return [selfBox, direction, at, box] as const;
    });
    const ends: number[] = [];
    for (const [fromOwner, fromBox, toOwner, toBox] of shape.links)
      ends.push(...index(fromOwner, fromBox, 'from'), ...index(toOwner, toBox, 'to'));
    const heads: number[] = [];
    names.forEach((name, i) => {
      if (!shape.fedControls.has(name)) heads.push(i);
    });
    return new Plan(
      names,
      list.map((child) => child.spec),
      aliases,
      ends,
      heads,
    );
  }
}

/** Where a shape's links run, by position, among children named so and made from these specs. */
class Plan {
  constructor(
    readonly names: readonly string[],
    readonly specs: readonly ComponentSpec[],
    /** The graph's boxes that are a child's: [own box, direction, child, the child's box]. */
    readonly aliases: readonly (readonly [string, 'in' | 'out', number, number])[],
    /** Four numbers a link: from child (-1: the graph itself), its box, to child, its box. */
    readonly links: readonly number[],
    /** Children whose control no sibling feeds: control messages to the graph go to them. */
    readonly heads: readonly number[],
  ) {}
}

/** What a list of links says, worked out once per list (a server reuses one list for every connection). */
interface Shape {
  readonly spec: GraphSpec;
  /** [from owner, from box, to owner, to box] */
  readonly links: readonly (readonly [string, string, string, string])[];
  /** Graph boxes that are a child's box: [own box, direction, child, child's box]. */
  readonly aliases: readonly (readonly [string, 'in' | 'out', string, string])[];
  readonly controlPassedThrough: boolean;
  readonly signalPassedThrough: boolean;
  /** Children whose control a sibling feeds. */
  readonly fedControls: ReadonlySet<string>;
  /** The last plan made for it: the next graph of this shape most likely has the same children. */
  plan?: Plan;
}

const shapes = new WeakMap<readonly (readonly [string, string])[], Shape>();

function shapeOf(links: readonly (readonly [string, string])[]): Shape {
  let shape = shapes.get(links);
  if (shape) return shape;
  const split = (ref: string): [string, string] => {
    const dot = ref.indexOf('.');
    if (dot <= 0 || dot === ref.length - 1) throw new TypeError(`Graphline: bad box reference "${ref}" (expected "child.box")`);
    return [ref.slice(0, dot), ref.slice(dot + 1)];
  };
  const parsed = links.map(([from, to]) => [...split(from), ...split(to)] as const);
  // How many links each of the graph's own boxes takes part in.
  const uses = new Map<string, number>();
  for (const [fromOwner, fromBox, toOwner, toBox] of parsed) {
    if (fromOwner === 'self') uses.set(`in:${fromBox}`, (uses.get(`in:${fromBox}`) ?? 0) + 1);
    if (toOwner === 'self') uses.set(`out:${toBox}`, (uses.get(`out:${toBox}`) ?? 0) + 1);
  }
  const aliased = (direction: 'in' | 'out', name: string): boolean =>
    name !== 'control' && name !== 'signal' && uses.get(`${direction}:${name}`) === 1;
  const aliases: (readonly [string, 'in' | 'out', string, string])[] = [];
  const kept: (readonly [string, string, string, string])[] = [];
  for (const l of parsed) {
    const [fromOwner, fromBox, toOwner, toBox] = l;
    if (fromOwner === 'self' && toOwner !== 'self' && aliased('in', fromBox)) aliases.push([fromBox, 'in', toOwner, toBox]);
    else if (toOwner === 'self' && fromOwner !== 'self' && aliased('out', toBox)) aliases.push([toBox, 'out', fromOwner, fromBox]);
    else kept.push(l);
  }
  const spec = graphSpec(links);
  for (const [name, direction] of aliases) (direction === 'in' ? spec.inboxes : spec.outboxes)[name] = passedThrough;
  shape = {
    spec,
    plan: undefined,
    links: kept,
    aliases,
    fedControls: new Set(parsed.filter(([from, , to, box]) => from !== 'self' && to !== 'self' && box === 'control').map(([, , to]) => to)),
    controlPassedThrough: links.some(([from]) => from === 'self.control'),
    signalPassedThrough: links.some(([, to]) => to === 'self.signal'),
  };
  shapes.set(links, shape);
  return shape;
}

/** The graph's own boxes: the `self.` boxes its links name, plus `control` and `signal`. */
function graphSpec(links: readonly (readonly [string, string])[]): GraphSpec {
  const inboxes: Record<string, BoxSpec<unknown>> = {};
  const outboxes: Record<string, BoxSpec<unknown>> = {};
  for (const [from, to] of links) {
    if (from.startsWith('self.')) inboxes[from.slice(5)] = box(`passed through to ${to}`);
    if (to.startsWith('self.')) outboxes[to.slice(5)] = box(`passed through from ${from}`);
  }
  return {
    inboxes: { control: box<Lifecycle>('lifecycle requests for the whole graph'), ...inboxes },
    outboxes: { signal: box<Lifecycle>('how the whole graph ended'), ...outboxes },
  } as GraphSpec;
}

/** The pipeline's children are named by position: "0", "1", ... */
export class Pipeline extends Graphline<Record<string, Component<any>>> {
  constructor(...stages: Component<any>[]) {
    super(Object.fromEntries(stages.map((stage, i) => [String(i), stage])), pipelineLinks(stages.length));
  }
}

const pipelineShapes: LinkSpec<Children>[][] = [];

function pipelineLinks(n: number): LinkSpec<Children>[] {
  return (pipelineShapes[n] ??= chainLinks(n));
}

function chainLinks(n: number): LinkSpec<Children>[] {
  if (n === 0) return [];
  const links: LinkSpec<Children>[] = [['self.inbox', '0.inbox']];
  for (let i = 0; i + 1 < n; i++) {
    links.push([`${i}.outbox`, `${i + 1}.inbox`], [`${i}.signal`, `${i + 1}.control`]);
  }
  links.push([`${n - 1}.outbox`, 'self.outbox']);
  return links;
}

export const graphline = <C extends Children>(children: C, links: readonly LinkSpec<C>[], name?: string): Graphline<C> =>
  new Graphline(children, links, name);
export const pipeline = (...stages: Component<any>[]): Pipeline => new Pipeline(...stages);
