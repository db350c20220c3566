/**
 * The document root's two additions over real sockets: the single-page
 * application fallback (`static.spa`) and virtual hosts (`vhosts`).
 */
import { describe, expect, it } from 'vitest';
import { makeTree } from '../helpers/fixture-tree.js';
import { raw, request, startServer } from '../helpers/http.js';

const html = 'text/html,application/xhtml+xml,*/*;q=0.8';

describe('the SPA fallback', () => {
  it('answers navigations with no file with index.html; files, assets and other routes are untouched', async () => {
    const root = makeTree({ 'index.html': '<app>', 'app.js': 'js', about: { 'index.html': '<about>' } });
    const { port } = await startServer({
      root,
      static: { spa: true },
      routes: [{ path: '/api/*', handler: () => ({ status: 404, body: 'no such thing' }) }],
    });
    const nav = await request(port, { path: '/settings/profile', headers: { accept: html } });
    expect([nav.status, nav.text, nav.headers['content-type']]).toEqual([200, '<app>', 'text/html; charset=utf-8']);
    expect((await request(port, { path: '/about/', headers: { accept: html } })).text).toBe('<about>');
    expect((await request(port, { path: '/app.js', headers: { accept: html } })).text).toBe('js');
    // A missing asset stays a 404, and so does what is not a navigation.
    expect((await request(port, { path: '/app.3f2a.js', headers: { accept: '*/*' } })).status).toBe(404);
    expect((await request(port, { path: '/missing', headers: { accept: 'application/json' } })).status).toBe(404);
    expect((await request(port, { method: 'POST', path: '/missing', headers: { accept: html } })).status).toBe(405);
    // Another route's 404 is its own.
    expect((await request(port, { path: '/api/users', headers: { accept: html } })).text).toBe('no such thing');
    const head = await raw(port, `HEAD /deep/link HTTP/1.1\r\nHost: x\r\nAccept: ${html}\r\nConnection: close\r\n\r\n`, {
      methods: ['HEAD'],
    });
    expect([head.responses[0]!.status, head.responses[0]!.headers['content-length']]).toEqual([200, '5']);
  });

  it('is off by default, and a root with no index page still answers 404', async () => {
    const off = await startServer({ root: makeTree({ 'index.html': '<app>' }) });
    expect((await request(off.port, { path: '/route', headers: { accept: html } })).status).toBe(404);
    const bare = await startServer({ root: makeTree({ 'a.txt': 'a' }), static: { spa: true } });
    expect((await request(bare.port, { path: '/route', headers: { accept: html } })).status).toBe(404);
    await expect(startServer({ static: { spa: 'yes' as never } })).rejects.toThrow(/static.spa/);
  });
});

describe('virtual hosts', () => {
  it('serve a document root per Host, the most specific pattern first, and the server root for the rest', async () => {
    const main = makeTree({ 'index.html': 'main' });
    const one = makeTree({ 'index.html': 'one', 'only.txt': 'only in one' });
    const any = makeTree({ 'index.html': 'any sub' });
    const deep = makeTree({ 'index.html': 'deep' });
    const { port, server } = await startServer({
      root: main,
      vhosts: [
        { host: '*.example.com', root: any },
        { host: 'one.example.com', root: one },
        { host: '*.deep.example.com', root: deep },
      ],
    });
    const at = (host: string, path = '/') => request(port, { path, headers: { host } });
    expect((await at('one.example.com')).text).toBe('one');
    expect((await at('ONE.example.com.:8080')).text).toBe('one');
    expect((await at('two.example.com')).text).toBe('any sub');
    expect((await at('a.deep.example.com')).text).toBe('deep');
    expect((await at('example.com')).text).toBe('main');
    expect((await at('other.org')).text).toBe('main');
    expect((await at('one.example.com', '/only.txt')).text).toBe('only in one');
    expect((await at('two.example.com', '/only.txt')).status).toBe(404);
    const old = await raw(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(old.responses[0]!.text).toBe('main');
    // Stopping closes every root's watches (the test's afterEach stops it; here, twice is harmless).
    await server.stop(200);
  });

  it('answer 404 for other hosts when there is no server root; bad entries are refused when made', async () => {
    const { port } = await startServer({ root: false, vhosts: [{ host: 'a.test', root: makeTree({ 'index.html': 'a' }) }] });
    expect((await request(port, { headers: { host: 'a.test' } })).text).toBe('a');
    expect((await request(port, { headers: { host: 'b.test' } })).status).toBe(404);
    await expect(startServer({ vhosts: [{ host: 'http://x', root: '.' }] })).rejects.toThrow(/vhosts\[0\].host/);
    await expect(startServer({ vhosts: [{ host: 'a.test', root: '' }] })).rejects.toThrow(/vhosts\[0\].root/);
    await expect(
      startServer({
        vhosts: [
          { host: 'a.test', root: '.' },
          { host: 'A.test', root: '.' },
        ],
      }),
    ).rejects.toThrow(/given twice/);
  });

  it('each have the SPA fallback when it is on', async () => {
    const app = makeTree({ 'index.html': '<app>' });
    const { port } = await startServer({ root: false, static: { spa: true }, vhosts: [{ host: 'app.test', root: app }] });
    expect((await request(port, { path: '/x/y', headers: { host: 'app.test', accept: html } })).text).toBe('<app>');
  });
});
