import { afterEach, describe, expect, it } from 'vitest';
import { box } from '../../src/core/box.js';
import { census, censusOn, setCensus, type KindFigures } from '../../src/core/census.js';
import { Component, boxes } from '../../src/core/component.js';
import { link } from '../../src/core/link.js';
import { Pipeline } from '../../src/core/graph.js';
import { map } from '../../components/transform.js';
import { Sink } from '../../components/sink.js';

const echoBoxes = boxes({
  inboxes: { inbox: box<number>('numbers'), poke: box<void>('makes it fail') },
  outboxes: { outbox: box<number>('the same numbers'), spare: box<number>('never linked') },
});

class CensusEcho extends Component<typeof echoBoxes> {
  constructor() {
    super(echoBoxes);
  }
  protected main(): void {
    this.on('inbox', (n) => {
      this.send('outbox', n);
      this.send('spare', n);
    });
    this.on('poke', () => {
      throw new Error('poked');
    });
  }
}

/** A second class on the same spec object: counted apart. */
class OtherEcho extends CensusEcho {}

const figures = (className: string): KindFigures => census().find((k) => k.className === className)!;
const boxOf = (className: string, name: string) => figures(className).boxes.find((b) => b.name === name)!;

afterEach(() => setCensus(true));

describe('the census', () => {
  it('counts messages through each box of a class, drops, held messages, live instances and failures', async () => {
    const a = new CensusEcho();
    const b = new CensusEcho();
    const sink = new Sink<number>().start();
    link(a.outboxes.outbox, sink.inboxes.inbox);
    link(b.outboxes.outbox, sink.inboxes.inbox);
    // Sent before start: held by the inbox, delivered at start.
    a.inboxes.inbox.send(1);
    const before = { ...figures('CensusEcho') };
    expect(boxOf('CensusEcho', 'inbox').held).toBe(1);
    a.start();
    b.start();
    expect(figures('CensusEcho').live).toBe(2);
    expect(figures('CensusEcho').started).toBe(before.started + 2);
    for (let i = 0; i < 5; i++) b.inboxes.inbox.send(i);
    // Two components of one class share their counters, box by box.
    expect(boxOf('CensusEcho', 'inbox').sent).toBe(6);
    expect(boxOf('CensusEcho', 'outbox').sent).toBe(6);
    expect(boxOf('CensusEcho', 'spare')).toMatchObject({ sent: 0, dropped: 6 });
    expect(sink.received).toEqual([1, 0, 1, 2, 3, 4]);
    b.inboxes.poke.send(undefined);
    await b.done;
    expect(figures('CensusEcho')).toMatchObject({ live: 1, failed: 1 });
    await a.shutdown();
    expect(figures('CensusEcho')).toMatchObject({ live: 0, failed: 1 });
    await sink.shutdown();
  });

  it('tells apart classes that share a spec, and counts a pipeline child by its own class', async () => {
    const other = new OtherEcho().start();
    other.inboxes.inbox.send(7);
    expect(boxOf('OtherEcho', 'inbox').sent).toBe(1);
    await other.shutdown();
    const p = new Pipeline(
      map((x: number) => x + 1),
      map((x: number) => x * 2),
    );
    const sink = new Sink<number>().start();
    link(p.outboxes.outbox!, sink.inboxes.inbox);
    const transforms = () => census().filter((k) => k.className === 'Transform');
    const sentBefore = transforms().reduce((n, k) => n + k.boxes.find((b) => b.name === 'inbox')!.sent, 0);
    p.start();
    for (let i = 0; i < 3; i++) p.inboxes.inbox!.send(i);
    const sentAfter = transforms().reduce((n, k) => n + k.boxes.find((b) => b.name === 'inbox')!.sent, 0);
    // Three messages through each of the two transforms' inboxes.
    expect(sentAfter - sentBefore).toBe(6);
    expect(sink.received).toEqual([2, 4, 6]);
    await p.shutdown();
    await sink.shutdown();
  });

  it('counts nothing for components made while it is off', async () => {
    setCensus(false);
    expect(censusOn()).toBe(false);
    const before = boxOf('OtherEcho', 'inbox').sent;
    const quiet = new OtherEcho().start();
    expect(quiet.censusKind).toBeUndefined();
    quiet.inboxes.inbox.send(1);
    expect(boxOf('OtherEcho', 'inbox').sent).toBe(before);
    await quiet.shutdown();
  });
});
