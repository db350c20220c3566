/**
 * One connection to an upstream server, kept alive between requests by its
 * pool. Its socket's events go to whoever uses the connection now (an
 * exchange: `ConnectionUser`); while it sits idle in the pool, anything the
 * server says (bytes it was not asked for, its end, an error, the pool's
 * keep-alive time running out) ends it, and the pool forgets it.
 *
 * The socket's timeout is the one timer a connection in use needs: the
 * connect timeout while connecting, the response and idle timeouts while in
 * use (an exchange sets them; `timeout` skips setting the one already set,
 * as each setting makes a timer anew). Node refreshes it on every read and
 * write, which is the "no byte for this long" the timeouts mean. An idle
 * connection's keep-alive time is the pool's to watch (upstream.ts).
 */
import net, { type Socket } from 'node:net';
import type { UpstreamAddress } from './options.js';

/** What a connection in use tells its user, as its socket says it. */
export interface ConnectionUser {
  connected(): void;
  data(chunk: Buffer): void;
  /** The server ended its side. */
  ended(): void;
  /** The socket is gone: after an error (given), or after the end. */
  closed(error: Error | undefined): void;
  /** The write buffer has drained. */
  drained(): void;
  /** No byte either way for the socket's timeout. */
  timedOut(): void;
}

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The socket has closed, whoever ended it: the pool counts it off (and forgets it if it was idle). */
  closed(connection: UpstreamConnection): void;
}

let serial = 0;

export class UpstreamConnection {
  readonly id = ++serial;
  readonly socket: Socket;
  user: ConnectionUser | undefined = undefined;
  /** Connected (the TCP handshake is done). */
  connected = false;
  /** Requests it has carried. */
  requests = 0;
  /** Ended or closing: never to be used again. */
  gone = false;
  /** performance.now() when it was last given back to its pool. */
  idleSince = 0;
  private currentTimeout: number;
  private lastError: Error | undefined = undefined;

  constructor(
    private readonly owner: ConnectionOwner,
    address: UpstreamAddress,
    connectTimeout: number,
  ) {
    const socket =
      address.kind === 'tcp' ? net.connect({ host: address.host, port: address.port, noDelay: true }) : net.connect({ path: address.path });
    this.socket = socket;
    this.currentTimeout = connectTimeout;
    socket.setTimeout(connectTimeout);
    socket.on('connect', () => {
      this.connected = true;
      this.user?.connected();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.user) this.user.data(chunk);
      // Bytes nobody asked for: the server is confused, or worse.
      else this.destroy();
    });
    socket.on('end', () => {
      this.gone = true;
      if (this.user) this.user.ended();
      else this.destroy();
    });
    // Kept for the 'close' that follows.
    socket.on('error', (error: Error) => (this.lastError = error));
    socket.on('close', (hadError: boolean) => {
      this.gone = true;
      const user = this.user;
      this.user = undefined;
      this.owner.closed(this);
      user?.closed(hadError ? this.lastError : undefined);
    });
    socket.on('drain', () => this.user?.drained());
    socket.on('timeout', () => {
      if (this.user) this.user.timedOut();
      else this.destroy();
    });
  }

  /** Sets the socket's timeout (0: none), unless it is set so already. */
  timeout(ms: number): void {
    if (ms === this.currentTimeout) return;
    this.currentTimeout = ms;
    this.socket.setTimeout(ms);
  }

  /** Ends the connection now; its user (if any) hears `closed`. */
  destroy(): void {
    this.gone = true;
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
