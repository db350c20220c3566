/**
 * One accepted socket as a component: the bytes the peer sends leave on
 * `outbox`, the bytes that reach `inbox` are written to the peer.
 *
 * Backpressure both ways: the consumer of `outbox` pauses and resumes reading
 * through `flow` (a paused socket stops reading, so the peer's TCP window
 * fills and the peer waits); and `writable` says `false` as soon as the
 * socket's write buffer is full and `true` once it has drained, so producers
 * know to wait. A peer that does not read for `writeTimeout` ms is cut off.
 *
 * Lifecycle: when the peer ends its side, `producerFinished` goes out on
 * `signal`; when `producerFinished` comes in on `control`, the socket is ended
 * once everything written has been flushed; when the socket closes, for
 * whatever reason, `shutdown` goes out so that the protocol stops whatever it
 * is still doing.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { box } from '../../src/core/box.js';
import { Component, boxes, type OwnedTimer } from '../../src/core/component.js';
import { endsInput, producerFinished, shutdown, type Lifecycle } from '../../src/core/signals.js';
import type { ConnectionInfo } from '../../src/core/connection-info.js';
import type { ProxyHeader } from '../../src/http/proxy-protocol.js';

export type { ConnectionInfo, PeerCertificate } from '../../src/core/connection-info.js';
import type { PeerCertificate } from '../../src/core/connection-info.js';

/**
 * From the protocol: pause or resume reading; or `linger`: when the
 * connection ends, the peer may still be sending, so half-close and read
 * (and drop) what comes until the peer closes, rather than closing at once
 * and having its stack answer our response with a reset (RFC 9112 §9.6); or
 * `drop`: the peer is taken for gone, so close now, exactly as if it had
 * reset the connection (the protocol then stops whatever it is doing).
 */
export type FlowControl =
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'linger' }
  | { readonly type: 'drop' };
export const pause: FlowControl = Object.freeze({ type: 'pause' });
export const resume: FlowControl = Object.freeze({ type: 'resume' });
export const linger: FlowControl = Object.freeze({ type: 'linger' });
export const drop: FlowControl = Object.freeze({ type: 'drop' });

export interface Writable {
  readonly type: 'writable';
  readonly writable: boolean;
}
const nowWritable: Writable = Object.freeze({ type: 'writable', writable: true });
const nowFull: Writable = Object.freeze({ type: 'writable', writable: false });

/**
 * From the protocol, once it has switched protocols (an HTTP 101 written):
 * the graph that takes the connection over from it, the bytes already read
 * that belong to that graph, and whether the peer had ended its side. The
 * server links the socket to the new graph as it was linked to the old
 * one, and stops the old one (which waits for that, so that nothing it
 * says as it ends reaches the socket).
 */
export interface Handover {
  readonly type: 'handover';
  readonly protocol: Component<any>;
  readonly buffered: Uint8Array;
  readonly peerEnded: boolean;
}

export const tcpConnectionBoxes = boxes({
  inboxes: {
    inbox: box<string | Uint8Array>('bytes to write to the peer, in order'),
    control: box<Lifecycle>('producerFinished: end the connection once all is written; shutdown: close it now'),
    flow: box<FlowControl>('pause or resume reading, linger at the end, or drop the connection now; from the protocol'),
    handover: box<Handover>('from the protocol: the graph the connection switches to'),
  },
  outboxes: {
    outbox: box<Buffer>('bytes read from the peer'),
    signal: box<Lifecycle>('producerFinished: the peer ended its side; shutdown: the connection was lost'),
    writable: box<Writable>('false once the write buffer is full, true again when it has drained'),
  },
});

export interface TcpConnectionOptions {
  /** Milliseconds a full write buffer may wait for the peer to read before the connection is cut. */
  readonly writeTimeout?: number;
  /** Milliseconds to wait for the peer to close after we ended our side. */
  readonly lingerTimeout?: number;
  /** @internal Who links the connection to the graph it switches to (its server). */
  readonly handover?: (connection: TcpConnection, message: Handover) => void;
}

let connectionSerial = 0;

/**
 * One listening interface's figures: its connections now and since start,
 * and how many of them backpressure holds. The TCP server keeps one per
 * interface; each connection counts itself in and out of `paused` and
 * `blocked`, so they are exact at any moment.
 */
export class ListenerFigures {
  accepted = 0;
  refused = 0;
  open = 0;
  /** Connections whose reading is paused because their consumer is behind (a request body not being read). */
  paused = 0;
  /** Connections whose write buffer is full because the peer is not reading. */
  blocked = 0;

  constructor(
    /** Its place in the order the interfaces were given. */
    readonly index: number,
  ) {}
}

/** What a connection accepted outside any TCP server counts into. */
const looseFigures = new ListenerFigures(0);

export class TcpConnection extends Component<typeof tcpConnectionBoxes> {
  readonly info: ConnectionInfo;
  private ending = false;
  private lingering = false;
  private isWritable = true;
  /** Reading is paused (counted in `figures.paused`). */
  private paused = false;
  private writeTimer: OwnedTimer | undefined = undefined;
  /** @internal What the server that accepted it keeps of it. */
  record: unknown = undefined;

  constructor(
    private readonly socket: Socket,
    private readonly options: TcpConnectionOptions = {},
    /** The figures of the interface that accepted it. */
    private readonly figures: ListenerFigures = looseFigures,
    /** What a PROXY protocol header said of the connection, on an interface that takes one. */
    header?: ProxyHeader,
  ) {
    const info = new SocketInfo(socket, figures.index, header);
    super(tcpConnectionBoxes, `TcpConnection#${info.id}`);
    this.info = info;
  }

  protected main(): void {
    const socket = this.socket;
    this.own(this.destroySocket);
    // Handlers are methods, not closures: they are called with this component as `this`, and a server makes one of these per connection.
    this.listenToOwn(socket, 'data', this.onData);
    this.listenToOwn(socket, 'end', this.onEnd);
    this.listenToOwn(socket, 'error', onError);
    this.listenToOwn(socket, 'close', this.onClose);
    this.listenToOwn(socket, 'drain', this.onDrain);
    this.on('inbox', this.write);
    this.on('flow', this.onFlow);
    this.on('handover', this.onHandover);
  }

  /** Whether the socket takes more bytes now (a graph switched to starts knowing it). */
  get writableNow(): boolean {
    return this.isWritable;
  }

  /** What it owns: the socket, and its place in the interface's backpressure figures. */
  private readonly destroySocket = (): void => {
    if (!this.socket.destroyed) this.socket.destroy();
    if (this.paused) this.figures.paused--;
    if (!this.isWritable) this.figures.blocked--;
    this.paused = false;
    this.isWritable = true;
  };

  private onData(chunk: Buffer): void {
    this.send('outbox', chunk);
  }

  private onEnd(): void {
    if (!this.ending) this.send('signal', producerFinished);
  }

  /** Once the socket is gone nothing more can be written: whatever the protocol is still doing stops. */
  private onClose(): void {
    this.stop({ reason: this.ending ? 'finished' : 'shutdown' }, shutdown);
  }

  private onDrain(): void {
    if (this.isWritable) return;
    this.isWritable = true;
    this.figures.blocked--;
    this.writeTimer?.cancel();
    this.send('writable', nowWritable);
  }

  private write(bytes: string | Uint8Array): void {
    const socket = this.socket;
    if (socket.destroyed || this.ending) return;
    if (!socket.write(bytes) && this.isWritable) {
      this.isWritable = false;
      this.figures.blocked++;
      this.stallTimer().refresh();
      this.send('writable', nowFull);
    }
  }

  private onFlow(message: FlowControl): void {
    if (message.type === 'drop') this.socket.destroy();
    else if (message.type === 'linger') this.lingering = true;
    else if (this.ending) return;
    else if (message.type === 'pause') {
      this.socket.pause();
      if (!this.paused) this.figures.paused++;
      this.paused = true;
    } else {
      this.socket.resume();
      if (this.paused) this.figures.paused--;
      this.paused = false;
    }
  }

  private onHandover(message: Handover): void {
    const handover = this.options.handover;
    // A connection that is ending switches to nothing: the graph is let go unstarted.
    if (!handover || this.ending || this.socket.destroyed) message.protocol.askToStop();
    else handover(this, message);
  }

  protected override onControl(message: Lifecycle): void {
    if (endsInput(message)) {
      this.endGracefully();
      return;
    }
    super.onControl(message);
  }

  private endGracefully(): void {
    if (this.ending) return;
    this.ending = true;
    const socket = this.socket;
    if (socket.destroyed) {
      this.stop({ reason: 'finished' });
      return;
    }
    if (!this.lingering) {
      // Nothing more is expected from the peer: close once our last bytes are out.
      socket.destroySoon();
    } else {
      // The peer may still be sending: half-close, and read and drop what comes until it closes.
      socket.end();
      socket.resume();
      this.timer(this.options.lingerTimeout ?? 5_000, () => socket.destroy());
    }
    if (!this.isWritable) this.stallTimer().refresh();
  }

  private stallTimer(): OwnedTimer {
    this.writeTimer ??= this.timer(this.options.writeTimeout ?? 10_000, () => {
      if (!this.isWritable) this.socket.destroy(new Error('write timeout: the peer stopped reading'));
    });
    return this.writeTimer;
  }
}

/**
 * What the protocol knows of the connection. The peer is read at accept
 * (logs name it after the socket has gone); the local address and the
 * certificate are asked of the socket the first time they are read (each is
 * a system call or more). Behind a PROXY protocol relay, the addresses are
 * those its header gave (when it gave any), and the relay's own is `relay`.
 */
class SocketInfo implements ConnectionInfo {
  readonly id = ++connectionSerial;
  readonly secure: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly family: 'IPv4' | 'IPv6';
  readonly listener: number;
  readonly relay: { readonly address: string; readonly port: number } | undefined = undefined;
  private local: { address: string; port: number } | undefined = undefined;
  private certificate: PeerCertificate | undefined | null = null;

  constructor(
    private readonly socket: Socket,
    listener: number,
    header?: ProxyHeader,
  ) {
    this.listener = listener;
    this.secure = (socket as TLSSocket).encrypted === true;
    const raw = socket.remoteAddress ?? '';
    this.remoteAddress = stripMappedPrefix(raw);
    this.remotePort = socket.remotePort ?? 0;
    // An IPv4 peer on a dual-stack socket (its address stripped of ::ffff:) is IPv4.
    this.family = socket.remoteFamily === 'IPv6' && this.remoteAddress === raw ? 'IPv6' : 'IPv4';
    // LOCAL is the relay speaking for itself (a health check): the socket's addresses are the truth.
    if (header?.command !== 'PROXY') return;
    this.relay = { address: this.remoteAddress, port: this.remotePort };
    if (header.source && header.destination) {
      this.remoteAddress = header.source.address;
      this.remotePort = header.source.port;
      this.family = header.source.family;
      this.local = { address: header.destination.address, port: header.destination.port };
    }
  }

  private get self(): { address: string; port: number } {
    this.local ??= { address: stripMappedPrefix(this.socket.localAddress ?? ''), port: this.socket.localPort ?? 0 };
    return this.local;
  }

  get localAddress(): string {
    return this.self.address;
  }
  get localPort(): number {
    return this.self.port;
  }

  get peerCertificate(): PeerCertificate | undefined {
    if (this.certificate === null) this.certificate = this.secure ? readCertificate(this.socket as TLSSocket) : undefined;
    return this.certificate;
  }
}

function readCertificate(socket: TLSSocket): PeerCertificate | undefined {
  const cert = socket.authorized ? socket.getPeerCertificate() : undefined;
  if (!cert?.subject) return undefined;
  return {
    subject: { ...cert.subject },
    issuer: { ...cert.issuer },
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
  };
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; logs and CGI want a.b.c.d. */
/** 'close' follows an error; a reset peer is not our failure. */
function onError(): void {}

function stripMappedPrefix(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
