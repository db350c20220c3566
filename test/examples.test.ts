import { describe, expect, it } from 'vitest';
import { request, startServer } from './helpers/http.js';
import { apiKey, securityHeaders, versioned, versionedProtocol } from '../examples/composition.js';
import type { Sent } from '../src/http/messages.js';

const users = { path: '/users/:id', handler: (r: { params?: Readonly<Record<string, string>> }) => ({ body: `user ${r.params!.id}` }) };

describe('composition examples (docs/composing.md)', () => {
  it('a request stage answers for itself before the router', async () => {
    const { port } = await startServer({ routes: [users], before: [apiKey('s3cret')] });
    const refused = await request(port, { path: '/users/1' });
    expect([refused.status, refused.headers['www-authenticate']]).toEqual([401, 'ApiKey']);
    expect((await request(port, { path: '/users/1', headers: { 'x-api-key': 's3cret' } })).text).toBe('user 1');
  });

  it('a response stage of your own adds headers to every response, errors included', async () => {
    const { port } = await startServer({ routes: [{ path: '/', handler: () => ({ body: 'hi' }) }], after: [securityHeaders] });
    for (const path of ['/', '/missing']) {
      const r = await request(port, { path });
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['server-timing']).toMatch(/^app;dur=/);
    }
  });

  it('the default graph edited by name: a stage between parser and router, a tap on what was sent', async () => {
    const heard: Sent[] = [];
    const { port } = await startServer({ routes: [users], connection: versioned((sent) => heard.push(sent)) });
    expect((await request(port, { path: '/v1/users/7' })).text).toBe('user 7');
    expect((await request(port, { path: '/v1/nothing' })).status).toBe(404);
    expect(heard.map((s) => [s.status, s.request.path])).toEqual([
      [200, '/users/7'],
      [404, '/nothing'],
    ]);
  });

  it('a protocol factory of your own rewires the per-connection graph', async () => {
    const { port } = await startServer({ routes: [users], protocol: versionedProtocol });
    expect((await request(port, { path: '/v1/users/7' })).text).toBe('user 7');
    expect((await request(port, { path: '/users/8' })).text).toBe('user 8');
    expect((await request(port, { path: '/v1/nothing' })).status).toBe(404);
  });
});
