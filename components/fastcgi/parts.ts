/**
 * What the parts of the FastCGI client see of one another: the pool
 * (pool.ts), a connection (connection.ts) and a request's exchange
 * (exchange.ts) call each other through these, so that no module of the
 * three needs another's class.
 */
import type { FcgiRecord, FcgiValues } from '../../src/http/fastcgi-records.js';
import type { LogLevel } from '../../src/core/log.js';
import type { FastCgiAddress } from './options.js';

export interface PoolLimits {
  readonly queue: number;
  readonly connectTimeout: number;
  readonly readTimeout: number;
  readonly idleTimeout: number;
  readonly abortGrace: number;
  readonly multiplex: number;
}

/** An application server (server-slot.ts), as its connections and exchanges see it. */
export interface FastCgiServerSide {
  readonly address: FastCgiAddress;
  readonly label: string;
  readonly connections: Set<FastCgiConnectionSide>;
  /** Whether FCGI_GET_VALUES has been sent to it. */
  probed: boolean;
  /** Requests one connection carries at once. */
  readonly requestsPerConnection: number;
  /** Up; down since a connect failed (until `downUntil`); starting (a spawned process not listening yet). */
  state: 'up' | 'down' | 'starting';
  downUntil: number;
  lastFailure: string | undefined;
  /** What it said of itself (FCGI_GET_VALUES_RESULT). */
  learn(values: FcgiValues): void;
  /** It said FCGI_CANT_MPX_CONN: one request per connection from now on. */
  noMultiplexing(): void;
}

/** The pool, as its connections and exchanges see it. */
export interface FastCgiPoolSide {
  readonly limits: PoolLimits;
  /** Runs `work` at the pool's boundary. */
  dispatch(work: () => void): void;
  note(level: LogLevel, message: string): void;
  enqueue(exchange: FastCgiExchangeSide, front?: boolean): void;
  withdraw(exchange: FastCgiExchangeSide): void;
  hasServerFor(exchange: FastCgiExchangeSide): boolean;
  pump(): void;
  connectionOpened(connection: FastCgiConnectionSide): void;
  connectionIdle(connection: FastCgiConnectionSide): void;
  connectionClosed(connection: FastCgiConnectionSide, failure: string | undefined): void;
  learned(server: FastCgiServerSide, values: FcgiValues): void;
}

/** A connection, as the pool and its exchanges see it. */
export interface FastCgiConnectionSide {
  readonly server: FastCgiServerSide;
  readonly carried: number;
  first: FastCgiExchangeSide | undefined;
  readonly room: number;
  readonly idle: boolean;
  carry(exchange: FastCgiExchangeSide): void;
  takeProbe(): Buffer | undefined;
  write(bytes: Uint8Array): boolean;
  whenDrained(): Promise<void>;
  pause(exchange: FastCgiExchangeSide): void;
  resume(exchange: FastCgiExchangeSide): void;
  release(id: number, exchange: FastCgiExchangeSide): void;
  abort(id: number, exchange: FastCgiExchangeSide): void;
  close(why: string, level?: 'info' | 'warn'): void;
  /** As a resource of the pool: closes it. */
  unsubscribe(): void;
}

/** A request's exchange, as the pool and its connection see it. */
export interface FastCgiExchangeSide {
  readonly state: 'waiting' | 'connecting' | 'running' | 'over';
  /** Servers it could not connect to. */
  readonly failed: ReadonlySet<FastCgiServerSide>;
  connecting(connection: FastCgiConnectionSide): void;
  begin(connection: FastCgiConnectionSide, id: number): void;
  /** A record for it; the reason the connection must close when it breaks the protocol. */
  record(record: FcgiRecord): string | undefined;
  lost(reason: string, connection: FastCgiConnectionSide): void;
  connectFailed(server: FastCgiServerSide, reason: string, timedOut: boolean): void;
  refused(status: number, reason: string): void;
}
