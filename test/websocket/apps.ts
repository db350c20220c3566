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
 * "flood N" sends N messages of 64 KiB, one a turn, never waiting.
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
        // One message a turn of the event loop, whatever `writable` says: a broadcast that will not wait.
        let left = Number(rest[0]);
        const tick = this.timer(1, () => {
          this.send('outbox', Buffer.alloc(64 * 1024, left & 0xff));
          if (--left > 0) tick.refresh();
        });
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

/** Messages every counting echo has received, for tests of reading that stops. */
export const counted = { messages: 0 };

/** An echo that counts what it receives. */
export const countingEcho = () =>
  map((message: string | Buffer) => {
    counted.messages++;
    return message;
  });

const streamerBoxes = boxes({
  inboxes: {
    inbox: box<string | Buffer>('"stream N": send N chunks of 64 KiB'),
    writable: box<Writable>('whether to send'),
  },
  outboxes: { outbox: box<Outgoing>('the chunks') },
});

/** A producer that keeps to `writable`: it sends while the client reads, and waits while it does not. */
export class Streamer extends Component<typeof streamerBoxes> {
  private left = 0;
  private sent = 0;
  private writable = true;
  waits = 0;

  constructor() {
    super(streamerBoxes);
  }

  protected main(): void {
    this.on('inbox', (message) => {
      this.left = Number(String(message).split(' ')[1]);
      this.pump();
    });
    this.on('writable', (message) => {
      this.writable = message.writable;
      if (!message.writable) heard.push('streamer waits');
      this.pump();
    });
  }

  private pump(): void {
    while (this.writable && this.left > 0) {
      this.left--;
      this.send('outbox', Buffer.alloc(64 * 1024, this.sent++ & 0xff));
    }
  }
}
