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
import { Component, type ComponentSpec } from './component.js';
import { failed, producerFinished, shutdown, type Ended, type Lifecycle } from './signals.js';

export type Children = Record<string, Component<any>>;

type InboxNames<C> = C extends Component<infer S> ? keyof S['inboxes'] & string : never;
type OutboxNames<C> = C extends Component<infer S> ? keyof S['outboxes'] & string : never;

/** `"child.outbox"` or `"self.someInbox"`: where a link starts. */
export type FromRef<C extends Children> =
  | { [K in keyof C & string]: `${K}.${OutboxNames<C[K]>}` }[keyof C & string]
  | `self.${string}`;
/** `"child.inbox"` or `"self.someOutbox"`: where a link ends. */
export type ToRef<C extends Children> =
  | { [K in keyof C & string]: `${K}.${InboxNames<C[K]>}` }[keyof C & string]
  | `self.${string}`;

export type LinkSpec<C extends Children> = readonly [from: FromRef<C>, to: ToRef<C>];

type GraphSpec = ComponentSpec<Record<string, BoxSpec<any>>, Record<string, BoxSpec<any>>>;

export class Graphline<C extends Children = Children> extends Component<GraphSpec> {
  readonly children: Readonly<C>;
  readonly links: readonly LinkSpec<C>[];
  /** Children whose control no sibling feeds: control messages to the graph go to them. */
  private readonly heads: Component<any>[];
  private readonly controlPassedThrough: boolean;
  private readonly signalPassedThrough: boolean;
  private running_ = 0;
  private firstError: { error: unknown } | undefined;
  private shutdownRequested = false;

  constructor(children: C, links: readonly LinkSpec<C>[], name?: string) {
    const shape = shapeOf(links);
    super(shape.spec, name);
    if ('self' in children) throw new TypeError('Graphline: "self" names the graph itself, not a child');
    this.children = children;
    this.links = links;
    // A passthrough box linked to one child box only is that box (Axon collapsed such chains too).
    for (let i = 0; i < shape.aliases.length; i++) {
      const [selfBox, direction, child, childBox] = shape.aliases[i]!;
      // An inbox of the graph is a child's inbox (a link's "to" end); an outbox, a child's outbox.
      const found = this.resolve(child, childBox, direction === 'in' ? 'to' : 'from');
      ((direction === 'in' ? this.inboxes : this.outboxes) as Record<string, Box<unknown>>)[selfBox] = found;
    }
    const links_ = shape.links;
    for (let i = 0; i < links_.length; i++) {
      const l = links_[i]!;
      this.resolve(l[0], l[1], 'from').connect(this.resolve(l[2], l[3], 'to'));
    }
    this.controlPassedThrough = shape.controlPassedThrough;
    this.signalPassedThrough = shape.signalPassedThrough;
    const heads: Component<any>[] = [];
    for (const name in children) if (!shape.fedControls.has(name)) heads.push(children[name]!);
    this.heads = heads;
  }

  protected main(): void {
    const all: Component<any>[] = [];
    for (const name in this.children) all.push(this.children[name]!);
    this.running_ = all.length;
    // Consumers first, so that a producer that sends from its main() is heard.
    const ended = (how: Ended): void => this.childEnded(how);
    for (let i = all.length - 1; i >= 0; i--) this.adopt(all[i]!, ended);
    if (all.length === 0) this.finish();
  }

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'shutdown') this.shutdownRequested = true;
    if (!this.controlPassedThrough) for (const head of this.heads) head.inboxes.control.send(message);
    if (message.type === 'shutdown' && !message.graceful) this.stopChildren();
  }

  protected override stop(ended: Ended, lastWord?: Lifecycle): void {
    if (this.state === 'stopped') return;
    this.stopChildren();
    super.stop(ended, this.signalPassedThrough ? undefined : lastWord);
  }

  private stopChildren(): void {
    for (const name in this.children) {
      const child = this.children[name]!;
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

  private resolve(owner: string, name: string, end: 'from' | 'to'): Box<unknown> {
    if (owner === 'self') return (end === 'from' ? this.inboxes : this.outboxes)[name] as Box<unknown>;
    const child = this.children[owner];
    if (!child) throw new TypeError(`Graphline: no child named "${owner}" (in "${owner}.${name}")`);
    const found = ((end === 'from' ? child.outboxes : child.inboxes) as Record<string, Box<unknown>>)[name];
    if (!found) {
      const kind = end === 'from' ? 'outbox' : 'inbox';
      throw new TypeError(`Graphline: ${owner} has no ${kind} "${name}" (in "${owner}.${name}")`);
    }
    return found;
  }
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
  for (const [name, direction] of aliases) delete (direction === 'in' ? spec.inboxes : spec.outboxes)[name];
  shape = {
    spec,
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
