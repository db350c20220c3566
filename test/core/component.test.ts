import { describe, expect, it } from 'vitest';
import { map as rxMap, toArray, firstValueFrom } from 'rxjs';
import { Box, box } from '../../src/core/box.js';
import { Component, boxes } from '../../src/core/component.js';
import { link, unlink } from '../../src/core/link.js';
import { producerFinished, shutdown, type Lifecycle } from '../../src/core/signals.js';
import { map } from '../../components/transform.js';
import { Sink } from '../../components/sink.js';
import { snapshot, expectNoLeaks } from '../helpers/leaks.js';
import { liveCounts } from '../../src/core/stats.js';
import { census } from '../../src/core/census.js';

const counterBoxes = boxes({
  inboxes: { inbox: box<number>('numbers'), reset: box<void>('start again from zero') },
  outboxes: { outbox: box<number>('running totals') },
});

class Totaliser extends Component<typeof counterBoxes> {
  total = 0;
  constructor() {
    super(counterBoxes);
  }
  protected main(): void {
    this.on('inbox', (n) => this.send('outbox', (this.total += n)));
    this.on('reset', () => (this.total = 0));
  }
}

describe('boxes', () => {
  it('declares control and signal by default, with descriptions', () => {
    const t = new Totaliser();
    expect(Object.keys(t.inboxes).sort()).toEqual(['control', 'inbox', 'reset']);
    expect(Object.keys(t.outboxes).sort()).toEqual(['outbox', 'signal']);
    expect(t.inboxes.reset.description).toBe('start again from zero');
    expect(t.inboxes.inbox.direction).toBe('in');
    expect(String(t.outboxes.outbox)).toMatch(/Totaliser#\d+\.outbox/);
  });

  it('drops and counts a message sent on an unlinked outbox', () => {
    const dropped = () =>
      census()
        .find((k) => k.className === 'Totaliser')
        ?.boxes.find((b) => b.name === 'outbox')?.dropped ?? 0;
    const before = dropped();
    const t = new Totaliser().start();
    t.inboxes.inbox.send(1);
    t.inboxes.inbox.send(2);
    expect(dropped() - before).toBe(2);
    expect(t.total).toBe(3);
    void t.shutdown();
  });

  it('links, delivers in order, and unlinks', () => {
    const t = new Totaliser().start();
    const s = new Sink<number>().start();
    const l = link(t.outboxes.outbox, s.inboxes.inbox);
    for (const n of [1, 2, 3]) t.inboxes.inbox.send(n);
    l.unlink();
    t.inboxes.inbox.send(4);
    expect(s.received).toEqual([1, 3, 6]);
    expect(l.linked).toBe(false);
    link(t.outboxes.outbox, s.inboxes.inbox);
    unlink(t.outboxes.outbox, s.inboxes.inbox);
    t.inboxes.inbox.send(5);
    expect(s.received).toEqual([1, 3, 6]);
    void t.shutdown();
    void s.shutdown();
  });

  it('delivers to several links in link order, through unlinking the first and closing one mid-way', async () => {
    const before = liveCounts();
    const seen: string[] = [];
    const sinks = ['a', 'b', 'c', 'd'].map((name) => new Sink<number>((n) => seen.push(`${name}${n}`)).start());
    const [a, b, c, d] = sinks as [Sink<number>, Sink<number>, Sink<number>, Sink<number>];
    const t = new Totaliser().start();
    const out = t.outboxes.outbox;
    for (const s of sinks) link(out, s.inboxes.inbox);
    t.inboxes.inbox.send(1);
    unlink(out, a.inboxes.inbox);
    t.inboxes.inbox.send(1);
    await c.shutdown();
    t.inboxes.inbox.send(1);
    link(out, a.inboxes.inbox);
    t.inboxes.inbox.send(1);
    unlink(out, b.inboxes.inbox);
    unlink(out, d.inboxes.inbox);
    t.inboxes.inbox.send(1);
    expect(seen).toEqual(['a1', 'b1', 'c1', 'd1', 'b2', 'c2', 'd2', 'b3', 'd3', 'b4', 'd4', 'a4', 'a5']);
    expect(out.fanout).toBe(1);
    await t.shutdown();
    for (const s of sinks) await s.shutdown();
    expect(liveCounts().links).toBe(before.links);
  });

  it('is an RxJS observable, completed when its component stops', async () => {
    const t = new Totaliser().start();
    const doubled = firstValueFrom(
      t.outboxes.outbox.pipe(
        rxMap((n) => n * 2),
        toArray(),
      ),
    );
    t.inboxes.inbox.send(1);
    t.inboxes.inbox.send(1);
    await t.shutdown();
    expect(await doubled).toEqual([2, 4]);
  });

  it('drops messages after its component stopped', async () => {
    const t = new Totaliser().start();
    await t.shutdown();
    t.inboxes.inbox.send(1);
    expect(t.total).toBe(0);
    expect(t.inboxes.inbox.closed).toBe(true);
  });
});

describe('component lifecycle', () => {
  it('finishes on producerFinished and says so on signal', async () => {
    const t = new Totaliser().start();
    const signals: Lifecycle[] = [];
    t.outboxes.signal.subscribe((m) => signals.push(m));
    t.inboxes.control.send(producerFinished);
    expect(await t.done).toEqual({ reason: 'finished' });
    expect(signals).toEqual([producerFinished]);
  });

  it('passes shutdown on', async () => {
    const t = new Totaliser().start();
    const signals: Lifecycle[] = [];
    t.outboxes.signal.subscribe((m) => signals.push(m));
    expect(await t.shutdown()).toEqual({ reason: 'shutdown' });
    expect(signals).toEqual([shutdown]);
  });

  it('contains an exception: reports it on signal and stops, the process goes on', async () => {
    const before = snapshot();
    const broken = map((n: number) => {
      if (n === 2) throw new Error('two is too many');
      return n;
    }).start();
    const survivor = new Totaliser().start();
    const out = new Sink<number>().start();
    link(broken.outboxes.outbox, out.inboxes.inbox);
    const signals: Lifecycle[] = [];
    broken.outboxes.signal.subscribe((m) => signals.push(m));
    broken.inboxes.inbox.send(1);
    broken.inboxes.inbox.send(2);
    broken.inboxes.inbox.send(3);
    const ended = await broken.done;
    expect(ended.reason).toBe('failed');
    expect(String((ended as { error: Error }).error.message)).toBe('two is too many');
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ type: 'failed', component: broken.name });
    expect(out.received).toEqual([1]);
    survivor.inboxes.inbox.send(5);
    expect(survivor.total).toBe(5);
    await survivor.shutdown();
    await out.shutdown();
    await expectNoLeaks(before);
  });

  it('fails when main() throws', async () => {
    const noBoxes = boxes({ inboxes: {}, outboxes: {} });
    class Bad extends Component<typeof noBoxes> {
      constructor() {
        super(noBoxes);
      }
      protected main(): void {
        throw new Error('cannot start');
      }
    }
    const ended = await new Bad().start().done;
    expect(ended).toMatchObject({ reason: 'failed' });
  });

  it('runs handlers to completion: a message that comes back round waits its turn', () => {
    const echoBoxes = boxes({
      inboxes: { inbox: box<number>('numbers') },
      outboxes: { outbox: box<number>('numbers, echoed') },
    });
    const log: string[] = [];
    class Echo extends Component<typeof echoBoxes> {
      constructor() {
        super(echoBoxes);
      }
      protected main(): void {
        this.on('inbox', (n) => {
          log.push(`start ${n}`);
          if (n < 3) this.send('outbox', n + 1);
          log.push(`end ${n}`);
        });
      }
    }
    const e = new Echo().start();
    link(e.outboxes.outbox, e.inboxes.inbox);
    e.inboxes.inbox.send(1);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    void e.shutdown();
  });

  it('releases what it owns, timers included, on every way of stopping', async () => {
    const before = snapshot();
    const released: string[] = [];
    const ownerBoxes = boxes({ inboxes: { inbox: box<'fail' | 'finish'>('what to do') }, outboxes: {} });
    class Owner extends Component<typeof ownerBoxes> {
      constructor(readonly label: string) {
        super(ownerBoxes);
      }
      protected main(): void {
        this.own(() => released.push(`${this.label}: first`));
        this.own(() => released.push(`${this.label}: second`));
        this.timer(60_000, () => released.push('never'));
        this.on('inbox', (what) => {
          if (what === 'fail') throw new Error('boom');
          this.finish();
        });
      }
    }
    const a = new Owner('a').start();
    const b = new Owner('b').start();
    const c = new Owner('c').start();
    a.inboxes.inbox.send('fail');
    b.inboxes.inbox.send('finish');
    await c.shutdown();
    expect(released).toEqual(['a: second', 'a: first', 'b: second', 'b: first', 'c: second', 'c: first']);
    await expectNoLeaks(before);
  });

  it('listens to an emitter at its boundary, with every argument, until it stops', async () => {
    const { EventEmitter } = await import('node:events');
    const emitter = new EventEmitter();
    const heard: unknown[] = [];
    class Listener extends Component {
      constructor() {
        super(boxes({ inboxes: {}, outboxes: {} }) as never);
      }
      protected main(): void {
        this.listen(emitter, 'one', (value: string) => {
          heard.push(['one', value]);
          // Re-entry: an event emitted from inside a handler waits for the handler to end.
          if (value === 'again') emitter.emit('one', 'inner');
          heard.push(['end of', value]);
        });
        this.listen(emitter, 'two', (code: number, signal: string) => heard.push(['two', code, signal]));
        this.listen(emitter, 'bad', () => {
          throw new Error('listener failed');
        });
      }
    }
    const l = new Listener().start();
    emitter.emit('one', 'a');
    emitter.emit('two', 1, 'SIGTERM');
    emitter.emit('one', 'again');
    expect(heard).toEqual([
      ['one', 'a'],
      ['end of', 'a'],
      ['two', 1, 'SIGTERM'],
      ['one', 'again'],
      ['end of', 'again'],
      ['one', 'inner'],
      ['end of', 'inner'],
    ]);
    emitter.emit('bad');
    expect(l.state).toBe('stopped');
    expect((await l.done).reason).toBe('failed');
    expect(emitter.listenerCount('one') + emitter.listenerCount('two') + emitter.listenerCount('bad')).toBe(0);
  });

  it('listens to an emitter it owns until it stops, and leaves the listener on to drop what comes after', async () => {
    const { EventEmitter } = await import('node:events');
    const emitter = new EventEmitter();
    const heard: unknown[] = [];
    class Owner extends Component {
      constructor() {
        super(boxes({ inboxes: {}, outboxes: {} }) as never);
      }
      protected main(): void {
        this.listenToOwn(emitter, 'data', (value: string) => heard.push(value));
        this.listenToOwn(emitter, 'error', (error: Error) => heard.push(error.message));
      }
    }
    const o = new Owner().start();
    emitter.emit('data', 'a');
    await o.shutdown();
    emitter.emit('data', 'late');
    // An 'error' with no listener would throw: the owned emitter's listener stays, and drops it.
    expect(() => emitter.emit('error', new Error('after the end'))).not.toThrow();
    expect(heard).toEqual(['a']);
    expect(emitter.listenerCount('data')).toBe(1);
  });

  it('a stopping parent stops its children without waiting for them, and each stops once', async () => {
    const stops: string[] = [];
    class Child extends Component {
      constructor(readonly label: string) {
        super(boxes({ inboxes: {}, outboxes: {} }) as never);
      }
      protected main(): void {
        this.own(() => stops.push(this.label));
      }
    }
    class Parent extends Component {
      constructor() {
        super(boxes({ inboxes: {}, outboxes: {} }) as never);
      }
      protected main(): void {
        this.adopt(new Child('x'));
        this.adopt(new Child('y'));
      }
    }
    const p = new Parent().start();
    await p.shutdown();
    await p.shutdown();
    expect(stops).toEqual(['x', 'y']);
  });
  it('a timer fires again when refreshed after it was cancelled or had fired', async () => {
    const before = snapshot();
    const fired: number[] = [];
    const timerBoxes = boxes({ inboxes: { inbox: box<'cancel' | 'refresh'>('what to do with the timer') }, outboxes: {} });
    class Timed extends Component<typeof timerBoxes> {
      constructor() {
        super(timerBoxes);
      }
      protected main(): void {
        const timer = this.timer(20, () => fired.push(Date.now()));
        this.on('inbox', (what) => (what === 'cancel' ? timer.cancel() : timer.refresh()));
      }
    }
    const t = new Timed().start();
    t.inboxes.inbox.send('cancel');
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).toHaveLength(0);
    t.inboxes.inbox.send('refresh');
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).toHaveLength(1);
    t.inboxes.inbox.send('refresh');
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).toHaveLength(2);
    t.inboxes.inbox.send('refresh');
    await t.shutdown();
    await expectNoLeaks(before);
  });

  it('a box made outside any component works as a plain stream', () => {
    const b = new Box<number>({ name: 'test' }, 'numbers', 'out', 'a loose box');
    const seen: number[] = [];
    const sub = b.subscribe((n) => seen.push(n));
    b.send(1);
    sub.unsubscribe();
    b.send(2);
    expect(seen).toEqual([1]);
  });
});
