/**
 * WebSocketDecoder: the reading side of an upgraded connection, the first
 * stage of its graph. Bytes from the client in (src/http/websocket-frames.ts
 * and websocket-messages.ts do the reading); whole messages out to the
 * component, `open` and `close` to the component's control, and to the
 * encoder what the client's side asks of the writing side: pongs, the
 * answer to its close, the code to fail it with.
 *
 * - Compressed messages are inflated one at a time, in order: what comes
 *   after one waits until it is out (pings are answered meanwhile).
 * - Backpressure: reading the socket pauses while the socket cannot take
 *   our writes (an echo of a client that floods and does not read would
 *   otherwise pile up), while a message is being inflated, and while the
 *   component says `pause` on its `flow` outbox, if it has one; so a
 *   flooding client waits in its TCP window and costs a socket read.
 * - An idle client (no byte for `pingInterval` ms) is pinged; one that says
 *   nothing for `pongTimeout` ms more is dropped.
 * - It finishes once the connection's input is over (the client's close, a
 *   violation, the end of its side): its `producerFinished` reaches the
 *   component's control, after the `close` event.
 */
import type { Box } from '../../src/core/box.js';
import { box } from '../../src/core/box.js';
import { Component, boxes, type OwnedTimer } from '../../src/core/component.js';
import { logRecord, type LogRecord } from '../../src/core/log.js';
import type { Lifecycle } from '../../src/core/signals.js';
import type { ConnectionInfo } from '../../src/core/connection-info.js';
import type { HttpRequest } from '../../src/http/messages.js';
import { FrameDecoder, type Frame, type Violation } from '../../src/http/websocket-frames.js';
import { MessageAssembler, decodeText, type Incoming } from '../../src/http/websocket-messages.js';
import type { DeflateParams } from '../../src/http/websocket-extensions.js';
import { pause, resume, type FlowControl, type Writable } from '../tcp-server/connection.js';
import { Inflater } from './deflate.js';
import type { PeerNews, WebSocketEvent } from './messages.js';
import type { ResolvedWebSocketOptions } from './options.js';

export const decoderBoxes = boxes({
  inboxes: {
    inbox: box<Buffer>('bytes from the client'),
    control: box<Lifecycle>("the socket's news: producerFinished (the client ended its side), shutdown (graceful: the server is stopping)"),
    writable: box<Writable>('from the socket: whether it takes our writes now (reading waits while it does not)'),
    appFlow: box<FlowControl>("from the component, if it has a flow outbox: pause or resume reading the client's messages"),
  },
  outboxes: {
    outbox: box<string | Buffer>('whole messages: text as strings, binary as Buffers'),
    events: box<WebSocketEvent>("open and close, for the component's control"),
    peer: box<PeerNews>('for the encoder: pongs owed, the answer to a close, the code to fail with'),
    flow: box<FlowControl>('pause or resume reading the socket'),
    log: box<LogRecord>('protocol violations and dead clients'),
  },
});

/** What the handshake agreed, for one connection. */
export interface WebSocketSession {
  readonly request: HttpRequest;
  readonly protocol: string | undefined;
  readonly deflate: DeflateParams | undefined;
}

export class WebSocketDecoder extends Component<typeof decoderBoxes> {
  /** The open event, until main() has sent it: nothing of the handshake request is kept after that. */
  private opening: WebSocketEvent | undefined;
  private readonly deflate: DeflateParams | undefined;
  private readonly where: Where;
  private readonly frames: FrameDecoder;
  private readonly messages: MessageAssembler;
  private inflater: Inflater | undefined = undefined;
  /** Nothing more is read once the client's close, a violation or the end of its side has come. */
  private over = false;
  private inflating = false;
  /** What came while a message was being inflated, in order (made when first needed). */
  private waiting: Incoming[] | undefined = undefined;
  private socketWritable = true;
  private appPaused = false;
  private paused = false;
  private idleTimer: OwnedTimer | undefined = undefined;
  private pongTimer: OwnedTimer | undefined = undefined;
  /** The frame decoder's callback, this decoder's `take`, made once. */
  private readonly onFrame = (frame: Frame): void => this.take(this.messages.frame(frame));

  constructor(
    session: WebSocketSession,
    private readonly options: ResolvedWebSocketOptions,
  ) {
    super(decoderBoxes);
    const { request, protocol, deflate } = session;
    this.opening = { type: 'open', request, protocol, extensions: deflate?.response ?? '' };
    this.deflate = deflate;
    this.where = whereOf(request);
    this.frames = new FrameDecoder({ maxFrame: options.maxFrame, compression: deflate !== undefined });
    this.messages = new MessageAssembler(options.maxMessage);
  }

  protected main(): void {
    this.on('inbox', this.onBytes);
    this.on('writable', this.onWritable);
    this.on('appFlow', this.onAppFlow);
    this.own(this.closeInflater);
    if (this.options.pingInterval > 0) this.idleTimer = this.timer(this.options.pingInterval, this.idle);
    this.send('events', this.opening!);
    this.opening = undefined;
  }

  private readonly closeInflater = (): void => this.inflater?.close();

  private onBytes(chunk: Buffer): void {
    if (this.over) return;
    // Any byte shows the client is there: the ping can wait, the pong is not needed.
    this.idleTimer?.refresh();
    if (this.pongTimer) {
      this.pongTimer.cancel();
      this.pongTimer = undefined;
    }
    const violation = this.frames.push(chunk, this.onFrame);
    if (violation) this.violated(violation);
  }

  /** What a frame completed: now, or after the message being inflated. */
  private take(incoming: Incoming | undefined): void {
    if (incoming === undefined || this.over) return;
    // Pings are answered at once, inflating or not: control frames stand apart from messages (RFC 6455 §5.5).
    if (incoming.type === 'ping') return this.send('peer', { type: 'pong', payload: incoming.payload });
    if (this.inflating) {
      (this.waiting ??= []).push(incoming);
      return;
    }
    this.handle(incoming);
  }

  private handle(incoming: Incoming): void {
    switch (incoming.type) {
      case 'message':
        return this.send('outbox', incoming.data);
      case 'compressed':
        return this.inflate(incoming.binary, incoming.data);
      case 'ping':
        return this.send('peer', { type: 'pong', payload: incoming.payload });
      case 'pong':
        return;
      case 'close':
        return this.closed(incoming.code, incoming.reason);
      case 'violation':
        return this.violated(incoming);
    }
  }

  private inflate(binary: boolean, data: Buffer): void {
    const deflate = this.deflate!;
    this.inflater ??= new Inflater(deflate.clientWindowBits, deflate.clientNoContextTakeover, this.options.maxMessage);
    this.inflating = true;
    this.updateFlow();
    this.inflater.inflate(data, (result) => this.run(() => this.inflated(binary, result)));
  }

  private inflated(binary: boolean, result: Buffer | Violation): void {
    this.inflating = false;
    if (this.over) return;
    if (!Buffer.isBuffer(result)) return this.violated(result);
    if (binary) this.send('outbox', result);
    else {
      const text = decodeText(result);
      if (text === undefined) return this.violated({ code: 1007, reason: 'a text message that is not UTF-8' });
      this.send('outbox', text);
    }
    // What came meanwhile, in order, until the next compressed message.
    const waiting = this.waiting;
    while (waiting && waiting.length > 0 && !this.inflating && !this.over) this.handle(waiting.shift()!);
    this.updateFlow();
  }

  /** The client's close (§5.5.1): the encoder answers it and ends the connection; the component hears of it. */
  private closed(code: number | undefined, reason: string): void {
    this.over = true;
    this.send('peer', { type: 'closed', code });
    this.end({ type: 'close', code: code ?? 1005, reason, clean: true });
  }

  /** The client broke the protocol: the connection is failed with the violation's code (§7.1.7). */
  private violated(violation: Violation): void {
    if (this.over) return;
    this.over = true;
    this.send('log', logRecord('errors', 'warn', `${this.who()}: ${violation.reason}: closing with ${violation.code}`));
    this.send('peer', { type: 'fail', code: violation.code, reason: violation.reason });
    this.end({ type: 'close', code: violation.code, reason: violation.reason, clean: false });
  }

  /** Tells the component, and finishes: its producerFinished follows the close event to the component's control. */
  private end(event: WebSocketEvent): void {
    this.waiting = undefined;
    this.send('events', event);
    this.finish();
  }

  private readonly idle = (): void => {
    if (this.over || this.pongTimer) return;
    this.send('peer', { type: 'ping' });
    this.pongTimer = this.timer(this.options.pongTimeout, () => {
      if (this.over) return;
      this.over = true;
      const reason = `no answer to a ping in ${this.options.pongTimeout} ms`;
      this.send('log', logRecord('monitor', 'info', `${this.who()}: ${reason}: dropped`));
      this.send('peer', { type: 'drop', reason });
      this.end({ type: 'close', code: 1006, reason, clean: false });
    });
  };

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'shutdown' && message.graceful) {
      // The server is stopping: close with 1001 and go on reading until the client answers.
      if (!this.over) this.send('peer', { type: 'goingAway' });
      return;
    }
    if (!this.over) {
      this.over = true;
      if (message.type === 'producerFinished') {
        // The client ended its side with no close frame: an abnormal closure (§7.1.5).
        this.send('peer', { type: 'ended' });
        return this.end({ type: 'close', code: 1006, reason: 'the client ended the connection without a close frame', clean: false });
      }
      // Shut now: the socket has gone, or a sibling failed (the encoder then says 1011), or the server stops at once.
      this.send('events', { type: 'close', code: 1006, reason: 'the connection closed', clean: false });
    }
    super.onControl(message);
  }

  private onWritable(message: Writable): void {
    this.socketWritable = message.writable;
    this.updateFlow();
  }

  private onAppFlow(message: FlowControl): void {
    if (message.type === 'linger') return;
    this.appPaused = message.type === 'pause';
    this.updateFlow();
  }

  private updateFlow(): void {
    const paused = !this.socketWritable || this.inflating || this.appPaused;
    if (paused === this.paused || this.over) return;
    this.paused = paused;
    (this.outboxes.flow as Box<FlowControl>).send(paused ? pause : resume);
  }

  private who(): string {
    return whoIs(this.where);
  }
}

/** What logs name a connection by: its client and path (not the whole request, which is let go after the handshake). */
export interface Where {
  readonly connection: ConnectionInfo;
  readonly path: string;
}

export function whereOf(request: HttpRequest): Where {
  return { connection: request.connection, path: request.path };
}

export function whoIs(where: Where): string {
  return `${where.connection.remoteAddress}: WebSocket ${where.path}`;
}
