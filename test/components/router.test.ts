import { describe, expect, it } from 'vitest';
import { HttpHandler } from '../../components/http-handler.js';
import { handlerBoxes } from '../../components/http-handler.js';
import { RequestRouter, RouteTable, type HandlerCall, type HandlerTask } from '../../components/request-router.js';
import { Sink } from '../../components/sink.js';
import { Box } from '../../src/core/box.js';
import { link } from '../../src/core/link.js';
import { logRecord, type LogRecord } from '../../src/core/log.js';
import { producerFinished } from '../../src/core/signals.js';
import { HttpError } from '../../src/http/errors.js';
import { respond, type HttpRequest, type HttpResponse } from '../../src/http/messages.js';
import { request as httpRequest, startServer, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
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

/** A router with one task route at /task, its output and log kept; `start` is the task. */
function taskRouter(start: HandlerTask, options: { handlerTimeout?: number } = {}) {
  const router = new RequestRouter(
    new RouteTable([
      { path: '/task', task: start },
      { path: '/target', handler: () => ({ body: 'rerouted' }) },
    ]),
    options,
  );
  const out = new Sink<HttpResponse>().start();
  const log = new Sink<LogRecord>().start();
  link(router.outboxes.outbox, out.inboxes.inbox);
  link(router.outboxes.log, log.inboxes.inbox);
  router.start();
  return { router, out: out.received, log: log.received, stop: () => Promise.all([out.shutdown(), log.shutdown()]) };
}

/** A task that keeps its call and counts how often it is called off. */
function keptTask() {
  const kept: { call?: HandlerCall; request?: HttpRequest; cancels: number } = { cancels: 0 };
  const start: HandlerTask = (request, call) => {
    kept.call = call;
    kept.request = request;
    return { cancel: () => void kept.cancels++ };
  };
  return { kept, start };
}

describe('RequestRouter: tasks', () => {
  it('passes on the answer a task gives later, at its own boundary, and its log lines; the end of its input waits for the task to end', async () => {
    const { kept, start } = keptTask();
    const t = taskRouter(start);
    t.router.inboxes.inbox.send(fakeRequest('/task'));
    expect(kept.request!.mount).toBe('/task');
    t.router.inboxes.control.send(producerFinished);
    await new Promise((resolve) => setImmediate(resolve));
    kept.call!.log(logRecord('errors', 'warn', 'said'));
    kept.call!.answer(respond(kept.request!, { body: 'done' }));
    expect(t.out.map((r) => r.body)).toEqual(['done']);
    expect(t.log.map((r) => r.message)).toEqual(['said']);
    // Answered, but still at work (a body streaming): the router waits for its end.
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.router.state).toBe('running');
    kept.call!.end();
    expect(await t.router.done).toEqual({ reason: 'finished' });
    expect(kept.cancels).toBe(0);
    await t.stop();
  });

  it('calls off the tasks still at work when it stops (the client went away)', async () => {
    const before = snapshot();
    const { kept, start } = keptTask();
    const t = taskRouter(start);
    t.router.inboxes.inbox.send(fakeRequest('/task'));
    await t.router.shutdown();
    expect(kept.cancels).toBe(1);
    expect(t.out).toEqual([]);
    await t.stop();
    await expectNoLeaks(before);
  });

  it('answers 504 for a task past the time limit and calls it off; its late answer is dropped', async () => {
    const { kept, start } = keptTask();
    const t = taskRouter(start, { handlerTimeout: 20 });
    t.router.inboxes.inbox.send(fakeRequest('/task'));
    await waitFor(() => t.out.length === 1);
    expect(t.out[0]!.status).toBe(504);
    expect(kept.cancels).toBe(1);
    kept.call!.answer(respond(kept.request!, { body: 'late' }));
    expect(t.out).toHaveLength(1);
    await t.router.shutdown();
    // Called off once: the router no longer holds it.
    expect(kept.cancels).toBe(1);
    await t.stop();
  });

  it('answers 500 for a task that ends without answering, or throws as it starts', async () => {
    const ends = taskRouter((_request, call) => {
      setImmediate(() => call.end());
      return { cancel: () => {} };
    });
    ends.router.inboxes.inbox.send(fakeRequest('/task'));
    await waitFor(() => ends.out.length === 1);
    expect([ends.out[0]!.status, (ends.out[0]!.error as Error).message]).toEqual([500, 'the handler task ended without answering']);
    await ends.router.shutdown();
    await ends.stop();
    const throws = taskRouter(() => {
      throw new HttpError(503, 'not now');
    });
    throws.router.inboxes.inbox.send(fakeRequest('/task'));
    expect(throws.out.map((r) => r.status)).toEqual([503]);
    await throws.router.shutdown();
    await throws.stop();
  });

  it('routes again a reroute a task answers with, and its end after that owes nothing', async () => {
    const { kept, start } = keptTask();
    const t = taskRouter(start);
    t.router.inboxes.inbox.send(fakeRequest('/task'));
    const request = kept.request!;
    kept.call!.answer({ type: 'reroute', request: { ...request, path: '/target', target: '/target', rawPath: '/target' } });
    kept.call!.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.out.map((r) => [r.status, r.body])).toEqual([[200, 'rerouted']]);
    await t.router.shutdown();
    await t.stop();
  });

  it('handles what reaches a box the task made with its call as a dispatcher at the router boundary, after the handler running', async () => {
    const order: string[] = [];
    const t = taskRouter((request, call) => {
      const box = new Box<string>({ name: 'task' }, 'told', 'in', 'what the task is told');
      box.handleWith(call, (message) => {
        order.push(message);
        call.answer(respond(request, { body: message }));
        call.end();
      });
      // Told while the router still routes: handled only once that is done.
      box.send('told');
      order.push('started');
      return { cancel: () => {} };
    });
    t.router.inboxes.inbox.send(fakeRequest('/task'));
    expect(order).toEqual(['started', 'told']);
    expect(t.out.map((r) => r.body)).toEqual(['told']);
    await t.router.shutdown();
    await t.stop();
  });

  it('refuses a route with more than one kind of handler', () => {
    expect(() => new RouteTable([{ path: '/x', handler: () => ({}), task: () => ({ cancel: () => {} }) }])).toThrow(
      /exactly one of handler or component or task/,
    );
  });
});
