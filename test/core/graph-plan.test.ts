/** GraphPlan: a graph described once by name, edited by name, built again and again. */
import { describe, expect, it } from 'vitest';
import { GraphPlan } from '../../src/core/graph-plan.js';
import { Sink } from '../../components/sink.js';
import { map } from '../../components/transform.js';
import { producerFinished } from '../../src/core/signals.js';

const numbers = () =>
  GraphPlan.of<number>(
    { double: () => map((n: number) => n * 2), sink: () => new Sink<number>() },
    [
      ['self.inbox', 'double.inbox'],
      ['double.outbox', 'sink.inbox'],
      ['double.signal', 'sink.control'],
    ],
    { name: (n) => `numbers#${n}` },
  );

async function run(plan: GraphPlan<number>, inputs: number[], context = 1) {
  const graph = plan.build(context);
  graph.start();
  for (const n of inputs) graph.inboxes.inbox!.send(n);
  graph.inboxes.control.send(producerFinished);
  await graph.done;
  return graph;
}

describe('GraphPlan', () => {
  it('builds a fresh graph from its factories each time, named from the context', async () => {
    const plan = numbers();
    const a = await run(plan, [1, 2], 7);
    const b = await run(plan, [3], 8);
    expect(a.name).toBe('numbers#7');
    expect((a.children.sink as Sink<number>).received).toEqual([2, 4]);
    expect((b.children.sink as Sink<number>).received).toEqual([6]);
    expect(a.children.sink).not.toBe(b.children.sink);
  });

  it('inserts a child between two others, on the data and the lifecycle links', async () => {
    const plan = numbers().insert('plusOne', () => map((n: number) => n + 1), { after: 'double', before: 'sink' });
    expect(plan.links).toContainEqual(['double.outbox', 'plusOne.inbox']);
    expect(plan.links).toContainEqual(['plusOne.signal', 'sink.control']);
    expect(plan.links).not.toContainEqual(['double.outbox', 'sink.inbox']);
    expect(plan.children.map((c) => c.name)).toEqual(['double', 'plusOne', 'sink']);
    const graph = await run(plan, [1, 2]);
    expect((graph.children.sink as Sink<number>).received).toEqual([3, 5]);
    // The plan it was made from is untouched.
    expect((await run(numbers(), [1])).children.sink).toMatchObject({ received: [2] });
  });

  it('replaces a child, keeping its name and links', async () => {
    const plan = numbers().replace('double', () => map((n: number) => n * 10));
    expect((await run(plan, [1, 2])).children.sink).toMatchObject({ received: [10, 20] });
  });

  it('taps a box: the tap hears every message, the others still do', async () => {
    const plan = numbers().tap('double.outbox', 'watch', () => new Sink<number>());
    const graph = await run(plan, [4, 5]);
    expect((graph.children.watch as Sink<number>).received).toEqual([8, 10]);
    expect((graph.children.sink as Sink<number>).received).toEqual([8, 10]);
  });

  it('removes a child with its links, and adds and drops links', () => {
    const plan = numbers().remove('sink');
    expect(plan.children.map((c) => c.name)).toEqual(['double']);
    expect(plan.links).toEqual([['self.inbox', 'double.inbox']]);
    const relinked = plan.link(['double.outbox', 'self.outbox']).unlink(['self.inbox', 'double.inbox']);
    expect(relinked.links).toEqual([['double.outbox', 'self.outbox']]);
  });

  it('refuses edits that name what is not there, with the names it has', () => {
    expect(() => numbers().insert('x', () => new Sink(), { after: 'sink', before: 'double' })).toThrow(
      /no link sink.outbox -> double.inbox/,
    );
    expect(() => numbers().replace('nope', () => new Sink())).toThrow(/no child named "nope" \(children: double, sink\)/);
    expect(() => numbers().tap('nope.outbox', 'w', () => new Sink())).toThrow(/no child named "nope"/);
    expect(() => numbers().unlink(['double.outbox', 'self.outbox'])).toThrow(/no link/);
    expect(() => numbers().insert('sink', () => new Sink(), { after: 'double', before: 'sink' })).toThrow(/two children named "sink"/);
    expect(() => GraphPlan.of({ a: () => new Sink() }, [['a.outbox', 'b.inbox']])).toThrow(/names no child "b"/);
  });

  it('describes itself as JSON: children with their roles, and links', () => {
    const view = GraphPlan.of({ a: { make: () => new Sink(), role: 'keeps' } }, [['self.inbox', 'a.inbox']], { title: 't' }).view();
    expect(JSON.parse(JSON.stringify(view))).toEqual({
      name: 't',
      children: [{ name: 'a', role: 'keeps' }],
      links: [['self.inbox', 'a.inbox']],
    });
  });
});
