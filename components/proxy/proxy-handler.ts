/**
 * ProxyHandler: the proxy as a handler component, for graphs composed by
 * hand (a router's `component` route, a Carousel, a graph of your own):
 * one request in on `inbox`, its response out on `outbox`, and the
 * component finishes once the exchange holds nothing more (its response
 * body sent or given up). `shutdown` (the client went away) calls the
 * exchange off. It runs the same ProxyExchange a ReverseProxy's route runs as a
 * task; the route is the lighter of the two (no component per request).
 */
import type { Dispatcher } from '../../src/core/box.js';
import type { LogRecord } from '../../src/core/log.js';
import type { HttpRequest, HttpResponse, Reroute } from '../../src/http/messages.js';
import { HttpHandler } from '../http-handler.js';
import type { Cancellable, HandlerCall } from '../request-router.js';
import { ProxyExchange } from './exchange.js';
import type { ReverseProxy } from './reverse-proxy.js';

export class ProxyHandler extends HttpHandler implements HandlerCall {
  private exchange: Cancellable | undefined = undefined;

  constructor(private readonly proxy: ReverseProxy) {
    super();
  }

  protected main(): void {
    this.on('inbox', this.onRequest);
    this.own(() => this.exchange?.cancel());
  }

  private onRequest(request: HttpRequest): void {
    if (this.exchange) return;
    this.exchange = new ProxyExchange(request, this, this.proxy);
  }

  // What the exchange is given (HandlerCall), as the router gives a task.

  answer(result: HttpResponse | Reroute): void {
    this.send('outbox', result);
  }

  end(): void {
    this.run(() => {
      this.exchange = undefined;
      this.finish();
    });
  }

  log(record: LogRecord): void {
    this.send('log', record);
  }

  override run(work: () => void): void {
    super.run(work);
  }

  dispatchTo(handler: (message: unknown) => void, message: unknown): void {
    (this.boundary as Dispatcher).dispatchTo(handler, message);
  }
}
