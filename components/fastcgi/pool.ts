/**
 * FastCgiPool: the connections to one FastCGI application, shared by every
 * request the server sends it. One per application (an extension or prefix
 * mapping); the application is one server (an address), or several (the
 * processes boxwire spawns, each on its own socket).
 *
 * - Per server at most `connections` connections (fewer if the application
 *   says FCGI_MAX_CONNS), each kept open between requests (FCGI_KEEP_CONN)
 *   and reused, closed after `idleTimeout` idle.
 * - A request takes a connection with room (an idle one, or one that
 *   multiplexes, when the application said FCGI_MPXS_CONNS=1), else opens
 *   one below the cap, else waits in the queue, in arrival order; beyond
 *   `queue` waiting, it is refused (503).
 * - A server that cannot be connected to is passed over for a second; when
 *   none can be reached the request is refused at once (502; 504 when the
 *   connect timed out). A spawned server that is (re)starting is waited for.
 *
 * Sockets report through the pool's boundary (`dispatch`); the pool owns
 * every connection, and closes them when it stops.
 */
import { box } from '../../src/core/box.js';
import { Component, boxes } from '../../src/core/component.js';
import { logRecord, type LogLevel, type LogRecord } from '../../src/core/log.js';
import type { FcgiValues } from '../../src/http/fastcgi-records.js';
import { FastCgiConnection } from './connection.js';
import type { FastCgiAddress } from './options.js';
import type { FastCgiConnectionSide, FastCgiExchangeSide, FastCgiPoolSide, PoolLimits } from './parts.js';

export type { PoolLimits } from './parts.js';
import { ServerSlot } from './server-slot.js';

export const fastCgiPoolBoxes = boxes({
  inboxes: {},
  outboxes: { log: box<LogRecord>('connections opened, closed and refused; what the application says of itself') },
});

/** How long a server that could not be connected to is passed over. */
const downFor = 1_000;

export interface FastCgiPoolState {
  readonly connections: number;
  readonly busy: number;
  readonly idle: number;
  readonly queued: number;
}

export interface PoolServer {
  readonly address: FastCgiAddress;
  /** Connections at most. */
  readonly connections: number;
  /** Spawned, and not listening yet: requests wait for it. */
  readonly starting?: boolean;
}

export class FastCgiPool extends Component<typeof fastCgiPoolBoxes> implements FastCgiPoolSide {
  readonly servers: readonly ServerSlot[];
  private readonly waiting: FastCgiExchangeSide[] = [];
  private pumping = false;

  constructor(
    /** What the logs call it: the mapping. */
    readonly label: string,
    servers: readonly PoolServer[],
    readonly limits: PoolLimits,
  ) {
    super(fastCgiPoolBoxes, `FastCgiPool(${label})`);
    this.servers = servers.map((s) => new ServerSlot(s.address, s.connections, limits.multiplex, s.starting ?? false));
  }

  protected main(): void {
    // Released last, after the connections (owned later, released first): what still waits is refused.
    this.own(() => {
      for (const exchange of this.waiting.splice(0)) exchange.refused(503, 'the server is stopping');
    });
  }

  get status(): FastCgiPoolState {
    let connections = 0;
    let idle = 0;
    for (const server of this.servers) {
      connections += server.connections.size;
      for (const connection of server.connections) if (connection.idle) idle++;
    }
    return { connections, busy: connections - idle, idle, queued: this.waiting.length };
  }

  /** Runs `work` at the pool's boundary: what its sockets and timers report through. */
  dispatch(work: () => void): void {
    this.run(work);
  }

  /** A line for the monitor channel. */
  note(level: LogLevel, message: string): void {
    this.send('log', logRecord('monitor', level, `fastcgi ${this.label}: ${message}`));
  }

  /** A request wants a connection: it gets one now, or waits its turn (`front`: it is trying again), or is refused. */
  enqueue(exchange: FastCgiExchangeSide, front = false): void {
    if (!this.running) return exchange.refused(503, 'the FastCGI pool is not running');
    if (front) this.waiting.unshift(exchange);
    else this.waiting.push(exchange);
    this.pump();
    if (exchange.state !== 'waiting' || this.waiting.length <= this.limits.queue) return;
    this.withdraw(exchange);
    const { busy, queued } = this.status;
    this.note('warn', `${busy} connections at work and ${queued} requests waiting: refused`);
    exchange.refused(503, 'too many FastCGI requests at work and waiting');
  }

  withdraw(exchange: FastCgiExchangeSide): void {
    const at = this.waiting.indexOf(exchange);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /** Whether some server is still worth trying for a request whose connect failed. */
  hasServerFor(exchange: FastCgiExchangeSide): boolean {
    const now = Date.now();
    return this.servers.some((s) => !exchange.failed.has(s) && (s.usable(now) || s.state === 'starting'));
  }

  /** Gives waiting requests the connections that have room, opening more below the caps. */
  pump(): void {
    if (this.pumping || !this.running) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0 && this.running) {
        const exchange = this.waiting[0]!;
        const place = this.placeFor(exchange);
        if (place === undefined) break;
        this.waiting.shift();
        if (typeof place === 'string') exchange.refused(502, place);
        else if (place instanceof ServerSlot) this.open(place, exchange);
        else place.carry(exchange);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** A connection with room, a server to open one to, a reason to refuse, or undefined: wait. */
  private placeFor(exchange: FastCgiExchangeSide): FastCgiConnectionSide | ServerSlot | string | undefined {
    const now = Date.now();
    const usable = this.servers.filter((s) => !exchange.failed.has(s) && s.usable(now));
    if (usable.length === 0) {
      if (this.servers.some((s) => s.state === 'starting' && !exchange.failed.has(s))) return undefined;
      const last = this.servers.find((s) => s.lastFailure !== undefined)?.lastFailure;
      return `no application server can be reached${last ? ` (${last})` : ''}`;
    }
    for (const server of usable) for (const connection of server.connections) if (connection.room > 0) return connection;
    let best: ServerSlot | undefined;
    for (const server of usable) {
      if (server.connections.size < server.connectionCap && (!best || server.connections.size < best.connections.size)) best = server;
    }
    return best;
  }

  private open(server: ServerSlot, exchange: FastCgiExchangeSide): void {
    const connection = new FastCgiConnection(this, server, exchange);
    server.connections.add(connection);
    exchange.connecting(connection);
    this.own(connection);
  }

  /** @internal A connection is open: its server is up. */
  connectionOpened(connection: FastCgiConnectionSide): void {
    const server = connection.server;
    if (server.state === 'down') server.state = 'up';
    server.lastFailure = undefined;
  }

  /** @internal A connection carries nothing now: the next request waiting may have it. */
  connectionIdle(_connection: FastCgiConnectionSide): void {
    this.pump();
  }

  /** @internal A connection has closed; `failure` when it never opened. */
  connectionClosed(connection: FastCgiConnectionSide, failure: string | undefined): void {
    const server = connection.server;
    server.connections.delete(connection);
    this.disown(connection, false);
    if (failure !== undefined) {
      if (server.state !== 'starting') {
        server.state = 'down';
        server.downUntil = Date.now() + downFor;
      }
      server.lastFailure = failure;
      this.note('warn', `cannot connect to ${server.label}: ${failure}`);
    }
    this.pump();
  }

  /** @internal What the application said of itself (FCGI_GET_VALUES_RESULT, FastCGI §4.1). */
  learned(server: ServerSlot, values: FcgiValues): void {
    server.learn(values);
    const limits = [
      values.maxConns !== undefined ? `FCGI_MAX_CONNS ${values.maxConns}` : '',
      values.maxReqs !== undefined ? `FCGI_MAX_REQS ${values.maxReqs}` : '',
    ].filter(Boolean);
    this.note(
      'info',
      `${server.label} ${values.mpxsConns ? 'multiplexes' : 'takes one request per connection'}${limits.length ? ` (${limits.join(', ')})` : ''}`,
    );
    this.pump();
  }

  /** A spawned server is listening (or is starting again): requests go to it (or wait for it). */
  setStarting(index: number, starting: boolean): void {
    const server = this.servers[index];
    if (!server) return;
    server.state = starting ? 'starting' : 'up';
    if (!starting) {
      server.lastFailure = undefined;
      this.pump();
    }
  }
}
