/**
 * The client as a component: call messages in, outcomes out, in a Pipeline,
 * against a real server. Outcomes leave in the order the calls came, failures
 * are messages, producerFinished waits for the calls in flight, shutdown
 * aborts them, and nothing is left alive afterwards.
 */
import { describe, expect, it } from 'vitest';
import { startServer, sleep, waitFor } from '../helpers/http.js';
import { snapshot, expectNoLeaks } from '../helpers/leaks.js';
import { Pipeline } from '../../src/core/graph.js';
import { link } from '../../src/core/link.js';
import { producerFinished } from '../../src/core/signals.js';
import type { LogRecord } from '../../src/core/log.js';
import type { HttpResponse } from '../../src/http/messages.js';
import { map } from '../../components/transform.js';
import { Sink } from '../../components/sink.js';
import { ApiClientComponent, apiClient, type CallMessage, type OutcomeMessage } from '../../components/api-client.js';
import { type ApiError, defineApi, type Fetch } from '../../src/client/index.js';

/** Every response closes its connection, so the server's per-connection graphs end with the calls and leak checks can count. */
const closeEach = () => map((response: HttpResponse) => ({ ...response, close: true }));

const description = {
  'items/{n}': { get: [['delay', 'integer', 'optional']] },
  search: { post: [['q', 'string']] },
} as const;

async function server() {
  const seen: string[] = [];
  const { url } = await startServer({
    stages: [closeEach],
    routes: [
      {
        path: '/items/:n',
        handler: async (req) => {
          seen.push(`started ${req.params!.n}`);
          const delay = Number(new URLSearchParams(req.query).get('delay') ?? 0);
          await sleep(delay);
          return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ n: Number(req.params!.n) }) };
        },
      },
      { path: '/search', handler: () => ({ status: 500 }) },
    ],
  });
  return { url, seen, api: defineApi(description, { baseUrl: url }) };
}

type Api = ReturnType<typeof defineApi<typeof description>>;

describe('ApiClientComponent', () => {
  it('in a pipeline: outcomes in call order, failures as messages, finished after the last one', async () => {
    const { api } = await server();
    const before = snapshot();
    const calls = new Pipeline(
      map(
        (n: number): CallMessage<Api> => ({
          type: 'call',
          name: 'items',
          method: 'get',
          args: { n, delay: n === 1 ? 120 : 5 },
          tag: `#${n}`,
        }),
      ),
      apiClient(api, { concurrency: 3 }),
      map((outcome: OutcomeMessage<Api>) =>
        outcome.type === 'result'
          ? `${String(outcome.call.tag)} ${JSON.stringify(outcome.data)}`
          : `${String(outcome.call.tag)} ${(outcome.error as ApiError).kind}`,
      ),
    );
    const out = new Sink<string>();
    link(calls.outboxes.outbox!, out.inboxes.inbox);
    out.start();
    calls.start();
    for (let n = 1; n <= 5; n++) calls.inboxes.inbox!.send(n);
    calls.inboxes.control!.send(producerFinished);
    expect(await calls.done).toEqual({ reason: 'finished' });
    // The first call was the slowest; its outcome still leaves first.
    expect(out.received).toEqual(['#1 {"n":1}', '#2 {"n":2}', '#3 {"n":3}', '#4 {"n":4}', '#5 {"n":5}']);
    await out.shutdown();
    await expectNoLeaks(before);
  });

  it('runs at most `concurrency` calls at once', async () => {
    const { api, seen } = await server();
    const client = new ApiClientComponent(api, { concurrency: 2 });
    const outcomes: OutcomeMessage<Api>[] = [];
    client.outboxes.outbox.subscribe((o) => outcomes.push(o));
    client.start();
    for (let n = 1; n <= 4; n++) client.inboxes.inbox.send({ type: 'call', name: 'items', method: 'get', args: { n, delay: 300 } });
    await waitFor(() => seen.length === 2);
    await sleep(40);
    expect(seen).toEqual(['started 1', 'started 2']);
    client.inboxes.control.send(producerFinished);
    await client.done;
    expect(outcomes.map((o) => o.type === 'result' && o.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
  });

  it('failed calls, bad arguments and unknown calls are failure messages, logged, and the stream goes on', async () => {
    const { api } = await server();
    const client = new ApiClientComponent(api);
    const outcomes: OutcomeMessage<Api>[] = [];
    const logs: LogRecord[] = [];
    client.outboxes.outbox.subscribe((o) => outcomes.push(o));
    client.outboxes.log.subscribe((r) => logs.push(r));
    client.start();
    const inbox = client.inboxes.inbox as unknown as { send(m: unknown): void };
    inbox.send({ type: 'call', name: 'search', method: 'post', args: { q: 'x' } });
    inbox.send({ type: 'call', name: 'search', method: 'post', args: {} });
    inbox.send({ type: 'call', name: 'nothing', method: 'get' });
    inbox.send({ type: 'call', name: 'items', method: 'constructor' });
    inbox.send('not a call');
    inbox.send({ type: 'call', name: 'items', method: 'get', args: { n: 9 } });
    client.inboxes.control.send(producerFinished);
    expect(await client.done).toEqual({ reason: 'finished' });
    const summary = outcomes.map((o) =>
      o.type === 'result' ? o.data : `${(o.error as ApiError).kind}: ${(o.error as ApiError).message.replace(/\(http[^)]*\)/, '(url)')}`,
    );
    expect(summary).toEqual([
      'status: POST search (url): the server answered 500 Internal Server Error',
      'arguments: POST search: missing required parameter "q" (string)',
      'arguments: GET nothing: the API has no such call',
      'arguments: CONSTRUCTOR items: the API has no such call',
      'arguments: GET ?: not a call message: "not a call"',
      { n: 9 },
    ]);
    expect(logs.map((r) => [r.channel, r.level])).toEqual(Array(5).fill(['errors', 'warn']));
    expect(logs[0]!.message).toMatch(/^api call failed: POST search/);
  });

  it('shutdown aborts the calls in flight and leaves nothing alive', async () => {
    // A fetch that answers only when aborted: the component's own resources, apart from any server's.
    const aborted: string[] = [];
    const fetch: Fetch = (url, init) =>
      new Promise((_, reject) =>
        init.signal?.addEventListener('abort', () => (aborted.push(url.pathname), reject(new DOMException('aborted', 'AbortError')))),
      );
    const api = defineApi(description, { baseUrl: 'http://127.0.0.1:9/', fetch });
    const before = snapshot();
    const client = apiClient(api, { concurrency: 2 });
    const outcomes: unknown[] = [];
    client.outboxes.outbox.subscribe((o) => outcomes.push(o));
    client.start();
    for (let n = 1; n <= 3; n++) client.inboxes.inbox.send({ type: 'call', name: 'items', method: 'get', args: { n } });
    await sleep(20);
    expect(await client.shutdown()).toEqual({ reason: 'shutdown' });
    await sleep(20);
    expect(aborted).toEqual(['/items/1', '/items/2']);
    expect(outcomes).toEqual([]);
    await expectNoLeaks(before);
  });

  it('takes a timeout for its calls', async () => {
    const { api } = await server();
    const client = new ApiClientComponent(api, { timeout: 50 });
    const outcomes: OutcomeMessage<Api>[] = [];
    client.outboxes.outbox.subscribe((o) => outcomes.push(o));
    client.start();
    client.inboxes.inbox.send({ type: 'call', name: 'items', method: 'get', args: { n: 1, delay: 300 } });
    client.inboxes.control.send(producerFinished);
    await client.done;
    expect(outcomes[0]).toMatchObject({ type: 'failure', error: { kind: 'timeout' } });
  });

  it('refuses a bad concurrency or timeout when made', () => {
    expect(() => new ApiClientComponent({}, { concurrency: 0 })).toThrow(/concurrency must be a whole number above 0/);
    expect(() => new ApiClientComponent({}, { timeout: -1 })).toThrow(/timeout must be a number of milliseconds/);
  });
});
