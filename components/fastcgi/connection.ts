/**
 * One transport connection to a FastCGI application server, owned by its
 * pool (pool.ts). It connects (within the connect timeout), writes what its
 * requests' exchanges give it, reads records (RecordDecoder) and hands each
 * to the exchange of its request id.
 *
 * Every request asks for FCGI_KEEP_CONN (FastCGI §5.1), so the connection
 * outlives it and carries the next one. It carries one request at a time,
 * or several when the application said it multiplexes (FCGI_GET_VALUES,
 * asked once per server, on its first connection, in the same write as its
 * first request).
 *
 * A connection that misbehaves is closed, never reused: a record it cannot
 * read, a record for a request that is not running, a request type where a
 * response type belongs, an aborted request that does not end within the
 * grace period. Its requests are cut off (exchange.lost).
 *
 * Backpressure: an exchange whose client is slow pauses the connection's
 * socket (the application then blocks writing, as a CGI script blocks on its
 * pipe); on a multiplexed connection that holds up its other requests too,
 * as FastCGI has no flow control of its own.
 */
import net from 'node:net';
import { abortRequest, decodeValues, FcgiType, getValues, RecordDecoder, type FcgiRecord } from '../../src/http/fastcgi-records.js';
import type { FastCgiConnectionSide, FastCgiExchangeSide, FastCgiPoolSide, FastCgiServerSide } from './parts.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export class FastCgiConnection implements FastCgiConnectionSide {
  state: ConnectionState = 'connecting';
  /** Requests carried so far: more than one, and the connection has been reused. */
  carried = 0;
  /** The exchange the connection was opened for; it starts once connected (unless it went away meanwhile). */
  first: FastCgiExchangeSide | undefined;
  private readonly socket: net.Socket;
  private readonly decoder = new RecordDecoder();
  private readonly active = new Map<number, FastCgiExchangeSide>();
  /** Aborted requests waiting for their FCGI_END_REQUEST, and the timers that give up on them (none yet: the abort is not sent yet). */
  private readonly aborted = new Map<number, NodeJS.Timeout | undefined>();
  /** It has sent FCGI_ABORT_REQUEST: it takes no more requests, and closes once what it carries has ended. */
  private retiring = false;
  private readonly pausedBy = new Set<FastCgiExchangeSide>();
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private error: Error | undefined;
  private closeReason: string | undefined;
  private connectTimedOut = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly pool: FastCgiPoolSide,
    readonly server: FastCgiServerSide,
    first: FastCgiExchangeSide,
  ) {
    this.first = first;
    const address = server.address;
    const socket = address.kind === 'unix' ? net.connect(address.path) : net.connect(address.port, address.host);
    this.socket = socket;
    const limits = pool.limits;
    this.timer = setTimeout(
      () =>
        pool.dispatch(() => {
          this.connectTimedOut = true;
          this.close(`no connection within ${limits.connectTimeout} ms`);
        }),
      limits.connectTimeout,
    );
    socket.on('connect', () => pool.dispatch(() => this.opened()));
    socket.on('data', (chunk: Buffer) => pool.dispatch(() => this.read(chunk)));
    socket.on('drain', () => pool.dispatch(() => this.drained()));
    socket.on('error', (error: Error) => (this.error ??= error));
    socket.on('close', () => pool.dispatch(() => this.closed()));
  }

  /** Requests it can take now. */
  get room(): number {
    if (this.state !== 'open' || this.retiring) return 0;
    return this.server.requestsPerConnection - this.active.size - this.aborted.size;
  }

  /** Whether it carries nothing (and is worth keeping for the next request). */
  get idle(): boolean {
    return this.state === 'open' && !this.retiring && this.active.size === 0 && this.aborted.size === 0;
  }

  /** Gives the connection a request; the exchange starts on it at once. */
  carry(exchange: FastCgiExchangeSide): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let id = this.nextId;
    while (this.active.has(id) || this.aborted.has(id)) id = (id % 0xffff) + 1;
    this.nextId = (id % 0xffff) + 1;
    this.active.set(id, exchange);
    this.carried++;
    exchange.begin(this, id);
  }

  /** The FCGI_GET_VALUES query to send before the first request, once per server; undefined when it has been sent. */
  takeProbe(): Buffer | undefined {
    if (this.server.probed) return undefined;
    this.server.probed = true;
    return getValues();
  }

  /** Writes bytes; false when the socket's buffer is full (wait for `whenDrained`). */
  write(bytes: Uint8Array): boolean {
    if (this.state !== 'open') return false;
    return this.socket.write(bytes);
  }

  /** Resolves once the socket takes more (or is closed). */
  whenDrained(): Promise<void> {
    if (this.state !== 'open' || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  pause(exchange: FastCgiExchangeSide): void {
    this.pausedBy.add(exchange);
    this.socket.pause();
  }

  resume(exchange: FastCgiExchangeSide): void {
    if (!this.pausedBy.delete(exchange) || this.pausedBy.size > 0 || this.state === 'closed') return;
    this.socket.resume();
  }

  /** A request has ended (FCGI_END_REQUEST): its id is free, and the connection may take the next one. */
  release(id: number, exchange: FastCgiExchangeSide): void {
    if (this.active.get(id) !== exchange) return;
    this.active.delete(id);
    this.resume(exchange);
    this.settled();
  }

  /**
   * The client went away (FastCGI §5.4): FCGI_ABORT_REQUEST, and what still
   * comes for the request is read and dropped until its FCGI_END_REQUEST;
   * if that does not come within the grace period, the connection closes.
   *
   * The abort is written once the records read with the one that led to it
   * have been handled: when the request's FCGI_END_REQUEST was among them
   * (a script that wrote a bad head and ended), there is nothing to abort.
   * A connection that has sent an abort is closed once the request has
   * ended, not reused: php-fpm reads nothing while a script runs, so it
   * finds the abort only after the request, where the next request's
   * FCGI_BEGIN_REQUEST should be, and closes the connection then.
   */
  abort(id: number, exchange: FastCgiExchangeSide): void {
    if (this.active.get(id) !== exchange) return;
    this.active.delete(id);
    this.resume(exchange);
    if (this.state !== 'open') return;
    this.aborted.set(id, undefined);
    queueMicrotask(() => this.pool.dispatch(() => this.sendAbort(id)));
  }

  private sendAbort(id: number): void {
    if (this.state !== 'open' || !this.aborted.has(id) || this.aborted.get(id) !== undefined) return;
    this.socket.write(abortRequest(id));
    this.retiring = true;
    const grace = this.pool.limits.abortGrace;
    this.aborted.set(
      id,
      setTimeout(
        () => this.pool.dispatch(() => this.close(`request ${id} did not end within ${grace} ms of FCGI_ABORT_REQUEST`, 'info')),
        grace,
      ),
    );
  }

  /** Closes the connection (it will not be reused), cutting off what it carries; `why` goes to the monitor channel. */
  close(why: string, level: 'info' | 'warn' = 'warn'): void {
    if (this.state === 'closed') return;
    this.closeReason = why;
    this.pool.note(level, `${this.server.label}: connection closed: ${why}`);
    this.socket.destroy();
    // The socket's 'close' follows; what it carries is told now, so nothing more is read for it.
    this.closed();
  }

  /** As a resource of the pool: released when the pool stops. */
  unsubscribe(): void {
    this.closeReason ??= 'the server is stopping';
    this.socket.destroy();
    this.closed();
  }

  private opened(): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.server.address.kind === 'tcp') this.socket.setNoDelay(true);
    this.pool.connectionOpened(this);
    const first = this.first;
    this.first = undefined;
    // The request it was opened for, unless it went away meanwhile: then it waits for the next one.
    if (first?.state === 'connecting') this.carry(first);
    else this.settled();
  }

  private read(chunk: Buffer): void {
    if (this.state !== 'open') return;
    const failure = this.decoder.push(chunk, this.onRecord);
    if (failure) this.close(failure);
  }

  private readonly onRecord = (record: FcgiRecord): void => {
    if (this.state !== 'open') return;
    const id = record.requestId;
    if (id === 0) return this.management(record);
    const exchange = this.active.get(id);
    if (exchange) {
      const problem = exchange.record(record);
      if (problem) this.close(problem);
      return;
    }
    if (this.aborted.has(id)) {
      if (record.type !== FcgiType.endRequest) return;
      const abortTimer = this.aborted.get(id);
      if (abortTimer) clearTimeout(abortTimer);
      this.aborted.delete(id);
      this.settled();
      return;
    }
    this.close(`a record (type ${record.type}) for request ${id}, which is not running`);
  };

  private management(record: FcgiRecord): void {
    if (record.type === FcgiType.getValuesResult) {
      const values = decodeValues(record.content);
      if (typeof values === 'string') return this.close(`FCGI_GET_VALUES_RESULT: ${values}`);
      this.pool.learned(this.server, values);
      return;
    }
    // FCGI_UNKNOWN_TYPE answers a management record the application does not know: nothing is lost.
    if (record.type === FcgiType.unknownType) return;
    this.close(`a management record of type ${record.type}`);
  }

  /** Nothing more in flight on it: it can carry the next request. */
  private settled(): void {
    if (this.state !== 'open') return;
    if (this.retiring) {
      if (this.active.size === 0 && this.aborted.size === 0) this.close('it carried an aborted request', 'info');
      return;
    }
    if (this.idle) {
      this.pool.connectionIdle(this);
      if (this.idle && this.state === 'open') {
        const limit = this.pool.limits.idleTimeout;
        this.timer = setTimeout(() => this.pool.dispatch(() => this.close(`idle for ${limit} ms`, 'info')), limit);
        // Only what is left open when the server stops may hold the process up: these timers do not.
        this.timer.unref();
      }
    } else if (this.room > 0) this.pool.pump();
  }

  private drained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private closed(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const timer of this.aborted.values()) if (timer) clearTimeout(timer);
    this.aborted.clear();
    this.drained();
    const reason = this.closeReason ?? (this.error ? this.error.message : 'the application closed the connection');
    const first = this.first;
    this.first = undefined;
    const cut = [...this.active.values()];
    this.active.clear();
    this.pool.connectionClosed(this, wasOpen ? undefined : reason);
    if (!wasOpen && first) first.connectFailed(this.server, reason, this.connectTimedOut);
    for (const exchange of cut) exchange.lost(reason, this);
  }
}
