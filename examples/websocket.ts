// examples/websocket.ts: WebSocket endpoints (docs/websocket.md), each tested in
// test/websocket/examples.test.ts:
// - an echo: any component with an inbox and an outbox will do;
// - a ticker that keeps to backpressure: it sends while the client reads,
//   waits on `writable`, hears `open` and `close` on its control, and ends
//   the connection with a close of its own after a number of ticks.
import {
  Component,
  box,
  boxes,
  createServer,
  map,
  type Lifecycle,
  type OwnedTimer,
  type Outgoing,
  type WebSocketEvent,
  type Writable,
} from 'boxwire';

/** Echoes every message: text stays text, binary stays binary. */
export const echo = () => map((message: string | Buffer) => message);

const tickerBoxes = boxes({
  inboxes: {
    inbox: box<string | Buffer>('"stop": close now'),
    control: box<Lifecycle | WebSocketEvent>('open and close, then the lifecycle'),
    writable: box<Writable>('whether the client is reading'),
  },
  outboxes: { outbox: box<Outgoing>('ticks, then a close') },
});

/** Sends a tick every `ms` while the client keeps up, `count` of them, then closes with 4000. */
export class Ticker extends Component<typeof tickerBoxes> {
  private sent = 0;
  private writable = true;
  private ticks: OwnedTimer | undefined;

  constructor(
    private readonly count: number,
    private readonly ms: number,
  ) {
    super(tickerBoxes);
  }

  protected main(): void {
    this.on('inbox', (message) => {
      if (message === 'stop') this.send('outbox', { type: 'close', code: 4000, reason: 'stopped' });
    });
    this.on('writable', (message) => {
      this.writable = message.writable;
      // Ticks missed while the client was not reading start again once it is.
      if (this.writable) this.ticks?.refresh();
    });
  }

  protected override onControl(message: Lifecycle | WebSocketEvent): void {
    if (message.type === 'open') {
      const name = message.protocol ?? 'tick';
      this.ticks = this.timer(this.ms, () => {
        if (!this.writable) return;
        this.send('outbox', `${name} ${++this.sent}`);
        if (this.sent === this.count) this.send('outbox', { type: 'close', code: 4000, reason: 'that is all' });
        else this.ticks!.refresh();
      });
      return;
    }
    // The connection is over: producerFinished follows on control, and ends this component.
    if (message.type === 'close') return;
    super.onControl(message);
  }
}

/** A server with both: ws://127.0.0.1:8080/echo and ws://127.0.0.1:8080/ticks. */
export function websocketServer(port = 8080) {
  return createServer({
    port,
    routes: [
      { path: '/echo', websocket: echo },
      { path: '/ticks', websocket: () => new Ticker(5, 100), protocols: ['ticks.v1'] },
    ],
  });
}
