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
 * once everything written has been flushed; when the connection is lost,
 * `shutdown` goes out so that the protocol stops what it was doing.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { box } from '../../src/core/box.js';
import { Component, boxes, type OwnedTimer } from '../../src/core/component.js';
import { producerFinished, shutdown, type Lifecycle } from '../../src/core/signals.js';

export type FlowControl = { readonly type: 'pause' } | { readonly type: 'resume' };
export const pause: FlowControl = Object.freeze({ type: 'pause' });
export const resume: FlowControl = Object.freeze({ type: 'resume' });

export interface Writable {
  readonly type: 'writable';
  readonly writable: boolean;
}
const nowWritable: Writable = Object.freeze({ type: 'writable', writable: true });
const nowFull: Writable = Object.freeze({ type: 'writable', writable: false });

export interface PeerCertificate {
  /** The subject's fields (CN, O, OU, ...), as the certificate gives them. */
  readonly subject: Readonly<Record<string, string | string[] | undefined>>;
  readonly issuer: Readonly<Record<string, string | string[] | undefined>>;
  readonly serialNumber: string;
  readonly fingerprint256: string;
  readonly validFrom: string;
  readonly validTo: string;
}

export interface ConnectionInfo {
  /** A number unique within the process. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly family: 'IPv4' | 'IPv6';
  readonly secure: boolean;
  /** TLS connections: the client certificate, when one was presented and verified. */
  readonly peerCertificate?: PeerCertificate;
}

export const tcpConnectionBoxes = boxes({
  inboxes: {
    inbox: box<string | Uint8Array>('bytes to write to the peer, in order'),
    control: box<Lifecycle>('producerFinished: end the connection once all is written; shutdown: close it now'),
    flow: box<FlowControl>('pause or resume reading, from whoever consumes outbox'),
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
}

let connectionSerial = 0;

export class TcpConnection extends Component<typeof tcpConnectionBoxes> {
  readonly info: ConnectionInfo;
  private ending = false;
  private isWritable = true;
  private writeTimer: OwnedTimer | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly options: TcpConnectionOptions = {},
  ) {
    const info = describe(socket);
    super(tcpConnectionBoxes, `TcpConnection#${info.id}`);
    this.info = info;
  }

  protected main(): void {
    const socket = this.socket;
    this.own(() => {
      if (!socket.destroyed) socket.destroy();
    });
    const outbox = this.outboxes.outbox;
    this.listen(socket, 'data', (chunk: Buffer) => outbox.send(chunk));
    this.listen(socket, 'end', () => {
      if (!this.ending) this.send('signal', producerFinished);
    });
    this.listen(socket, 'error', () => {
      // 'close' follows; a reset peer is not our failure.
    });
    this.listen(socket, 'close', () => {
      if (this.ending) this.stop({ reason: 'finished' });
      else this.stop({ reason: 'shutdown' }, shutdown);
    });
    this.listen(socket, 'drain', () => {
      if (this.isWritable) return;
      this.isWritable = true;
      this.writeTimer?.cancel();
      this.send('writable', nowWritable);
    });
    this.on('inbox', (bytes) => {
      if (socket.destroyed || this.ending) return;
      if (!socket.write(bytes) && this.isWritable) {
        this.isWritable = false;
        this.stallTimer().refresh();
        this.send('writable', nowFull);
      }
    });
    this.on('flow', (message) => {
      if (this.ending) return;
      if (message.type === 'pause') socket.pause();
      else socket.resume();
    });
  }

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'producerFinished' || (message.type === 'shutdown' && message.graceful)) {
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
    socket.end();
    // Whatever the peer still sends is of no use now; read it so it is not stuck.
    socket.resume();
    const linger = this.options.lingerTimeout ?? 5_000;
    this.timer(linger, () => socket.destroy());
    if (!this.isWritable) this.stallTimer().refresh();
  }

  private stallTimer(): OwnedTimer {
    this.writeTimer ??= this.timer(this.options.writeTimeout ?? 10_000, () => {
      if (!this.isWritable) this.socket.destroy(new Error('write timeout: the peer stopped reading'));
    });
    return this.writeTimer;
  }
}

function describe(socket: Socket): ConnectionInfo {
  const secure = (socket as TLSSocket).encrypted === true;
  const base = {
    id: ++connectionSerial,
    remoteAddress: stripMappedPrefix(socket.remoteAddress ?? ''),
    remotePort: socket.remotePort ?? 0,
    localAddress: stripMappedPrefix(socket.localAddress ?? ''),
    localPort: socket.localPort ?? 0,
    family: socket.remoteFamily === 'IPv6' && !(socket.remoteAddress ?? '').startsWith('::ffff:') ? 'IPv6' : 'IPv4',
    secure,
  } as const;
  if (!secure) return base;
  const tlsSocket = socket as TLSSocket;
  const cert = tlsSocket.authorized ? tlsSocket.getPeerCertificate() : undefined;
  if (!cert || !cert.subject) return base;
  return {
    ...base,
    peerCertificate: {
      subject: { ...cert.subject },
      issuer: { ...cert.issuer },
      serialNumber: cert.serialNumber,
      fingerprint256: cert.fingerprint256,
      validFrom: cert.valid_from,
      validTo: cert.valid_to,
    },
  };
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; logs and CGI want a.b.c.d. */
function stripMappedPrefix(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
