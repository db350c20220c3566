/**
 * One FastCGI application server (an address) as its pool keeps it: its
 * connections, what it said of itself (FCGI_GET_VALUES_RESULT, FastCGI
 * §4.1), and whether it can be reached.
 */
import type { FcgiValues } from '../../src/http/fastcgi-records.js';
import type { FastCgiConnectionSide, FastCgiServerSide } from './parts.js';
import { addressText, type FastCgiAddress } from './options.js';

/** One application server, as the pool sees it. */
export class ServerSlot implements FastCgiServerSide {
  readonly label: string;
  readonly connections = new Set<FastCgiConnectionSide>();
  /** Whether FCGI_GET_VALUES has been sent to it. */
  probed = false;
  /** What it said of itself (FCGI_GET_VALUES_RESULT). */
  private values: FcgiValues = {};
  /** Up; down since a connect failed (until `downUntil`); starting (a spawned process not listening yet). */
  state: 'up' | 'down' | 'starting';
  downUntil = 0;
  lastFailure: string | undefined;

  constructor(
    readonly address: FastCgiAddress,
    private readonly cap: number,
    private readonly multiplex: number,
    starting: boolean,
  ) {
    this.label = addressText(address);
    this.state = starting ? 'starting' : 'up';
  }

  get connectionCap(): number {
    return Math.min(this.cap, this.values.maxConns ?? Number.POSITIVE_INFINITY);
  }

  /** Requests one connection carries at once: one unless the application multiplexes. */
  get requestsPerConnection(): number {
    return this.values.mpxsConns ? Math.min(this.multiplex, this.values.maxReqs ?? Number.POSITIVE_INFINITY) : 1;
  }

  learn(values: FcgiValues): void {
    this.values = values;
  }

  noMultiplexing(): void {
    this.values = { ...this.values, mpxsConns: false };
  }

  usable(now: number): boolean {
    return this.state === 'up' || (this.state === 'down' && now >= this.downUntil);
  }
}
