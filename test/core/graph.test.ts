import { describe, expect, it } from 'vitest';
import { box } from '../../src/core/box.js';
import { Component, boxes, defaultBoxes } from '../../src/core/component.js';
import { Graphline, Pipeline } from '../../src/core/graph.js';
import { link } from '../../src/core/link.js';
import { producerFinished, shutdown, type Lifecycle } from '../../src/core/signals.js';
import { liveCounts } from '../../src/core/stats.js';
import { map, filter, tap } from '../../components/transform.js';
import { Sink } from '../../components/sink.js';
import { Carousel } from '../../components/carousel.js';
import { Backplane, Backplanes, PublishTo, SubscribeTo } from '../../components/backplane.js';
import { snapshot, expectNoLeaks } from '../helpers/leaks.js';

/** A stage that records, in a shared log, the order in which it stopped. */
function recorder(label: string, stopped: string[]) {
  const r = map((n: number) => n);
  void r.done.then((ended) => stopped.push(`${label}:${ended.reason}`));
  return r;
}

describe('Pipeline', () => {
  it('delivers messages in order through five stages', async () => {
    const before = snapshot();
    const out = new Sink<number>();
    const p = new Pipeline(
      map((n: number) => n + 1),
      map((n: number) => n * 2),
      filter((n: number) => n % 3 !== 0),
      tap<number>(() => {}),
      map((n: number) => n - 1),
    );
    link(p.outboxes.outbox!, out.inboxes.inbox);
    out.start();
    p.start();
    for (let i = 0; i < 1000; i++) p.inboxes.inbox!.send(i);
    const expected = [];
    for (let i = 0; i < 1000; i++) {
      const v = (i + 1) * 2;
      if (v % 3 !== 0) expected.push(v - 1);
    }
    expect(out.received).toEqual(expected);
    p.inboxes.control!.send(producerFinished);
    expect(await p.done).toEqual({ reason: 'finished' });
    await out.shutdown();
    await expectNoLeaks(before);
  });

  it('passes producerFinished down the chain and then signals it once', async () => {
    const p = new Pipeline(
      map((n: number) => n),
      map((n: number) => n),
    );
    const signals: Lifecycle[] = [];
    p.outboxes.signal!.subscribe((m) => signals.push(m));
    p.start();
    p.inboxes.control!.send(producerFinished);
    await p.done;
    expect(signals).toEqual([producerFinished]);
  });

  it('carries a shutdown to every component, in order, and leaves nothing alive', async () => {
    const before = snapshot();
    const stopped: string[] = [];
    const p = new Pipeline(...['a', 'b', 'c', 'd', 'e'].map((l) => recorder(l, stopped)));
    p.start();
    expect(liveCounts().components).toBe(before.runtime.components + 6);
    const signals: Lifecycle[] = [];
    p.outboxes.signal!.subscribe((m) => signals.push(m));
    expect(await p.shutdown()).toEqual({ reason: 'shutdown' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toEqual(['a:shutdown', 'b:shutdown', 'c:shutdown', 'd:shutdown', 'e:shutdown']);
    expect(signals).toEqual([shutdown]);
    await expectNoLeaks(before);
  });

  it('nests: a pipeline of pipelines is a pipeline', async () => {
    const out = new Sink<string>().start();
    const inner = new Pipeline(
      map((n: number) => n * 10),
      map((n: number) => `<${n}>`),
    );
    const outer = new Pipeline(
      map((n: number) => n + 1),
      inner,
      map((s: string) => s.toUpperCase()),
    );
    link(outer.outboxes.outbox!, out.inboxes.inbox);
    outer.start();
    outer.inboxes.inbox!.send(1);
    outer.inboxes.inbox!.send(2);
    expect(out.received).toEqual(['<20>', '<30>']);
    outer.inboxes.control!.send(producerFinished);
    expect(await outer.done).toEqual({ reason: 'finished' });
    expect(inner.state).toBe('stopped');
    await out.shutdown();
  });

  it('stops as a unit when a stage fails, and reports the failure once', async () => {
    const before = snapshot();
    const stopped: string[] = [];
    const boom = map((n: number) => {
      if (n > 1) throw new Error('boom');
      return n;
    });
    const p = new Pipeline(recorder('head', stopped), boom, recorder('tail', stopped));
    const signals: Lifecycle[] = [];
    p.outboxes.signal!.subscribe((m) => signals.push(m));
    p.start();
    p.inboxes.inbox!.send(1);
    p.inboxes.inbox!.send(2);
    const ended = await p.done;
    expect(ended.reason).toBe('failed');
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ type: 'failed' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped.sort()).toEqual(['head:shutdown', 'tail:shutdown']);
    await expectNoLeaks(before);
  });

  it('one failing graph does not touch a sibling graph', async () => {
    const bad = new Pipeline(
      map((): number => {
        throw new Error('bad');
      }),
    );
    const good = new Pipeline(map((n: number) => n + 1));
    const out = new Sink<number>().start();
    link(good.outboxes.outbox!, out.inboxes.inbox);
    bad.start();
    good.start();
    bad.inboxes.inbox!.send(1);
    expect((await bad.done).reason).toBe('failed');
    good.inboxes.inbox!.send(1);
    expect(out.received).toEqual([2]);
    expect(good.state).toBe('running');
    await good.shutdown();
    await out.shutdown();
  });
});

describe('Graphline', () => {
  const splitterBoxes = boxes({
    inboxes: { inbox: box<number>('numbers') },
    outboxes: { evens: box<number>('even numbers'), odds: box<number>('odd numbers') },
  });
  class Splitter extends Component<typeof splitterBoxes> {
    constructor() {
      super(splitterBoxes);
    }
    protected main(): void {
      this.on('inbox', (n) => this.send(n % 2 ? 'odds' : 'evens', n));
    }
  }

  it('links named children and passes its own boxes through', async () => {
    const before = snapshot();
    const g = new Graphline({ split: new Splitter(), half: map((n: number) => n / 2), triple: map((n: number) => n * 3) }, [
      ['self.inbox', 'split.inbox'],
      ['split.evens', 'half.inbox'],
      ['split.odds', 'triple.inbox'],
      ['half.outbox', 'self.outbox'],
      ['triple.outbox', 'self.tripled'],
    ]);
    expect(Object.keys(g.inboxes).sort()).toEqual(['control', 'inbox']);
    expect(Object.keys(g.outboxes).sort()).toEqual(['outbox', 'signal', 'tripled']);
    const halves = new Sink<number>().start();
    const triples = new Sink<number>().start();
    link(g.outboxes.outbox!, halves.inboxes.inbox);
    link(g.outboxes.tripled!, triples.inboxes.inbox);
    g.start();
    for (const n of [1, 2, 3, 4]) g.inboxes.inbox!.send(n);
    expect(halves.received).toEqual([1, 2]);
    expect(triples.received).toEqual([3, 9]);
    // split is the only head; producerFinished reaches it, and half and triple hear nothing: shut them down.
    await g.shutdown();
    await halves.shutdown();
    await triples.shutdown();
    await expectNoLeaks(before);
  });

  it('built again from the same links, follows them to the right boxes whatever the children are', async () => {
    // Links are followed by position once worked out; other children, or the same ones named in
    // another order, put the named boxes at other positions.
    const links = [
      ['self.inbox', 'first.inbox'],
      ['first.odds', 'second.inbox'],
      ['second.outbox', 'self.outbox'],
    ] as const;
    const run = async (children: Record<string, Component<any>>, input: number[]): Promise<number[]> => {
      const g = new Graphline(children, links as never);
      const out = new Sink<number>().start();
      link(g.outboxes.outbox!, out.inboxes.inbox);
      g.start();
      for (const n of input) g.inboxes.inbox!.send(n);
      await g.shutdown();
      await out.shutdown();
      return out.received;
    };
    class Odds extends Component<typeof oddsBoxes> {
      constructor() {
        super(oddsBoxes);
      }
      protected main(): void {
        this.on('inbox', (n) => this.send('odds', n * 100));
      }
    }
    const oddsBoxes = boxes({
      inboxes: { extra: box<number>('an inbox before the usual one'), inbox: box<number>('numbers') },
      outboxes: { odds: box<number>('every number, times 100') },
    });
    expect(await run({ first: new Splitter(), second: map((n: number) => n + 1) }, [1, 2, 3])).toEqual([2, 4]);
    expect(await run({ first: new Odds(), second: map((n: number) => n + 1) }, [1, 2])).toEqual([101, 201]);
    expect(await run({ second: map((n: number) => n - 1), first: new Splitter() }, [5, 6])).toEqual([4]);
    expect(await run({ first: new Splitter(), second: new Pipeline(map((n: number) => n * 2)) }, [7])).toEqual([14]);
    expect(await run({ first: new Splitter(), second: map((n: number) => n + 1) }, [9])).toEqual([10]);
  });

  it('refuses links to boxes that do not exist, with a clear message', () => {
    expect(() => new Graphline({ a: map((n: number) => n) }, [['a.nothing' as 'a.outbox', 'self.outbox']])).toThrow(
      /a has no outbox "nothing"/,
    );
    expect(() => new Graphline({ a: map((n: number) => n) }, [['b.outbox' as 'a.outbox', 'self.outbox']])).toThrow(/no child named "b"/);
  });
});

describe('Carousel', () => {
  it('runs a fresh child per message, contains failures, and finishes after its last child', async () => {
    const before = snapshot();
    const made: Component<any>[] = [];
    const c = new Carousel<number>(() => {
      const child = map((m: number) => {
        if (m === 13) throw new Error('unlucky');
        return m * m;
      });
      made.push(child);
      return child;
    });
    const out = new Sink<number>().start();
    const failures = new Sink<{ type: string }>().start();
    link(c.outboxes.outbox, out.inboxes.inbox);
    link(c.outboxes.failures, failures.inboxes.inbox);
    c.start();
    for (const n of [2, 13, 3]) c.inboxes.inbox.send(n);
    expect(out.received).toEqual([4, 9]);
    expect(new Set(made).size).toBe(3);
    await Promise.all(made.map((m) => m.done));
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures.received).toEqual([expect.objectContaining({ type: 'failed' })]);
    expect(c.state).toBe('running');
    c.inboxes.control.send(producerFinished);
    expect(await c.done).toEqual({ reason: 'finished' });
    await out.shutdown();
    await failures.shutdown();
    await expectNoLeaks(before);
  });

  it('told its input has ended while children run, finishes only after the last of them', async () => {
    const before = snapshot();
    const finishers: Array<() => void> = [];
    /** Answers when the test says so; ignores the end of its own input. */
    class Later extends Component<typeof defaultBoxes> {
      constructor() {
        super(defaultBoxes);
      }
      protected main(): void {
        this.on('inbox', (m) => finishers.push(() => (this.send('outbox', m), this.finish())));
      }
      protected override onControl(message: Lifecycle): void {
        if (message.type !== 'producerFinished') super.onControl(message);
      }
    }
    const c = new Carousel<number>(() => new Later());
    const out = new Sink<number>().start();
    link(c.outboxes.outbox, out.inboxes.inbox);
    c.start();
    c.inboxes.inbox.send(1);
    c.inboxes.inbox.send(2);
    c.inboxes.control.send(producerFinished);
    expect(c.state).toBe('running');
    finishers[0]!();
    expect(c.state).toBe('running');
    finishers[1]!();
    expect(await c.done).toEqual({ reason: 'finished' });
    expect(out.received).toEqual([1, 2]);
    await out.shutdown();
    await expectNoLeaks(before);
  });
});

describe('Backplane', () => {
  it('delivers what publishers send to every subscriber, within its registry only', async () => {
    const before = snapshot();
    const registry = new Backplanes();
    const other = new Backplanes();
    const hub = new Backplane('news', registry).start();
    const elsewhere = new Backplane('news', other).start();
    const pubA = new PublishTo('news', registry).start();
    const pubB = new PublishTo('news', registry).start();
    const sub1 = new SubscribeTo('news', registry).start();
    const sub2 = new SubscribeTo('news', registry).start();
    const strangers = new SubscribeTo('news', other).start();
    const got1 = new Sink<string>().start();
    const got2 = new Sink<string>().start();
    const got3 = new Sink<string>().start();
    link(sub1.outboxes.outbox, got1.inboxes.inbox);
    link(sub2.outboxes.outbox, got2.inboxes.inbox);
    link(strangers.outboxes.outbox, got3.inboxes.inbox);
    pubA.inboxes.inbox.send('a');
    pubB.inboxes.inbox.send('b');
    expect(got1.received).toEqual(['a', 'b']);
    expect(got2.received).toEqual(['a', 'b']);
    expect(got3.received).toEqual([]);
    expect(() => new Backplane('news', registry).start()).not.toThrow();
    for (const c of [hub, elsewhere, pubA, pubB, sub1, sub2, strangers, got1, got2, got3]) await c.shutdown();
    await expectNoLeaks(before);
  });

  it('a publisher with no backplane fails with a clear error', async () => {
    const ended = await new PublishTo('nowhere', new Backplanes()).start().done;
    expect(ended.reason).toBe('failed');
    expect(String((ended as { error: Error }).error)).toMatch(/no backplane named "nowhere"/);
  });
});
