/**
 * ReverseProxy: one proxied prefix and the upstream servers behind it, shared by
 * every connection of a server (as a StaticSite or CgiProcesses is): their
 * connection pools, their health, the balancing between them, and the
 * active health check when there is one. Each request under the prefix is
 * a ProxyExchange (exchange.ts), the task `route()` gives the router; a
 * graph composed by hand can run one per request as a component instead
 * (`ProxyHandler`, proxy-handler.ts).
 *
 * Balancing: round-robin over the upstreams that are up, or the one with
 * the fewest requests in flight (ties broken in turn). When every one is
 * down, the one that went down first is tried anyway (as nginx does with a
 * single server): refusing everything would keep a server down that has
 * come back.
 *
 * `start()` begins the health checks, `close()` ends them and the idle
 * connections; the server does both with its own start and stop.
 */
import type { LogRecord } from '../../src/core/log.js';
import { HttpError } from '../../src/http/errors.js';
import type { Route } from '../request-router.js';
import { ProxyExchange } from './exchange.js';
import { HealthCheck } from './health-check.js';
import { resolveProxyOptions, type ProxyOption, type ResolvedProxyOptions } from './options.js';
import { Upstream } from './upstream.js';

export interface ProxyStatus {
  readonly upstreams: number;
  readonly down: number;
  readonly open: number;
  readonly idle: number;
  readonly queued: number;
  readonly inFlight: number;
}

export class ReverseProxy {
  readonly options: ResolvedProxyOptions;
  readonly upstreams: readonly Upstream[];
  private readonly check: HealthCheck | undefined;
  private next = 0;
  private closed = false;

  constructor(
    options: ProxyOption | ResolvedProxyOptions,
    /** Where the proxy's own news goes (upstreams down and up); requests log through their connection. Dropped when absent. */
    log: (record: LogRecord) => void = () => {},
  ) {
    this.options = typeof options === 'object' && 'upstreams' in options ? options : resolveProxyOptions(options);
    const o = this.options;
    const settings = {
      connections: o.connections,
      idle: o.idle,
      queue: o.queue,
      connectTimeout: o.timeouts.connect,
      keepAlive: o.timeouts.keepAlive,
      down: o.timeouts.down,
      checked: o.healthCheck !== false,
    };
    this.upstreams = o.upstreams.map((spec) => new Upstream(spec, settings, log));
    this.check = o.healthCheck ? new HealthCheck(this.upstreams, o.healthCheck) : undefined;
  }

  /** The route that takes the prefix, every method. */
  route(): Route {
    const mount = this.options.mount;
    return {
      path: `${mount}/*`,
      name: `proxy ${mount || '/'} -> ${this.options.upstreams.map((u) => u.url).join(', ')}`,
      task: (request, call) => {
        if (this.closed) throw new HttpError(503, 'the proxy has been closed');
        return new ProxyExchange(request, call, this);
      },
    };
  }

  /** Begins the active health checks, if any. */
  start(): void {
    if (!this.closed) this.check?.start();
  }

  /** Ends the health checks and the idle connections; exchanges in flight finish on theirs. */
  close(): void {
    this.closed = true;
    this.check?.stop();
    for (const upstream of this.upstreams) upstream.close();
  }

  /**
   * The upstream for a request: by the balancing rule among those up, other
   * than `avoid` (the one a retry moves away from) when there is another.
   */
  choose(avoid?: Upstream): Upstream {
    const all = this.upstreams;
    const n = all.length;
    if (n === 1) return all[0]!;
    const now = performance.now();
    const start = this.next;
    this.next = (this.next + 1) % n;
    let best: Upstream | undefined;
    for (let k = 0; k < n; k++) {
      const upstream = all[(start + k) % n]!;
      if (upstream === avoid || upstream.isDown(now)) continue;
      if (this.options.balance === 'round-robin') return upstream;
      if (!best || upstream.inFlight < best.inFlight) best = upstream;
    }
    if (best) return best;
    // Every one is down (or the one to avoid is the only one up): the one down longest, else the one avoided.
    for (const upstream of all) if (upstream !== avoid && (!best || upstream.downUntil < best.downUntil)) best = upstream;
    return best ?? avoid ?? all[0]!;
  }

  get status(): ProxyStatus {
    let down = 0;
    let open = 0;
    let idle = 0;
    let queued = 0;
    let inFlight = 0;
    for (const upstream of this.upstreams) {
      const s = upstream.status;
      if (s.down) down++;
      open += s.open;
      idle += s.idle;
      queued += s.queued;
      inFlight += s.inFlight;
    }
    return { upstreams: this.upstreams.length, down, open, idle, queued, inFlight };
  }
}
