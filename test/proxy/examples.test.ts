/**
 * The proxy examples (examples/proxy/, shown in docs/proxy.md) run for
 * real (test/doc-samples.test.ts checks the docs show them as they are).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { raw, request } from '../helpers/http.js';
import { nodeUpstream } from '../helpers/peers.js';
import { composed } from '../../examples/proxy/composed.js';
import { gateway } from '../../examples/proxy/gateway.js';
import type { BoxwireServer } from '../../src/server/server.js';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const app = (name: string) =>
  nodeUpstream((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ name, url: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'] }));
  });

async function started(server: BoxwireServer): Promise<number[]> {
  stops.push(() => server.stop(200));
  return (await server.listen()).map((a) => a.port);
}

describe('proxy examples', () => {
  it('gateway: files, /api/ balanced over two apps, a trusted balancer in front, a PROXY protocol port', async () => {
    const [a, b] = await Promise.all([app('a'), app('b')]);
    const root = mkdtempSync(join(tmpdir(), 'boxwire-gateway-'));
    stops.push(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(join(root, 'index.html'), '<h1>home</h1>');
    const [plain, relayed] = (await started(gateway([`http://127.0.0.1:${a.port}`, `http://127.0.0.1:${b.port}`], root))) as [
      number,
      number,
    ];
    expect((await request(plain, { path: '/' })).text).toBe('<h1>home</h1>');
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = JSON.parse((await request(plain, { path: '/api/users', headers: { 'x-forwarded-for': '198.51.100.7' } })).text);
      expect(r).toMatchObject({ url: '/users', xff: '198.51.100.7, 127.0.0.1' });
      names.add(r.name);
    }
    expect([...names].sort()).toEqual(['a', 'b']);
    const viaRelay = await raw(
      relayed,
      'PROXY TCP4 203.0.113.5 10.0.0.1 5555 80\r\nGET /api/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(JSON.parse(viaRelay.responses[0]!.text)).toMatchObject({ xff: '203.0.113.5' });
  });

  it('composed: a route of the ReverseProxy with a stage of its own, and a ProxyHandler component', async () => {
    const upstream = await app('u');
    const { server, proxies } = composed(`http://127.0.0.1:${upstream.port}`, 's3cret');
    stops.push(() => {
      for (const proxy of proxies) proxy.close();
    });
    const [port] = (await started(server)) as [number];
    expect((await request(port, { path: '/api/v1/ping' })).status).toBe(401);
    const ok = JSON.parse((await request(port, { path: '/api/v1/ping', headers: { 'x-api-key': 's3cret' } })).text);
    expect(ok).toMatchObject({ url: '/v1/ping', host: `127.0.0.1:${upstream.port}` });
    expect(JSON.parse((await request(port, { path: '/legacy/page?x=1' })).text)).toMatchObject({ url: '/old/page?x=1' });
  });
});
