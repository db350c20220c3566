import { describe, expect, it } from 'vitest';
import { HttpHandler } from '../../components/http-handler.js';
import { handlerBoxes } from '../../components/http-handler.js';
import { RequestRouter, RouteTable } from '../../components/request-router.js';
import { Sink } from '../../components/sink.js';
import { link } from '../../src/core/link.js';
import { producerFinished } from '../../src/core/signals.js';
import { respond, type HttpResponse } from '../../src/http/messages.js';
import { request as httpRequest, startServer } from '../helpers/http.js';
import { fakeRequest } from '../helpers/requests.js';

/** Answers with a reroute to /target, then finishes: the router must not take its end for a failure. */
class RerouteThenFinish extends HttpHandler {
  constructor(private readonly lingerMs: number) {
    super(handlerBoxes);
  }
  protected main(): void {
    this.on('inbox', (request) => {
      this.send('outbox', { type: 'reroute', request: { ...request, path: '/target', target: '/target', rawPath: '/target', query: '' } });
      if (this.lingerMs === 0) this.finish();
      else this.timer(this.lingerMs, () => this.finish());
    });
  }
}

describe('RequestRouter: reroutes', () => {
  for (const linger of [0, 50]) {
    it(`answers a rerouted request with the new handler's answer when the old one ends ${linger ? 'later' : 'at once'}`, async () => {
      const { port } = await startServer({
        routes: [
          { path: '/start', component: () => new RerouteThenFinish(linger) },
          // Slower than the old handler's end, so its end comes while the new answer is awaited.
          { path: '/target', handler: () => new Promise((resolve) => setTimeout(() => resolve({ body: 'arrived' }), 100)) },
        ],
      });
      const response = await httpRequest(port, { path: '/start' });
      expect(response.status).toBe(200);
      expect(response.text).toBe('arrived');
    });
  }
});

describe('RequestRouter: the end of its input', () => {
  it('answers what it has read before finishing, async handlers and handler components alike', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const router = new RequestRouter(
      new RouteTable([
        { path: '/call', handler: async () => (await released, { body: 'called' }) },
        { path: '/component', component: () => new AnswerLater(released) },
      ]),
    );
    const out = new Sink<HttpResponse>().start();
    link(router.outboxes.outbox, out.inboxes.inbox);
    router.start();
    router.inboxes.inbox.send(fakeRequest('/call', {}, 'GET', 0));
    router.inboxes.inbox.send(fakeRequest('/component', {}, 'GET', 1));
    router.inboxes.control.send(producerFinished);
    await new Promise((resolve) => setImmediate(resolve));
    expect(router.state).toBe('running');
    release();
    expect(await router.done).toEqual({ reason: 'finished' });
    // In the order they were answered (the responder puts them back in order).
    expect(out.received.map((r) => [r.request.seq, r.status]).sort()).toEqual([
      [0, 200],
      [1, 200],
    ]);
    await out.shutdown();
  });
});

/** Answers once `ready` settles, then finishes. */
class AnswerLater extends HttpHandler {
  constructor(private readonly ready: Promise<void>) {
    super(handlerBoxes);
  }
  protected main(): void {
    this.on('inbox', (request) => {
      void this.ready.then(() => {
        this.send('outbox', respond(request, { body: 'component' }));
        this.finish();
      });
    });
  }
}
