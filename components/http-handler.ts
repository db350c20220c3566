/**
 * The shape of a handler component: one request in on `inbox`, one response
 * (or a reroute) out on `outbox`. The router runs a fresh one per request and
 * gives it nothing else but `producerFinished` on control, which a handler
 * ignores: it finishes by itself once its work is done, response body
 * included (a CGI process, say, lives until its output has been sent), and
 * stops at once on `shutdown` (the client went away), releasing what it holds.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import type { LogRecord } from '../src/core/log.js';
import type { Lifecycle } from '../src/core/signals.js';
import type { HttpRequest, HttpResponse, Reroute } from '../src/http/messages.js';

export const handlerBoxes = boxes({
  inboxes: { inbox: box<HttpRequest>('the request to answer') },
  outboxes: {
    outbox: box<HttpResponse | Reroute>('the response, or a request to route again'),
    log: box<LogRecord>('what the handler has to say (stderr lines, failures)'),
  },
});

export type HandlerSpec = typeof handlerBoxes;

export abstract class HttpHandler<S extends HandlerSpec = HandlerSpec> extends Component<S> {
  /** `spec`: boxes of your own, extending `handlerBoxes`; the standard ones when absent. */
  constructor(spec?: S, name?: string) {
    super(spec ?? (handlerBoxes as S), name);
  }

  protected override onControl(message: Lifecycle): void {
    if (message.type === 'producerFinished') return;
    super.onControl(message);
  }
}
