/**
 * The TCP server: listens on every interface it is given (IPv4, IPv6, TLS,
 * sockets passed in by descriptor, as systemd does) and, for each accepted
 * connection, builds a fresh protocol graph from a
 * factory, as Kamaelia's ServerCore(protocol=...) did. Each connection is a
 * socket component and a protocol component linked both ways: the socket's
 * bytes go to the protocol's inbox, the protocol's outbox is written to the
 * socket, each one's signal is the other's control (so they end together),
 * and, when the protocol has them, `flow` and `writable` carry backpressure
 * and `log` joins the server's log. One connection failing never touches
 * another.
 *
 * Switching protocols: a protocol with a `handover` outbox may hand its
 * connection to another graph (after an HTTP 101). The socket's links to
 * the old graph are undone and made to the new one, which gets the bytes
 * the old one had read past its last message; the old one is then stopped.
 * Kamaelia swapped the component behind a connection the same way.
 *
 * An interface with `proxyProtocol` sits behind a TCP load balancer: every
 * connection must begin with a PROXY protocol header (proxy-header.ts),
 * read before anything is built for it, within `proxyHeaderTimeout`; it
 * gives the connection's addresses, and TLS (when the interface has it)
 * starts after it. A connection without a well-formed header is closed, and
 * logged.
 *
 * Shutdown: a graceful `shutdown` closes the listeners and passes the graceful
 * request to every connection's protocol, which finishes its work and ends;
 * the server finishes when the last connection has gone. A plain `shutdown`
 * closes everything now.
 */
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import tls, { type TlsOptions } from 'node:tls';
import { box, type Box } from '../../src/core/box.js';
import { Component, boxes } from '../../src/core/component.js';
import { logRecord, type LogRecord } from '../../src/core/log.js';
import { linkByPosition } from '../../src/core/link.js';
import { gracefulShutdown, producerFinished, type Lifecycle } from '../../src/core/signals.js';
import type { ProxyHeader } from '../../src/http/proxy-protocol.js';
import { ListenerFigures, TcpConnection, resume, type ConnectionInfo, type Handover, type TcpConnectionOptions } from './connection.js';
import { readProxyHeader } from './proxy-header.js';

export * from './connection.js';

export interface Interface {
  readonly host: string;
  /** 0 asks the system for a free port. */
  readonly port: number;
  /** TLS material; present means this interface speaks TLS. */
  readonly tls?: TlsOptions;
  /** Every connection begins with a PROXY protocol header (v1 or v2), required; TLS, if any, after it. */
  readonly proxyProtocol?: boolean;
  /** Listen on this already listening descriptor (a socket passed by systemd), instead of `host` and `port`. */
  readonly fd?: number;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
  readonly secure: boolean;
  /** Connections begin with a PROXY protocol header. */
  readonly proxyProtocol?: boolean;
}

export type ServerEvent =
  | { readonly type: 'listening'; readonly addresses: readonly BoundAddress[] }
  | { readonly type: 'connection'; readonly info: ConnectionInfo }
  | { readonly type: 'disconnection'; readonly info: ConnectionInfo }
  | { readonly type: 'refused'; readonly remoteAddress: string };

export type ProtocolFactory = (info: ConnectionInfo) => Component<any>;

export interface TcpServerOptions extends TcpConnectionOptions {
  readonly interfaces: readonly Interface[];
  readonly protocol: ProtocolFactory;
  /** Connections beyond this many are refused (sent `refusal`, then closed). */
  readonly maxConnections?: number;
  /** Bytes written to a connection refused for lack of room, before closing it. */
  readonly refusal?: string | Uint8Array;
  /** The listen backlog. */
  readonly backlog?: number;
  /** Milliseconds a connection on a PROXY protocol interface has to send its header (default 5000). */
  readonly proxyHeaderTimeout?: number;
}

/** Asks every open connection to finish what it is doing and close (the listeners stay open). */
export interface Renew {
  readonly type: 'renew';
}

const tcpServerBoxes = boxes({
  inboxes: {
    control: box<Lifecycle>('shutdown (graceful: stop accepting and let connections finish; otherwise close all now)'),
    renew: box<Renew>('ask the open connections to finish gracefully, keeping the listeners (after a protocol change)'),
  },
  outboxes: {
    events: box<ServerEvent>('listening addresses, and connections as they come and go'),
    log: box<LogRecord>('log records from the server and from every connection graph'),
  },
});

export class TcpServer extends Component<typeof tcpServerBoxes> {
  private readonly servers: Server[] = [];
  /**
   * The open connections, as a list threaded through them. Not a Set: a
   * long-lived hash table keeps pointers to what it held in the tables it
   * outgrew, so every connection it held would survive young-generation
   * collections and be promoted to the old generation, where only a full
   * collection frees it (see `npm run bench -- http`, hello Connection: close).
   */
  private newest: Connection | undefined = undefined;
  private open = 0;
  private draining = false;
  private bound: BoundAddress[] = [];
  /** What each connection's socket is made with: the options, and the way back here for a handover. */
  private readonly connectionOptions: TcpConnectionOptions;
  /** Sockets on PROXY protocol interfaces whose header is still awaited (or whose TLS handshake runs after it). */
  private readonly relaying = new Set<Socket>();
  /** Connections accepted and refused since start. */
  accepted = 0;
  refused = 0;
  /** Each interface's figures, in the order the interfaces were given. */
  readonly listeners: readonly ListenerFigures[];

  constructor(readonly options: TcpServerOptions) {
    super(tcpServerBoxes);
    if (options.interfaces.length === 0) throw new TypeError('TcpServer: no interface to listen on');
    this.listeners = options.interfaces.map((_, i) => new ListenerFigures(i));
    this.connectionOptions = {
      writeTimeout: options.writeTimeout,
      lingerTimeout: options.lingerTimeout,
      handover: (socket, message) => this.run(() => this.switchProtocol(socket, message)),
    };
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.open;
  }

  /** The addresses bound, once listening. */
  get addresses(): readonly BoundAddress[] {
    return this.bound;
  }

  protected main(): void {
    this.on('renew', () => {
      for (const connection of this.openConnections()) connection.protocol.inboxes.control!.send(gracefulShutdown);
    });
    this.task(async () => {
      this.bound = await Promise.all(this.options.interfaces.map((spec, i) => this.listenOn(spec, this.listeners[i]!)));
      if (this.state !== 'running') return;
      this.send('events', { type: 'listening', addresses: this.bound });
      for (const address of this.bound) {
        const host = address.family === 'IPv6' ? `[${address.host}]` : address.host;
        const notes = [address.proxyProtocol ? 'PROXY protocol' : '', address.secure ? 'TLS' : ''].filter(Boolean).join(', ');
        // Debug: the command prints what it serves and where once, itself (src/server/summary.ts).
        this.send('log', logRecord('server', 'debug', `listening on ${host}:${address.port}${notes ? ` (${notes})` : ''}`));
      }
    });
  }

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'shutdown' && message.graceful) {
      this.draining = true;
      this.closeListeners();
      // A connection still sending its PROXY header has not started anything to finish.
      for (const socket of this.relaying) socket.destroy();
      for (const connection of this.openConnections()) connection.protocol.inboxes.control!.send(gracefulShutdown);
      this.finishIfDrained();
      return;
    }
    super.onControl(message);
  }

  private listenOn(spec: Interface, figures: ListenerFigures): Promise<BoundAddress> {
    const options = { allowHalfOpen: true, noDelay: true };
    // Behind a PROXY protocol relay, TLS starts after the header: the listener is plain, and a TLS
    // server that listens nowhere takes each socket once its header is read (relayed, below).
    const server = spec.tls && !spec.proxyProtocol ? tls.createServer({ ...options, ...spec.tls }) : net.createServer(options);
    const secure = spec.tls ? (spec.proxyProtocol ? tls.createServer({ ...options, ...spec.tls }) : (server as tls.Server)) : undefined;
    this.own(() => server.close());
    this.servers.push(server);
    /** What relayed connections waiting for their TLS handshake said in their headers, by peer. */
    const relayed = new Map<string, ProxyHeader>();
    if (secure) {
      this.listen(secure, 'secureConnection', (socket: Socket) => {
        const key = peerKey(socket);
        const header = relayed.get(key);
        relayed.delete(key);
        this.accept(socket, figures, header);
      });
      this.listen(secure, 'tlsClientError', (error: Error, socket: Socket) => {
        relayed.delete(peerKey(socket));
        const from = socket.remoteAddress ?? 'unknown peer';
        this.send('log', logRecord('errors', 'warn', `TLS handshake with ${from} failed: ${error.message}`));
      });
    }
    if (spec.proxyProtocol) {
      this.listen(server, 'connection', (socket: Socket) =>
        this.relay(socket, figures, (header) => {
          if (!secure) return this.accept(socket, figures, header);
          relayed.set(peerKey(socket), header);
          socket.once('close', () => relayed.delete(peerKey(socket)));
          secure.emit('connection', socket);
        }),
      );
    } else if (!spec.tls) {
      this.listen(server, 'connection', (socket: Socket) => this.accept(socket, figures));
    }
    return new Promise((resolve, reject) => {
      const failed = (error: Error): void => reject(new Error(`cannot listen on ${spec.host}:${spec.port}: ${error.message}`));
      server.once('error', failed);
      const where = spec.fd !== undefined ? { fd: spec.fd } : { host: spec.host, port: spec.port };
      server.listen({ ...where, backlog: this.options.backlog ?? 511 }, () => {
        server.off('error', failed);
        this.listen(server, 'error', (error: Error) =>
          this.send('log', logRecord('errors', 'error', `listener ${spec.host}:${spec.port}: ${error.message}`)),
        );
        // A Unix socket passed by descriptor has a path for its address.
        const address = server.address() as AddressInfo | string;
        resolve({
          host: typeof address === 'string' ? address : address.address,
          port: typeof address === 'string' ? 0 : address.port,
          family: typeof address !== 'string' && address.family === 'IPv6' ? 'IPv6' : 'IPv4',
          secure: spec.tls !== undefined,
          ...(spec.proxyProtocol ? { proxyProtocol: true } : {}),
        });
      });
    });
  }

  /**
   * Reads a connection's PROXY header, then hands it on (`then`); a
   * malformed header, or none in time, closes the connection, logged.
   * Waiting connections count against the connection limit.
   */
  private relay(raw: Socket, figures: ListenerFigures, then: (header: ProxyHeader) => void): void {
    if (this.refuseOverLimit(raw, figures)) return;
    this.relaying.add(raw);
    readProxyHeader(raw, this.options.proxyHeaderTimeout ?? 5_000, (outcome) => {
      this.run(() => {
        this.relaying.delete(raw);
        if (outcome.ok) return then(outcome.header);
        const from = raw.remoteAddress ?? 'unknown peer';
        this.send('log', logRecord('errors', 'warn', `${from}: closed: ${outcome.reason}`));
        raw.destroy();
      });
    });
  }

  /** Refuses a connection when draining or at the limit; true when it did. */
  private refuseOverLimit(raw: Socket, figures: ListenerFigures): boolean {
    const max = this.options.maxConnections;
    if (this.draining || (max !== undefined && this.open + this.relaying.size >= max)) {
      this.refused++;
      figures.refused++;
      this.send('events', { type: 'refused', remoteAddress: raw.remoteAddress ?? '' });
      this.send('log', logRecord('monitor', 'warn', `refused a connection from ${raw.remoteAddress}: ${this.open} open`));
      raw.on('error', () => raw.destroy());
      raw.end(this.options.refusal ?? '');
      raw.destroySoon();
      return true;
    }
    return false;
  }

  /** Builds a connection's graph; `header`: what its PROXY header said. */
  private accept(raw: Socket, figures: ListenerFigures, header?: ProxyHeader): void {
    if (!header && this.refuseOverLimit(raw, figures)) return;
    if (header && this.draining) {
      raw.destroy();
      return;
    }
    this.accepted++;
    figures.accepted++;
    const socket = new TcpConnection(raw, this.connectionOptions, figures, header);
    const protocol = this.options.protocol(socket.info);
    // Each one's signal is the other's control, so they end together; `ended` only notes the end.
    const connection: Connection = {
      socket,
      protocol,
      figures,
      open: 2,
      older: this.newest,
      newer: undefined,
      ended: () => this.ended(connection),
    };
    socket.record = connection;
    const ends: readonly Component<any>[] = [socket, protocol, this];
    linkByPosition(connectionPlan(ends), ends);
    if (this.newest) this.newest.newer = connection;
    this.newest = connection;
    this.open++;
    figures.open++;
    this.send('events', { type: 'connection', info: socket.info });
    this.adopt(protocol, connection.ended);
    this.adopt(socket, connection.ended);
    // The header reader paused the socket (its first bytes after the header were put back): read on.
    if (header) raw.resume();
  }

  private ended(connection: Connection): void {
    if (--connection.open > 0) return;
    this.forget(connection);
    this.send('events', { type: 'disconnection', info: connection.socket.info });
    this.finishIfDrained();
  }

  /**
   * Moves a connection to the graph its protocol handed it to: the socket's
   * links to the old graph are undone (all but its log: it may have lines
   * still to write) and made to the new one, which starts with the socket
   * reading, knowing whether it can write, and with the bytes the old graph
   * had read for it. The old graph, which waits for this, is then stopped.
   */
  private switchProtocol(socket: TcpConnection, message: Handover): void {
    const next = message.protocol;
    const connection = socket.record as Connection | undefined;
    if (!connection || connection.socket !== socket || socket.state !== 'running' || this.state !== 'running') {
      next.askToStop();
      return;
    }
    const old = connection.protocol;
    const oldEnds = [socket, old, this];
    for (const [from, to] of connectionLinks(old)) {
      if (to[0] !== 'server') boxOf(oldEnds, from, 'out').disconnect(boxOf(oldEnds, to, 'in'));
    }
    connection.protocol = next;
    // The old graph counts until it has ended.
    connection.open++;
    const ends: readonly Component<any>[] = [socket, next, this];
    linkByPosition(connectionPlan(ends), ends);
    this.adopt(next, connection.ended);
    old.askToStop();
    // The old graph may have paused reading while it waited for its 101 to go.
    socket.inboxes.flow.send(resume);
    const inboxes = next.inboxes as Record<string, Box<unknown>>;
    if (!socket.writableNow) inboxes.writable?.send({ type: 'writable', writable: false });
    if (message.buffered.length > 0) inboxes.inbox!.send(message.buffered);
    if (message.peerEnded) inboxes.control!.send(producerFinished);
    // A server stopping gracefully asks the new graph to finish too, as it asked the old one.
    if (this.draining) inboxes.control!.send(gracefulShutdown);
  }

  private closeListeners(): void {
    for (const server of this.servers) server.close();
  }

  private finishIfDrained(): void {
    if (this.draining && this.open === 0) this.finish();
  }

  /** A copy of the list of open connections, newest first (sending to one may close it). */
  private openConnections(): Connection[] {
    const all: Connection[] = [];
    for (let c = this.newest; c; c = c.older) all.push(c);
    return all;
  }

  private forget(connection: Connection): void {
    const { older, newer } = connection;
    if (older) older.newer = newer;
    if (newer) newer.older = older;
    else this.newest = older;
    connection.older = connection.newer = undefined;
    this.open--;
    connection.figures.open--;
  }
}

/** A connection's peer, as a key: the same for a socket and the TLS socket made over it. */
function peerKey(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

/** One accepted connection: the socket's component and the protocol graph made for it. */
interface Connection {
  readonly socket: TcpConnection;
  /** The protocol graph: the one made at accept, or the one it handed the connection to. */
  protocol: Component<any>;
  /** Its interface's figures. */
  readonly figures: ListenerFigures;
  /** How many of its components are still running: the socket and the protocol (and, while it ends, the one switched from). */
  open: number;
  /** Notes that one of them has ended. */
  readonly ended: () => void;
  /** Its neighbours in the server's list of open connections. */
  older: Connection | undefined;
  newer: Connection | undefined;
}

type Ref = readonly ['socket' | 'protocol' | 'server', string];
const connectionPlans = new WeakMap<object, readonly number[]>();

/**
 * Where a connection's links run, by position ([socket, protocol, server]
 * and a box's place in `boxAt`), four numbers a link: worked out by name
 * once per kind of protocol, then followed for every connection, with no
 * string work per connection (see `npm run bench -- http`, hello
 * Connection: close).
 */
function connectionPlan(ends: readonly Component<any>[]): readonly number[] {
  const protocol = ends[1]!;
  const plan = connectionPlans.get(protocol.spec);
  if (plan) return plan;
  const place = (ref: Ref, direction: 'in' | 'out'): [number, number] => {
    const at = order.indexOf(ref[0]);
    return [at, ends[at]!.positionOf(boxOf(ends, ref, direction))];
  };
  const found: number[] = [];
  for (const [from, to] of connectionLinks(protocol)) found.push(...place(from, 'out'), ...place(to, 'in'));
  connectionPlans.set(protocol.spec, found);
  return found;
}

const order = ['socket', 'protocol', 'server'] as const;

/** The box a reference names, among [socket, protocol, server] (the server's log is an outbox it sends on). */
function boxOf(ends: readonly Component<any>[], [owner, name]: Ref, direction: 'in' | 'out'): Box<unknown> {
  const component = ends[order.indexOf(owner)]!;
  return ((direction === 'in' && owner !== 'server' ? component.inboxes : component.outboxes) as Record<string, Box<unknown>>)[name]!;
}

/**
 * The links of one connection, as data: socket bytes to the protocol and
 * back, each one's signal to the other's control, and `flow`, `writable` and
 * `log` where the protocol has them.
 */
function connectionLinks(protocol: Component<any>): readonly (readonly [Ref, Ref])[] {
  const flow = 'flow' in protocol.outboxes;
  const writable = 'writable' in protocol.inboxes;
  const log = 'log' in protocol.outboxes;
  const handover = 'handover' in protocol.outboxes;
  const links: (readonly [Ref, Ref])[] = [
    [
      ['socket', 'outbox'],
      ['protocol', 'inbox'],
    ],
    [
      ['protocol', 'outbox'],
      ['socket', 'inbox'],
    ],
    [
      ['socket', 'signal'],
      ['protocol', 'control'],
    ],
    [
      ['protocol', 'signal'],
      ['socket', 'control'],
    ],
  ];
  if (flow)
    links.push([
      ['protocol', 'flow'],
      ['socket', 'flow'],
    ]);
  if (writable)
    links.push([
      ['socket', 'writable'],
      ['protocol', 'writable'],
    ]);
  if (handover)
    links.push([
      ['protocol', 'handover'],
      ['socket', 'handover'],
    ]);
  if (log)
    links.push([
      ['protocol', 'log'],
      ['server', 'log'],
    ]);
  return links;
}
