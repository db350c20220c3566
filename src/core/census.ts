/**
 * The runtime's census: figures per component class and per box name, kept
 * cheaply enough to leave on in production. Counters, never an object per
 * message: each (class, box name) pair has a slot in three arrays of
 * numbers (messages delivered, dropped, held), resolved once per component
 * spec; a box keeps its slot and a send adds one to a number. Each class
 * keeps its live instances, starts and failures beside. What the status
 * page, `server.introspect()` and /metrics show of the runtime is read from
 * here.
 *
 * One census per process, as the runtime's `liveCounts` is: figures of a
 * class are those of all its instances, whichever server made them.
 * `setCensus(false)` stops counting for components made after it (the cost
 * of counting is measured against that: bench/scenarios/http.mjs).
 */

/** What the census reads of a component's spec: its boxes' names. */
interface SpecShape {
  readonly inboxes: Readonly<Record<string, unknown>>;
  readonly outboxes: Readonly<Record<string, unknown>>;
}

/**
 * One kind of component: a class and the names of its boxes. Two specs
 * with the same class and box names are one kind (a Graphline made again
 * and again from equal links, say), so the census stays as small as the
 * code's variety, not its traffic.
 */
export class ComponentKind {
  /** Instances started and not yet stopped. */
  live = 0;
  /** Instances started since the process began. */
  started = 0;
  /** Instances that stopped because one of their handlers threw (or a child of a graph failed). */
  failed = 0;
  /** @internal Another kind made from the same spec object by another class. */
  next: ComponentKind | undefined = undefined;

  constructor(
    /** @internal The class, to tell kinds that share a spec apart. */
    readonly type: Function,
    readonly className: string,
    readonly inboxes: readonly string[],
    readonly outboxes: readonly string[],
    /** Its first box's slot; the others follow, inboxes first, in the spec's order. */
    readonly base: number,
  ) {}

  /** The slot of one of its boxes; 0 (counted nowhere) when it has no box of that name. */
  slotOf(direction: 'in' | 'out', name: string): number {
    const at = direction === 'in' ? this.inboxes.indexOf(name) : this.outboxes.indexOf(name);
    if (at < 0) return 0;
    return this.base + (direction === 'in' ? at : this.inboxes.length + at);
  }
}

/**
 * The counters, by slot. Slot 0 is no box's: a box made while counting is
 * off has it, and a send tests for it. Float64Array, so a count is exact to
 * 2^53 (a 32-bit counter would wrap within hours on a busy box).
 */
export const tallies: { sent: Float64Array<ArrayBuffer>; dropped: Float64Array<ArrayBuffer>; held: Float64Array<ArrayBuffer> } = {
  /** Messages delivered through the box (to a link or a handler). */
  sent: new Float64Array(256),
  /** Messages sent while nothing was attached, and so dropped. */
  dropped: new Float64Array(256),
  /** Messages kept by an inbox until its component started. */
  held: new Float64Array(256),
};

let nextSlot = 1;
let counting = true;
const bySpec = new WeakMap<object, ComponentKind>();
/** Kinds by class name and box names; more than one only where two classes share a name. */
const byName = new Map<string, ComponentKind[]>();
const kinds: ComponentKind[] = [];

/** Whether components made from now on are counted (on unless turned off). */
export function setCensus(on: boolean): void {
  counting = on;
}

export function censusOn(): boolean {
  return counting;
}

/**
 * @internal The kind of a component about to be made: what its Core keeps.
 * A WeakMap lookup per component; the kind is worked out by name only the
 * first time a spec is seen. Undefined while counting is off.
 */
export function kindOf(type: Function, spec: SpecShape): ComponentKind | undefined {
  if (!counting) return undefined;
  let kind = bySpec.get(spec);
  for (let k = kind; k !== undefined; k = k.next) if (k.type === type) return k;
  const found = findOrMake(type, spec);
  // Another class with the same spec object (the default boxes, say): chained after the first.
  if (kind === undefined) bySpec.set(spec, found);
  else {
    while (kind.next !== undefined) kind = kind.next;
    kind.next = found;
  }
  return found;
}

function findOrMake(type: Function, spec: SpecShape): ComponentKind {
  const inboxes = Object.keys(spec.inboxes);
  const outboxes = Object.keys(spec.outboxes);
  const className = type.name || 'Component';
  const key = `${className}\0${inboxes.join(',')}\0${outboxes.join(',')}`;
  const named = byName.get(key) ?? [];
  const known = named.find((k) => k.type === type);
  if (known !== undefined) return known;
  const kind = new ComponentKind(type, className, inboxes, outboxes, reserve(inboxes.length + outboxes.length));
  named.push(kind);
  byName.set(key, named);
  kinds.push(kind);
  return kind;
}

/** Takes `n` slots, growing the arrays when they are full (boxes read them through `tallies` at each send). */
function reserve(n: number): number {
  const base = nextSlot;
  nextSlot += n;
  if (nextSlot > tallies.sent.length) {
    let size = tallies.sent.length;
    while (size < nextSlot) size *= 2;
    tallies.sent = grown(tallies.sent, size);
    tallies.dropped = grown(tallies.dropped, size);
    tallies.held = grown(tallies.held, size);
  }
  return base;
}

function grown(old: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(size);
  next.set(old);
  return next;
}

/** One box's figures, as the census has them. */
export interface BoxFigures {
  readonly name: string;
  readonly direction: 'in' | 'out';
  /** Messages delivered through it, since the process began. */
  readonly sent: number;
  readonly dropped: number;
  readonly held: number;
}

/** One component class's figures. */
export interface KindFigures {
  readonly className: string;
  readonly live: number;
  readonly started: number;
  readonly failed: number;
  readonly boxes: readonly BoxFigures[];
}

/** The figures of one kind now. */
export function figuresOf(kind: ComponentKind): KindFigures {
  const boxes: BoxFigures[] = [];
  const { sent, dropped, held } = tallies;
  const push = (names: readonly string[], direction: 'in' | 'out', first: number): void => {
    names.forEach((name, i) => {
      const slot = first + i;
      boxes.push({ name, direction, sent: sent[slot]!, dropped: dropped[slot]!, held: held[slot]! });
    });
  };
  push(kind.inboxes, 'in', kind.base);
  push(kind.outboxes, 'out', kind.base + kind.inboxes.length);
  return { className: kind.className, live: kind.live, started: kind.started, failed: kind.failed, boxes };
}

/** Every kind counted so far, in the order they were first made. */
export function allKinds(): readonly ComponentKind[] {
  return kinds;
}

/** A copy of the messages-delivered counters, to tell rates from (see `ratesSince`). */
export function sentNow(): Float64Array {
  return tallies.sent.slice(0, nextSlot);
}

/** Every component class's figures now (what `server.introspect()` lists as `components`). */
export function census(): KindFigures[] {
  return kinds.map(figuresOf);
}
