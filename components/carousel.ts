/**
 * Runs a fresh child component for each message it is given: the child is
 * made by the factory from the message, receives the message on its inbox
 * followed by `producerFinished` on its control (it gets nothing else), and
 * whatever it sends on its outbox leaves on the carousel's outbox. Children
 * run side by side; one that fails is reported on `failures` and the others
 * go on. The carousel finishes once its producer has finished and its last
 * child has stopped. This is what a router needs per request.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import { link } from '../src/core/link.js';
import { failed, type Failed } from '../src/core/signals.js';

const carouselBoxes = boxes({
  inboxes: { inbox: box<unknown>('messages; each one starts a fresh child') },
  outboxes: {
    outbox: box<unknown>('what the children send on their outboxes'),
    failures: box<Failed>('children that failed; the carousel itself goes on'),
  },
});

export class Carousel<A = unknown> extends Component<typeof carouselBoxes> {
  private active = 0;

  constructor(
    private readonly factory: (message: A) => Component<any>,
    name?: string,
  ) {
    super(carouselBoxes, name);
    this.finishOnceIdle(() => this.active > 0);
  }

  /** Children running now. */
  get children(): number {
    return this.active;
  }

  protected main(): void {
    this.on('inbox', (message) => {
      const child = this.factory(message as A);
      link(child.outboxes.outbox as never, this.outboxes.outbox);
      this.active++;
      this.runChild(child, message, (ended) => {
        this.active--;
        if (ended.reason === 'failed') this.send('failures', failed(child.name, ended.error));
        this.finishIfIdle();
      });
    });
  }
}
