/**
 * Fetch-style applications on the same pool: the example app
 * (examples/wsgi/fetch-app.mjs), a named `fetch` export, and handlers that
 * go wrong or see their client leave.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { leaveOnceAnswered, raw, request, waitFor } from '../helpers/http.js';
import { fixture, logged, wsgiServer } from '../helpers/wsgi.js';

const example = fileURLToPath(new URL('../../examples/wsgi/fetch-app.mjs', import.meta.url));

describe('fetch-style applications', () => {
  it('answer a Web Request with a Response: the example', async () => {
    const { port } = await wsgiServer({ wsgi: [`/api/=${example}`] });
    const hello = await request(port, { path: '/api/hello?name=boxwire' });
    expect([hello.status, hello.headers['content-type'], hello.text]).toEqual([200, 'application/json', '{"hello":"boxwire"}']);
    const missing = await request(port, { path: '/api/nothing' });
    expect(missing.status).toBe(404);
  });

  it('stream request bodies in and response bodies out', async () => {
    const { port } = await wsgiServer({ wsgi: [`/api/=${example}`] });
    const body = randomBytes(400_000);
    const echo = await request(port, { method: 'POST', path: '/api/echo', body, headers: { 'Content-Type': 'application/x-test' } });
    expect(echo.headers['content-type']).toBe('application/x-test');
    expect(echo.headers['transfer-encoding']).toBe('chunked');
    expect(echo.body.equals(body)).toBe(true);
  });

  it('send a slow stream chunk by chunk, as it is produced', async () => {
    const { port } = await wsgiServer({ wsgi: [`/api/=${example}`] });
    const started = Date.now();
    const res = await request(port, { path: '/api/count?to=4' });
    expect(res.text).toBe('1\n2\n3\n4\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('may be a named fetch export; hop-by-hop headers it sets are dropped; Set-Cookie is kept', async () => {
    const { port } = await wsgiServer({ wsgi: [`/n/=${fixture('fetch-named.mjs')}`] });
    const { responses } = await raw(port, 'PUT /n/thing HTTP/1.1\r\nHost: x\r\n\r\n', { responses: 1 });
    const res = responses[0]!;
    expect(res.text).toBe('PUT /n/thing from 127.0.0.1 signal:false\n');
    expect(res.headers['set-cookie']).toBe('a=1');
    // Connection: close set by the handler is the server's business: the connection stays open.
    expect(res.headers.connection).toBeUndefined();
  });

  it('see the request headers, without the spoofable ones', async () => {
    const { port } = await wsgiServer({ wsgi: [`/f/=${fixture('fetch-cases.mjs')}`] });
    const res = await request(port, { path: '/f/headers', headers: { 'X-One': '1', X_Two: '2', Accept: 'a' } });
    const seen = JSON.parse(res.text) as Record<string, string>;
    expect(seen).toMatchObject({ host: 'localhost', 'x-one': '1', accept: 'a' });
    expect(seen['x-two']).toBeUndefined();
  });

  it.each([
    ['/f/throw', 500, /fetch handler failed/],
    ['/f/not-a-response', 500, /must return a Response, not Object/],
    ['/f/error', 500, /network error/],
  ])('%s: %i', async (path, status, reason) => {
    const { port, logs } = await wsgiServer({ wsgi: [`/f/=${fixture('fetch-cases.mjs')}`] });
    expect((await request(port, { path })).status).toBe(status);
    await logged(logs, reason);
  });

  it('see request.signal abort, and their body cancelled, when the client goes away', async () => {
    const { server, port } = await wsgiServer({ wsgi: [`/f/=${fixture('fetch-cases.mjs')}`], pool: { minThreads: 1, maxThreads: 1 } });
    const events: string[] = [];
    const channel = new BroadcastChannel('wsgi-test-fetch');
    channel.onmessage = (event) => void events.push((event as { data: string }).data);
    await leaveOnceAnswered(port, 'GET /f/abort HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => events.includes('aborted') && events.includes('cancelled'));
    channel.close();
    await waitFor(() => server.poolStatus!.busy === 0);
  });
});
