/**
 * The active health check: every `interval` ms, GET `path` on each upstream
 * over a connection of its own (not the pool's: a check must not take a
 * request's place, nor be answered by a connection the server half closed),
 * with `Connection: close`. A 2xx or 3xx status line within `timeout` ms
 * marks the upstream up; anything else (refused, reset, a malformed or
 * error response, silence) marks it down. Only the status line is read.
 * Its timers never keep the process alive, and `stop()` ends every check
 * in progress.
 */
import net, { type Socket } from 'node:net';
import { ResponseHeadReader } from '../../src/http/parse-response-head.js';
import type { Upstream } from './upstream.js';

export interface HealthCheckSettings {
  readonly path: string;
  readonly interval: number;
  readonly timeout: number;
}

export class HealthCheck {
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly running = new Set<Socket>();

  constructor(
    private readonly upstreams: readonly Upstream[],
    private readonly settings: HealthCheckSettings,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.checkAll(), this.settings.interval);
    this.timer.unref();
    this.checkAll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const socket of this.running) socket.destroy();
    this.running.clear();
  }

  private checkAll(): void {
    for (const upstream of this.upstreams) this.check(upstream);
  }

  /** One check of one upstream; it settles once, however it ends. */
  private check(upstream: Upstream): void {
    const address = upstream.spec.address;
    const socket = address.kind === 'tcp' ? net.connect({ host: address.host, port: address.port }) : net.connect({ path: address.path });
    this.running.add(socket);
    let settled = false;
    const settle = (ok: boolean, how: string): void => {
      if (settled) return;
      settled = true;
      this.running.delete(socket);
      socket.destroy();
      if (ok) upstream.markUp(`health check: ${how}`);
      else upstream.markDown(`health check: ${how}`);
    };
    const reader = new ResponseHeadReader({ method: 'GET', maxHeaders: 100, maxBytes: 64 * 1024 });
    socket.setTimeout(this.settings.timeout, () => settle(false, `no answer within ${this.settings.timeout} ms`));
    socket.on('connect', () => {
      socket.write(
        `GET ${this.settings.path} HTTP/1.1\r\nHost: ${upstream.spec.authority}\r\nConnection: close\r\nUser-Agent: boxwire-health-check\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      const result = reader.push(chunk);
      if (!result) return;
      if (!result.ok) return settle(false, result.reason);
      const status = result.head.status;
      settle(status >= 200 && status < 400, `${this.settings.path} answered ${status}`);
    });
    socket.on('error', (error: Error) => settle(false, error.message));
    socket.on('close', () => settle(false, 'the connection closed before a status line'));
  }
}
