/**
 * The end of a pipeline: hands every message to a function (or keeps it in
 * `received`), and finishes when its producer finishes. Handy in tests, and
 * to drain a graph's output into plain code.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';

const sinkBoxes = boxes({
  inboxes: { inbox: box<unknown>('messages to consume') },
  outboxes: {},
});

export class Sink<T = unknown> extends Component<typeof sinkBoxes> {
  /** Messages consumed, when no function was given. */
  readonly received: T[] = [];

  constructor(
    private readonly consume?: (message: T) => void,
    name?: string,
  ) {
    super(sinkBoxes, name);
  }

  protected main(): void {
    const consume = this.consume ?? ((message: T) => void this.received.push(message));
    this.on('inbox', (message) => consume(message as T));
  }
}

export const sink = <T>(consume?: (message: T) => void): Sink<T> => new Sink<T>(consume);
