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
import { link } from './link.js';
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
    super(graphSpec(children, links), name);
    if ('self' in children) throw new TypeError('Graphline: "self" names the graph itself, not a child');
    this.children = children;
    this.links = links;
    const fedControls = new Set<Component<any>>();
    let controlPassedThrough = false;
    let signalPassedThrough = false;
    for (const [from, to] of links) {
      const source = this.resolve(from, 'from');
      const target = this.resolve(to, 'to');
      link(source.box, target.box);
      if (target.box.name === 'control' && source.child) fedControls.add(target.child!);
      if (from === 'self.control') controlPassedThrough = true;
      if (to === 'self.signal') signalPassedThrough = true;
    }
    this.controlPassedThrough = controlPassedThrough;
    this.signalPassedThrough = signalPassedThrough;
    this.heads = Object.values(children).filter((child) => !fedControls.has(child));
  }

  protected main(): void {
    const all = Object.values(this.children);
    this.running_ = all.length;
    // Consumers first, so that a producer that sends from its main() is heard.
    for (const child of [...all].reverse()) this.adopt(child, (ended) => this.childEnded(ended));
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
    for (const child of Object.values(this.children)) if (child.state !== 'stopped') void child.shutdown(shutdown);
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

  private resolve(ref: string, end: 'from' | 'to'): { box: Box<unknown>; child?: Component<any> } {
    const dot = ref.indexOf('.');
    const owner = ref.slice(0, dot);
    const name = ref.slice(dot + 1);
    if (dot <= 0 || !name) throw new TypeError(`Graphline: bad box reference "${ref}" (expected "child.box")`);
    if (owner === 'self') {
      const own = end === 'from' ? this.inboxes : this.outboxes;
      return { box: own[name] as Box<unknown> };
    }
    const child = this.children[owner];
    if (!child) throw new TypeError(`Graphline: no child named "${owner}" (in "${ref}")`);
    const boxes = (end === 'from' ? child.outboxes : child.inboxes) as Record<string, Box<unknown>>;
    const found = boxes[name];
    if (!found) {
      const kind = end === 'from' ? 'outbox' : 'inbox';
      throw new TypeError(`Graphline: ${owner} has no ${kind} "${name}" (in "${ref}")`);
    }
    return { box: found, child };
  }
}

/** The graph's own boxes: the `self.` boxes its links name, plus `control` and `signal`. */
function graphSpec(children: Children, links: readonly (readonly [string, string])[]): GraphSpec {
  const inboxes: Record<string, BoxSpec<unknown>> = {};
  const outboxes: Record<string, BoxSpec<unknown>> = {};
  for (const [from, to] of links) {
    if (from.startsWith('self.')) inboxes[from.slice(5)] = box(`passed through to ${to}`);
    if (to.startsWith('self.')) outboxes[to.slice(5)] = box(`passed through from ${from}`);
  }
  void children;
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

function pipelineLinks(n: number): LinkSpec<Children>[] {
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
