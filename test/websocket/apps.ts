/** Components the WebSocket tests mount: an echo, and one that does what each message tells it and notes what its control hears. */
import { box } from '../../src/core/box.js';
import { Component, boxes } from '../../src/core/component.js';
import type { Lifecycle } from '../../src/core/signals.js';
import type { Writable } from '../../components/tcp-server/connection.js';
import type { Outgoing, WebSocketEvent } from '../../components/websocket/messages.js';
import { map } from '../../components/transform.js';

export const echo = () => map((message: string | Buffer) => message);

const obedientBoxes = boxes({
  inboxes: {
    inbox: box<string | Buffer>('the client says what to do'),
    control: box<Lifecycle | WebSocketEvent>('open, close, lifecycle'),
    writable: box<Writable>('whether to send'),
  },
  outboxes: { outbox: box<Outgoing>('what to send') },
});

/** What every Obedient component heard on control and writable, in order, for the test to read. */
export const heard: string[] = [];

/**
 * Echoes what it gets, except: "close CODE REASON" closes with that code,
 * "finish" finishes, "throw" throws, "bad" sends a number (not a message),
 * "flood N" sends N messages of 64 KiB without waiting.
 */
export class Obedient extends Component<typeof obedientBoxes> {
  constructor() {
    super(obedientBoxes);
  }

  protected main(): void {
    this.on('inbox', (message) => {
      if (typeof message !== 'string') return this.send('outbox', message);
      const [word, ...rest] = message.split(' ');
      if (word === 'close') return this.send('outbox', { type: 'close', code: Number(rest[0]), reason: rest.slice(1).join(' ') });
      if (word === 'finish') return this.finish();
      if (word === 'throw') throw new Error('the component failed on purpose');
      if (word === 'bad') return this.send('outbox', 42 as never);
      if (word === 'flood') {
        for (let i = 0; i < Number(rest[0]); i++) this.send('outbox', Buffer.alloc(64 * 1024, i & 0xff));
        return;
      }
      this.send('outbox', message);
    });
    this.on('writable', (message) => heard.push(`writable ${message.writable}`));
  }

  protected override onControl(message: Lifecycle | WebSocketEvent): void {
    if (message.type === 'open') heard.push(`open ${message.request.path} ${message.protocol ?? '-'} ${message.extensions || '-'}`);
    else if (message.type === 'close') heard.push(`close ${message.code} ${message.clean ? 'clean' : 'unclean'}`);
    else {
      heard.push(message.type);
      super.onControl(message);
    }
  }
}
