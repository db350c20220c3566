import { afterEach, describe, expect, it } from 'vitest';
import { childrenNow, watchedServer } from '../examples/observability.js';
import { request } from './helpers/http.js';
import type { BoxwireServer } from '../src/server/server.js';

let running: BoxwireServer | undefined;
afterEach(async () => {
  await running?.stop(200);
  running = undefined;
});

describe('the observability example (docs/observability.md)', () => {
  it('shows a part of its own on the page and in /metrics, and introspects in code', async () => {
    const { server } = watchedServer(0);
    running = server;
    await server.listen();
    const port = server.addresses[0]!.port;
    for (let i = 0; i < 3; i++) expect((await request(port, { path: '/report' })).text).toBe('a report\n');
    const metrics = (await request(port, { path: '/metrics' })).text;
    expect(metrics).toContain('boxwire_slots_done_total{slots="reports"} 3');
    expect(metrics).toContain('boxwire_slots_busy{slots="reports"} 0');
    expect(metrics).toMatch(/boxwire_http_requests_total\{route="report",interface="http:\/\/127\.0\.0\.1:\d+",status_class="2xx"\} 3/);
    const view = JSON.parse((await request(port, { path: '/server-status?format=graph' })).text);
    expect(view.nodes.find((n: { id: string }) => n.id === 'slots:reports').figures).toEqual({ busy: 0, done: 3 });
    expect(childrenNow(server)[0]).toMatch(/^parser \(HttpParser\): \d+ live$/);
  });
});
