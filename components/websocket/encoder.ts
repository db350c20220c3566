/**
 * WebSocketEncoder: the writing side of an upgraded connection, the last
 * stage of its graph. The component's messages in (strings as text,
 * Uint8Arrays as binary, `{ type: 'close' }` to close), frames out to the
 * socket (src/http/websocket-frames.ts), compressed when permessage-deflate
 * was agreed and the message is worth it; and what the reading side owes
 * the client: pongs, pings, the answer to its close.
 *
 * It owns the end of the connection: its `signal` is the graph's. The close
 * handshake (RFC 6455 §7): the component finishing (or sending a close)
 * sends our close and waits up to `closeTimeout` for the client's; the
 * client's close is answered and the connection ended at once (the server
 * closes the TCP connection first, §7.1.1). A violation is failed with its
 * code and no wait. The component failing is closed with 1011.
 *
 * Backpressure: the component is told `writable: false` on `ready` while the
 * socket is full or messages wait to be compressed past `highWater`, and
 * `true` once neither holds. One that goes on sending regardless is cut off
 * once `maxBuffered` bytes have piled up for a client that does not read.
 */
import { box } from '../../src/core/box.js';
import { Component, boxes, type OwnedTimer } from '../../src/core/component.js';
import { logRecord, type LogRecord } from '../../src/core/log.js';
import { shutdown, type Ended, type Lifecycle } from '../../src/core/signals.js';
import type { DeflateParams } from '../../src/http/websocket-extensions.js';
import { closePayload, encodeFrame, encodeText, opcodes } from '../../src/http/websocket-frames.js';
import { isValidCloseCode } from '../../src/http/websocket-messages.js';
import type { Writable } from '../tcp-server/connection.js';
import { Deflater } from './deflate.js';
import { whereOf, whoIs, type WebSocketSession, type Where } from './decoder.js';
import type { Outgoing, PeerNews } from './messages.js';
import type { ResolvedWebSocketOptions } from './options.js';

export const encoderBoxes = boxes({
  inboxes: {
    inbox: box<Outgoing>("the component's messages: strings (text), Uint8Arrays (binary), { type: 'close', code?, reason? }"),
    control: box<Lifecycle>("the component's signal: when it finishes, the connection is closed (1000); when it fails, 1011"),
    peer: box<PeerNews>('from the decoder: pongs owed, pings, the answer to a close, the code to fail with'),
    writable: box<Writable>('from the socket: whether it takes more bytes now'),
  },
  outboxes: {
    outbox: box<Uint8Array>('frames for the client'),
    ready: box<Writable>("for the component's writable inbox: false while it should wait, true when it may send again"),
    log: box<LogRecord>('clients cut off for not reading, and messages that could not be sent'),
  },
});

/** A message waiting for the one before it to be compressed. */
type Queued = { readonly opcode: number; readonly payload: Uint8Array; readonly compress: boolean } | { readonly close: Uint8Array };

const nowWritable: Writable = Object.freeze({ type: 'writable', writable: true });
const nowFull: Writable = Object.freeze({ type: 'writable', writable: false });

export class WebSocketEncoder extends Component<typeof encoderBoxes> {
  private deflater: Deflater | undefined = undefined;
  /** Messages behind one being compressed, in order (made when first needed). */
  private queue: Queued[] | undefined = undefined;
  private compressing = false;
  /** Bytes of the queue and the message being compressed. */
  private queued = 0;
  private socketWritable = true;
  /** Bytes written since the socket filled up. */
  private backlog = 0;
  /** What the component was last told. */
  private ready = true;
  /** Our close is queued or written: nothing more from the component is sent. */
  private closing = false;
  private closeSent = false;
  private peerClosed = false;
  private closeTimer: OwnedTimer | undefined = undefined;
  private readonly deflate: DeflateParams | undefined;
  private readonly where: Where;

  constructor(
    session: WebSocketSession,
    private readonly options: ResolvedWebSocketOptions,
  ) {
    super(encoderBoxes);
    this.deflate = session.deflate;
    this.where = whereOf(session.request);
  }

  protected main(): void {
    this.on('inbox', this.onMessage);
    this.on('peer', this.onPeer);
    this.on('writable', this.onWritable);
    this.own(this.closeDeflater);
  }

  private readonly closeDeflater = (): void => this.deflater?.close();

  private onMessage(message: Outgoing): void {
    if (this.closing) return;
    if (typeof message === 'string') {
      // The common case: nothing ahead, nothing to compress: one buffer, the text encoded straight behind its header.
      if (this.deflate === undefined && this.queueEmpty()) return this.write(encodeText(message));
      const payload = Buffer.from(message, 'utf8');
      return this.enqueue({ opcode: opcodes.text, payload, compress: this.worthCompressing(payload.length) });
    }
    if (message instanceof Uint8Array) {
      return this.enqueue({ opcode: opcodes.binary, payload: message, compress: this.worthCompressing(message.length) });
    }
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'close') {
      const { code = 1000, reason = '' } = message;
      if (!isValidCloseCode(code) || typeof reason !== 'string') {
        this.log('error', `the component asked to close with ${JSON.stringify(code)}, which may not be sent: closing with 1011`);
        return this.closeWith(1011, '');
      }
      return this.closeWith(code, reason);
    }
    this.log('error', `the component sent ${describe(message)}, not a string, bytes or a close: closing with 1011`);
    this.closeWith(1011, '');
  }

  private deflateThreshold(): number {
    return this.options.deflate ? this.options.deflate.threshold : Number.POSITIVE_INFINITY;
  }

  private worthCompressing(length: number): boolean {
    return this.deflate !== undefined && length >= this.deflateThreshold();
  }

  private queueEmpty(): boolean {
    return !this.compressing && (this.queue === undefined || this.queue.length === 0);
  }

  /** Sends a message now if nothing is ahead of it and it needs no compressing; else queues it behind. */
  private enqueue(item: Queued): void {
    if (this.queueEmpty() && !('compress' in item && item.compress)) return this.writeQueued(item);
    (this.queue ??= []).push(item);
    this.queued += 'close' in item ? item.close.length : item.payload.length;
    this.updateReady();
    this.pump();
  }

  /** Works through the queue: one message compressed at a time, so they leave in order. */
  private pump(): void {
    const queue = this.queue;
    while (queue && queue.length > 0 && !this.compressing && this.running) {
      const item = queue[0]!;
      if ('compress' in item && item.compress) {
        this.compressing = true;
        this.compress(item.opcode, item.payload);
        return;
      }
      queue.shift();
      this.queued -= 'close' in item ? item.close.length : item.payload.length;
      this.writeQueued(item);
    }
    this.updateReady();
  }

  private compress(opcode: number, payload: Uint8Array): void {
    const deflate = this.deflate!;
    const settings = this.options.deflate as Exclude<ResolvedWebSocketOptions['deflate'], false>;
    this.deflater ??= new Deflater({
      windowBits: deflate.serverWindowBits,
      noContextTakeover: deflate.serverNoContextTakeover,
      level: settings.level,
      memLevel: settings.memLevel,
    });
    this.deflater.deflate(payload, (result) =>
      this.run(() => {
        this.compressing = false;
        if (!this.running) return;
        this.queue!.shift();
        this.queued -= payload.length;
        if (result instanceof Error) {
          this.log('error', `compressing a message failed: ${result.message}: closing with 1011`);
          this.queue = undefined;
          this.queued = 0;
          return this.closeWith(1011, '');
        }
        this.write(encodeFrame(opcode, result, true, true));
        this.pump();
      }),
    );
  }

  private writeQueued(item: Queued): void {
    if ('close' in item) return this.writeClose(item.close);
    this.write(encodeFrame(item.opcode, item.payload));
  }

  /** Writes a frame (one buffer, or a header and its payload), counting what piles up for a client that does not read. */
  private write(frame: Uint8Array | readonly [Uint8Array, Uint8Array]): void {
    const out = this.outboxes.outbox;
    let size: number;
    if (frame instanceof Uint8Array) {
      size = frame.length;
      out.send(frame);
    } else {
      size = frame[0].length + frame[1].length;
      out.send(frame[0]);
      out.send(frame[1]);
    }
    if (this.socketWritable) return;
    this.backlog += size;
    if (this.backlog + this.queued > this.options.maxBuffered) {
      this.log('warn', `the client is not reading: ${this.backlog + this.queued} bytes waiting, over ${this.options.maxBuffered}: dropped`);
      this.stop({ reason: 'shutdown' }, shutdown);
    }
  }

  private onWritable(message: Writable): void {
    this.socketWritable = message.writable;
    if (message.writable) this.backlog = 0;
    this.updateReady();
  }

  /** Tells the component whether to send, when that changes. */
  private updateReady(): void {
    const ready = this.socketWritable && this.queued < this.options.highWater && !this.closing;
    if (ready === this.ready || !this.running) return;
    this.ready = ready;
    this.send('ready', ready ? nowWritable : nowFull);
  }

  private onPeer(news: PeerNews): void {
    switch (news.type) {
      case 'pong':
        if (!this.closeSent) this.write(encodeFrame(opcodes.pong, news.payload));
        return;
      case 'ping':
        if (!this.closeSent) this.write(encodeFrame(opcodes.ping, Buffer.alloc(0)));
        return;
      case 'closed':
        this.peerClosed = true;
        // Our close was sent: the handshake is complete. Else answer with its code (§5.5.1), after what is queued.
        if (this.closeSent) return this.finish();
        if (!this.closing) this.closeWith(news.code ?? 1000, '', news.code === undefined);
        return;
      case 'fail':
        // §7.1.7: what waits is dropped; the close goes now and the connection ends without waiting for an answer.
        this.queue = undefined;
        this.queued = 0;
        if (!this.closeSent) this.writeClose(closePayload(news.code, news.reason));
        return this.finish();
      case 'goingAway':
        return this.closeWith(1001, 'the server is going away');
      case 'ended':
        return this.finish();
      case 'drop':
        return this.stop({ reason: 'shutdown' }, shutdown);
    }
  }

  /** Queues our close behind what is being sent. `empty`: answer a close that had no code with none. */
  private closeWith(code: number, reason: string, empty = false): void {
    if (this.closing) return;
    this.closing = true;
    this.enqueue({ close: empty ? closePayload(undefined) : closePayload(code, reason) });
  }

  private writeClose(payload: Uint8Array): void {
    this.closing = true;
    this.closeSent = true;
    this.write(encodeFrame(opcodes.close, payload));
    if (!this.running) return;
    if (this.peerClosed) return this.finish();
    // §7.1.1: wait a while for the client's close, then close the TCP connection anyway.
    this.closeTimer ??= this.timer(this.options.closeTimeout, () => {
      this.send('log', logRecord('monitor', 'info', `${this.who()}: no close from the client in ${this.options.closeTimeout} ms`));
      this.finish();
    });
  }

  /**
   * The component has stopped (called as it stops, before its graph stops
   * the rest): a failure is logged, with its stack, and the client told
   * 1011 (RFC 6455 §7.4.1), and the connection ends.
   */
  componentEnded(ended: Ended): void {
    if (ended.reason !== 'failed') return;
    this.run(() => {
      const error = ended.error;
      const stack = error instanceof Error ? { stack: error.stack } : undefined;
      this.send(
        'log',
        logRecord(
          'errors',
          'error',
          `${this.who()}: the component failed: ${error instanceof Error ? error.message : String(error)}`,
          stack,
        ),
      );
      if (!this.closeSent) this.writeClose(closePayload(1011, ''));
      this.finish();
    });
  }

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'producerFinished' || (message.type === 'shutdown' && message.graceful)) {
      // The component has finished: close normally (§7.4.1), after what it sent.
      this.closeWith(1000, '');
      return;
    }
    // A shutdown that the decoder did not explain (it says when the client went or must be dropped):
    // the decoder failed (the component's failure comes to componentEnded first). The client is told so.
    if (!this.closeSent && this.running) this.writeClose(closePayload(1011, ''));
    this.finish();
  }

  private log(level: 'warn' | 'error', message: string): void {
    this.send('log', logRecord('errors', level, `${this.who()}: ${message}`));
  }

  private who(): string {
    return whoIs(this.where);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `a ${typeof value}`;
}
