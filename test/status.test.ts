import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../src/http/counters.js';
import { History } from '../src/http/history.js';
import { statusHtml } from '../src/http/status-page.js';
import { request, startServer, sleep } from './helpers/http.js';

describe('figures', () => {
  it('a histogram gives percentiles within a bucket', () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 ms .. 100 ms
    expect(h.count).toBe(1000);
    expect(h.mean).toBeCloseTo(50.05, 1);
    expect(h.percentile(0.5)).toBeGreaterThan(50 * 0.8);
    expect(h.percentile(0.5)).toBeLessThan(50 * 1.25);
    expect(h.percentile(0.99)).toBeGreaterThan(99 * 0.8);
    expect(h.percentile(1)).toBe(100);
    expect(new Histogram().percentile(0.5)).toBe(0);
  });

  it('the page escapes what it shows', async () => {
    const { server } = await startServer({ serverHeader: '<b>me</b>' });
    server.counters.gauges.add({ kind: 'gauge', name: '<script>', read: () => ({ value: 1 }) });
    const html = statusHtml({ view: server.introspect(), history: new History().view() }, '/s?format=feed', '<b>me</b>');
    expect(html).not.toMatch(/<script>[^<]*1/);
    expect(html).toContain('&#60;script&#62;');
    expect(html).toContain('&#60;b&#62;me&#60;/b&#62; status');
    expect(html).not.toContain('<b>me</b>');
  });
});

describe('the status route', () => {
  it('reports figures that match the traffic sent', async () => {
    const { port } = await startServer({
      status: '/server-status',
      routes: [
        { path: '/ok', handler: () => ({ body: 'x'.repeat(100) }) },
        {
          path: '/fail',
          handler: () => {
            throw new Error('no');
          },
        },
      ],
    });
    for (let i = 0; i < 7; i++) await request(port, { path: '/ok' });
    for (let i = 0; i < 3; i++) await request(port, { path: '/missing' });
    await request(port, { path: '/fail' });
    const idle = net.connect(port, '127.0.0.1');
    await once(idle, 'connect');
    await sleep(20);
    const r = await request(port, { path: '/server-status?format=json' });
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    const s = JSON.parse(r.text);
    expect(s.requests.total).toBe(11);
    expect(s.requests.byClass).toEqual({ '1xx': 0, '2xx': 7, '3xx': 0, '4xx': 3, '5xx': 1 });
    expect(s.errors).toBe(1);
    expect(s.connections.open).toBe(2); // the idle one and this one
    expect(s.connections.total).toBe(13);
    expect(s.bytes.sent).toBeGreaterThanOrEqual(700);
    expect(s.time.p50).toBeGreaterThan(0);
    idle.destroy();
    const html = await request(port, { path: '/server-status' });
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.text).toMatch(/<dd data-figure="server.requests">12<\/dd>/);
    const json = await request(port, { path: '/server-status', headers: { accept: 'application/json' } });
    expect(JSON.parse(json.text).requests.total).toBe(13);
  });

  it('is off unless asked for', async () => {
    const { port } = await startServer({});
    expect((await request(port, { path: '/server-status' })).status).toBe(404);
  });

  it('a bad path is refused at construction', async () => {
    await expect(startServer({ status: 'nope' })).rejects.toThrow(/"status" must be a path/);
  });
});

describe('the health route', () => {
  it('answers 200 while serving; once a stop begins, new checks are refused', async () => {
    const { server, port } = await startServer({
      healthz: '/healthz',
      routes: [{ path: '/slow', handler: async () => (await sleep(150), { body: 'done' }) }],
    });
    const ok = await request(port, { path: '/healthz' });
    expect([ok.status, ok.text, ok.headers['cache-control']]).toEqual([200, 'ok\n', 'no-store']);
    const busy = net.connect(port, '127.0.0.1');
    await once(busy, 'connect');
    busy.write('GET /slow HTTP/1.1\r\nHost: t\r\n\r\n');
    await sleep(20);
    const stopped = server.stop();
    await sleep(20);
    const check = net.connect(port, '127.0.0.1');
    const [error] = await once(check, 'error');
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const { bytes } = await new Promise<{ bytes: string }>((resolve) => {
      let text = '';
      busy.on('data', (c: Buffer) => (text += c.toString('latin1')));
      busy.on('close', () => resolve({ bytes: text }));
    });
    expect(bytes).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*done$/);
    await stopped;
  });
});
