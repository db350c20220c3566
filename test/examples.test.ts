import { describe, expect, it } from 'vitest';
import { request, startServer } from './helpers/http.js';
import { securityHeaders, versionedProtocol } from '../examples/composition.js';

describe('README composition examples', () => {
  it('a stage of your own adds headers to every response, errors included', async () => {
    const { port } = await startServer({ routes: [{ path: '/', handler: () => ({ body: 'hi' }) }], stages: [securityHeaders] });
    for (const path of ['/', '/missing']) {
      const r = await request(port, { path });
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['server-timing']).toMatch(/^app;dur=/);
    }
  });

  it('a protocol factory of your own rewires the per-connection graph', async () => {
    const { port } = await startServer({
      routes: [{ path: '/users/:id', handler: (r) => ({ body: `user ${r.params!.id}` }) }],
      protocol: versionedProtocol,
    });
    expect((await request(port, { path: '/v1/users/7' })).text).toBe('user 7');
    expect((await request(port, { path: '/users/8' })).text).toBe('user 8');
    expect((await request(port, { path: '/v1/nothing' })).status).toBe(404);
  });
});
