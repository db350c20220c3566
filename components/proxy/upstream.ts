/**
 * One upstream server: its pool of keep-alive connections and what the
 * proxy believes of its health.
 *
 * - Pool: at most `connections` open; an idle one is handed out first
 *   (the most recently used: its server is the likeliest to keep it), a new
 *   one is opened while under the cap, and beyond it requests wait in
 *   arrival order, at most `queue` of them (more: the exchange answers
 *   503). A connection given back goes to the next waiter, else is kept
 *   idle (up to `idle` of them, each for `keepAlive` ms: a sweep every
 *   half of that closes those idle longer), else closed. One
 *   that is not clean (its response or request cut short, a malformed
 *   response, Connection: close) is closed, never reused.
 * - Health: a connection refused, reset or timed out before the server said
 *   a word marks it down; it is passed over for `down` ms, or, with an
 *   active health check, until a check passes. A request that succeeds on
 *   it marks it up.
 */
import { logRecord, type LogRecord } from '../../src/core/log.js';
import type { UpstreamSpec } from './options.js';
import { UpstreamConnection, type ConnectionOwner } from './upstream-connection.js';

/** Someone waiting for a connection: told (from outside any component) when one is theirs. */
export interface Waiter {
  granted(connection: UpstreamConnection, reused: boolean): void;
}

export interface PoolSettings {
  readonly connections: number;
  readonly idle: number;
  readonly queue: number;
  readonly connectTimeout: number;
  readonly keepAlive: number;
  readonly down: number;
  /** An active health check brings a down upstream back (not the passing of `down` ms). */
  readonly checked: boolean;
}

export type Acquired = { readonly connection: UpstreamConnection; readonly reused: boolean } | 'queued' | 'full';

export class Upstream implements ConnectionOwner {
  /** Exchanges using it now: holding a connection, or waiting for one. */
  inFlight = 0;
  /** Connections open (connecting, in use, idle). */
  private open = 0;
  private readonly idle: UpstreamConnection[] = [];
  private readonly waiters: Waiter[] = [];
  /** performance.now() until which it is passed over; 0 when up, Infinity until a health check passes. */
  downUntil = 0;
  /** Requests it has answered, and failures seen, since start. */
  served = 0;
  failures = 0;
  /** Closed by its proxy: no new connections, none kept idle. */
  private shut = false;
  /** Closes connections idle for longer than the keep-alive time; runs while any are idle. */
  private sweeper: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly spec: UpstreamSpec,
    private readonly settings: PoolSettings,
    private readonly log: (record: LogRecord) => void,
  ) {}

  /** Whether it is to be passed over now. */
  isDown(now: number): boolean {
    return this.downUntil > now;
  }

  /** A connection: an idle one (reused), a new one, or a place in the queue; 'full' when the queue is full too. */
  acquire(waiter: Waiter): Acquired {
    const now = performance.now();
    while (this.idle.length > 0) {
      const connection = this.idle.pop()!;
      if (connection.gone) continue;
      if (now - connection.idleSince < this.settings.keepAlive) return { connection, reused: true };
      connection.destroy();
    }
    if (this.open < this.settings.connections && !this.shut) return { connection: this.connect(), reused: false };
    if (this.waiters.length >= this.settings.queue) return 'full';
    this.waiters.push(waiter);
    return 'queued';
  }

  /** A waiter that no longer wants a connection (its request ended). */
  cancelWait(waiter: Waiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at >= 0) this.waiters.splice(at, 1);
  }

  /** A connection given back after an exchange: reused when `clean`, closed otherwise. */
  release(connection: UpstreamConnection, clean: boolean): void {
    connection.user = undefined;
    connection.requests++;
    if (!clean || connection.gone || this.shut) {
      connection.destroy();
      return;
    }
    const next = this.waiters.shift();
    if (next) return next.granted(connection, true);
    if (this.idle.length >= this.settings.idle) {
      connection.destroy();
      return;
    }
    connection.idleSince = performance.now();
    this.idle.push(connection);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(10, this.settings.keepAlive / 2));
      this.sweeper.unref();
    }
  }

  /** Closes the connections idle too long (the oldest are first in the list); stops when none is idle. */
  private sweep(): void {
    const now = performance.now();
    while (this.idle.length > 0 && now - this.idle[0]!.idleSince >= this.settings.keepAlive) this.idle.shift()!.destroy();
    if (this.idle.length === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** The socket of one of its connections has closed: counted off, forgotten if idle, and its place given to a waiter. */
  closed(connection: UpstreamConnection): void {
    this.open--;
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.waiters.length > 0 && this.open < this.settings.connections && !this.shut) {
      this.waiters.shift()!.granted(this.connect(), false);
    }
  }

  /** A connection failed before the server said a word: it is passed over for a while (or until a check passes). */
  markDown(reason: string): void {
    this.failures++;
    const wasUp = this.downUntil === 0;
    this.downUntil = this.settings.checked ? Number.POSITIVE_INFINITY : performance.now() + this.settings.down;
    if (wasUp) {
      const until = this.settings.checked ? 'until a health check passes' : `for ${this.settings.down} ms`;
      this.log(logRecord('monitor', 'warn', `proxy: upstream ${this.spec.url} is down ${until}: ${reason}`));
    }
  }

  /** It answered: a request went through, or a health check passed. */
  markUp(how: string): void {
    if (this.downUntil === 0) return;
    this.downUntil = 0;
    this.log(logRecord('monitor', 'info', `proxy: upstream ${this.spec.url} is up again (${how})`));
  }

  /** Figures for the status page. */
  get status(): { open: number; idle: number; queued: number; inFlight: number; down: boolean } {
    return {
      open: this.open,
      idle: this.idle.length,
      queued: this.waiters.length,
      inFlight: this.inFlight,
      down: this.downUntil > performance.now(),
    };
  }

  /** Closes the idle connections and opens no more; connections in use close when their exchanges end. */
  close(): void {
    this.shut = true;
    this.stopSweeping();
    for (const connection of this.idle.splice(0)) connection.destroy();
  }

  private connect(): UpstreamConnection {
    this.open++;
    return new UpstreamConnection(this, this.spec.address, this.settings.connectTimeout);
  }
}
