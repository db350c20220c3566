/**
 * StaticFile: a document root's handler as a component, for graphs of your
 * own (a Carousel, a router route with `component:`). It takes one request
 * on `inbox`, answers on `outbox` with what its StaticSite serves, and
 * finishes; `shutdown` (the client went away) stops it at once, and the
 * answer still on its way is dropped. It holds nothing else: the responder
 * reads the file.
 */
import { HttpHandler, handlerBoxes } from '../http-handler.js';
import type { HttpResponse } from '../../src/http/messages.js';
import type { StaticSite } from './site.js';

export class StaticFile extends HttpHandler {
  constructor(private readonly site: StaticSite) {
    super(handlerBoxes);
  }

  protected main(): void {
    this.on('inbox', (request) => {
      const answer = this.site.serve(request);
      if (!(answer instanceof Promise)) return this.reply(answer);
      this.task(async () => {
        const response = await answer;
        this.run(() => this.reply(response));
      });
    });
  }

  private reply(response: HttpResponse): void {
    this.send('outbox', response);
    this.finish();
  }
}
