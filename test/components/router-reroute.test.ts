import { describe, expect, it } from 'vitest';
import { HttpHandler } from '../../components/http-handler.js';
import { handlerBoxes } from '../../components/http-handler.js';
import { request as httpRequest, startServer } from '../helpers/http.js';

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
