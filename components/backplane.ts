/**
 * Kamaelia's Backplane: a named hub that any number of components publish to
 * and subscribe to, without knowing one another. `new Backplane("errors")`
 * runs the hub; `new PublishTo("errors")` sends what reaches its inbox to the
 * hub; `new SubscribeTo("errors")` sends on its outbox everything published.
 * Names live in a registry (`Backplanes`), one per server, so that two servers
 * in one process do not hear each other.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import { link } from '../src/core/link.js';

export class Backplanes {
  private readonly hubs = new Map<string, Backplane<unknown>>();

  /** The hub of that name, if one is running. */
  get(name: string): Backplane<unknown> | undefined {
    return this.hubs.get(name);
  }

  /** @internal Backplanes register themselves while they run. */
  register(hub: Backplane<unknown>): () => void {
    if (this.hubs.has(hub.topic)) throw new Error(`a backplane named "${hub.topic}" is already running`);
    this.hubs.set(hub.topic, hub);
    return () => {
      if (this.hubs.get(hub.topic) === hub) this.hubs.delete(hub.topic);
    };
  }
}

/** The registry used when none is given. */
export const backplanes = new Backplanes();

const backplaneBoxes = boxes({
  inboxes: { inbox: box<unknown>('messages published to the hub') },
  outboxes: { outbox: box<unknown>('every message published, for the subscribers') },
});

export class Backplane<T = unknown> extends Component<typeof backplaneBoxes> {
  constructor(
    readonly topic: string,
    private readonly registry: Backplanes = backplanes,
  ) {
    super(backplaneBoxes, `Backplane(${topic})`);
  }

  protected main(): void {
    this.own(this.registry.register(this as Backplane<unknown>));
    const outbox = this.outboxes.outbox;
    this.on('inbox', (message) => outbox.send(message as T));
  }
}

function findHub(registry: Backplanes, topic: string): Backplane<unknown> {
  const hub = registry.get(topic);
  if (!hub) throw new Error(`no backplane named "${topic}" is running: start a Backplane("${topic}") first`);
  return hub;
}

const publishBoxes = boxes({
  inboxes: { inbox: box<unknown>('messages to publish') },
  outboxes: { outbox: box<unknown>('linked to the hub: what this component publishes') },
});

export class PublishTo<T = unknown> extends Component<typeof publishBoxes> {
  constructor(
    readonly topic: string,
    private readonly registry: Backplanes = backplanes,
  ) {
    super(publishBoxes, `PublishTo(${topic})`);
  }

  protected main(): void {
    const hub = findHub(this.registry, this.topic);
    this.own(link(this.outboxes.outbox, hub.inboxes.inbox));
    const outbox = this.outboxes.outbox;
    this.on('inbox', (message) => outbox.send(message as T));
  }
}

const subscribeBoxes = boxes({
  inboxes: {},
  outboxes: { outbox: box<unknown>('every message published to the hub') },
});

export class SubscribeTo<T = unknown> extends Component<typeof subscribeBoxes> {
  declare readonly __message?: T;

  constructor(
    readonly topic: string,
    private readonly registry: Backplanes = backplanes,
  ) {
    super(subscribeBoxes, `SubscribeTo(${topic})`);
  }

  protected main(): void {
    const hub = findHub(this.registry, this.topic);
    this.own(link(hub.outboxes.outbox, this.outboxes.outbox));
  }
}
