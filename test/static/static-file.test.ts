import { renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTree } from '../helpers/fixture-tree.js';
import { raw, request, startServer, type ParsedResponse } from '../helpers/http.js';
import { StaticFile, StaticSite, staticRoute } from '../../components/static-file/index.js';
import { resolveStaticOptions, type StaticOptions } from '../../components/static-file/options.js';
import { resolveOptions } from '../../src/server/options.js';

const hello = 'hello, world\n';
/** 300 KiB: bigger than the in-memory limit, so it is read from disk for each response. */
const big = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => (i * 7 + (i >> 10)) & 0xff));
/** 10 KiB, kept in memory. */
const small = Buffer.from(Array.from({ length: 10 * 1024 }, (_, i) => (i * 13) & 0xff));

function site(options: StaticOptions = {}) {
  const root = makeTree({
    'hello.txt': hello,
    'index.html': '<h1>home</h1>',
    'notes.md': '# notes',
    'big.bin': big,
    'small.bin': small,
    'empty.txt': '',
    README: 'no extension',
    sub: { 'index.html': '<h1>sub</h1>', 'page.html': 'page' },
    bare: { 'a.txt': 'a', 'b.txt': 'bb', '.hidden': 'h', inner: {} },
  });
  return startServer({ root, static: options, accessLog: false }).then((s) => ({ ...s, root }));
}

const get = (port: number, p: string, headers: Record<string, string> = {}, method = 'GET') => request(port, { method, path: p, headers });

describe('serving files', () => {
  it('answers GET with the file, its type, validators and length', async () => {
    const { port } = await site();
    const r = await get(port, '/hello.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe(hello);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['content-length']).toBe(String(hello.length));
    expect(r.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(Date.parse(r.headers['last-modified']!)).toBeGreaterThan(0);
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['cache-control']).toBe('public, max-age=0');
  });

  it('answers HEAD with the same fields and no body', async () => {
    const { port } = await site();
    const g = await get(port, '/big.bin');
    const h = await get(port, '/big.bin', {}, 'HEAD');
    expect(h.status).toBe(200);
    expect(h.body.length).toBe(0);
    expect(h.headers['content-length']).toBe(String(big.length));
    expect(h.headers.etag).toBe(g.headers.etag);
    expect(h.headers['content-type']).toBe('application/octet-stream');
  });

  it('sends large files from disk and small ones from memory, byte for byte', async () => {
    const { port } = await site();
    expect((await get(port, '/big.bin')).body.equals(big)).toBe(true);
    expect((await get(port, '/small.bin')).body.equals(small)).toBe(true);
    expect((await get(port, '/small.bin')).body.equals(small)).toBe(true);
    expect((await get(port, '/empty.txt')).headers['content-length']).toBe('0');
  });

  it('serves index files, and redirects a directory to its slash form with the query kept', async () => {
    const { port } = await site();
    expect((await get(port, '/')).text).toBe('<h1>home</h1>');
    expect((await get(port, '/sub/')).text).toBe('<h1>sub</h1>');
    const r = await get(port, '/sub?x=1&y=%20');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/sub/?x=1&y=%20');
    expect((await get(port, '/sub')).headers.location).toBe('/sub/');
    // A file asked for as a directory is not found.
    expect((await get(port, '/hello.txt/')).status).toBe(404);
  });

  it('encodes the redirect, so it can never point at another host', async () => {
    const root = makeTree({ 'evil.com': { 'index.html': 'x' }, 'a b': { 'index.html': 'y' } });
    const { port } = await startServer({ root, accessLog: false });
    expect((await get(port, '//evil.com')).headers.location).toBe('/evil.com/');
    // An encoded slash never gets that far: it is refused as ambiguous.
    expect((await get(port, '/%2Fevil.com')).status).toBe(400);
    expect((await get(port, '/a%20b')).headers.location).toBe('/a%20b/');
  });

  it('tries the configured index files in order', async () => {
    const root = makeTree({ d: { 'default.htm': 'default', 'index.html': 'index' }, e: { 'index.html': 'only index' } });
    const { port } = await startServer({ root, static: { index: ['default.htm', 'index.html'] }, accessLog: false });
    expect((await get(port, '/d/')).text).toBe('default');
    expect((await get(port, '/e/')).text).toBe('only index');
  });

  it('answers 404 for missing files and directories without an index, and logs why', async () => {
    const { port, logs } = await site();
    expect((await get(port, '/nope.txt')).status).toBe(404);
    expect((await get(port, '/bare/')).status).toBe(404);
    expect(logs.errors!.map((r) => r.message)).toEqual([
      expect.stringMatching(/^404 GET \/nope.txt HTTP\/1.1 .*no such file/),
      expect.stringMatching(/^404 GET \/bare\/ HTTP\/1.1 .*listings are off/),
    ]);
  });

  it('answers other methods 405 with Allow, end to end through the router', async () => {
    const { port, logs } = await site();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await request(port, { method, path: '/hello.txt', body: 'x' });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD, OPTIONS');
    }
    const options = await get(port, '/hello.txt', {}, 'OPTIONS');
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
    // A method nobody knows is still 501.
    expect((await get(port, '/hello.txt', {}, 'BREW')).status).toBe(501);
    expect(logs.errors!.some((r) => r.message.startsWith('405 POST /hello.txt'))).toBe(true);
  });

  it('gives user routes precedence over the document root', async () => {
    const root = makeTree({ 'api.txt': 'file' });
    const { port } = await startServer({ root, accessLog: false, routes: [{ path: '/api.txt', handler: () => ({ body: 'route' }) }] });
    expect((await get(port, '/api.txt')).text).toBe('route');
  });

  it('serves nothing with root: false', async () => {
    const { port } = await startServer({ root: false, accessLog: false });
    expect((await get(port, '/')).status).toBe(404);
  });

  it('refuses a root that does not exist when the server is made, and answers 404 once one has gone', async () => {
    const missing = path.join(makeTree({}), 'missing');
    expect(() => resolveOptions({ root: missing })).toThrow(
      new TypeError(`boxwire: option "root": no directory at ${missing} (${missing})`),
    );
    const root = makeTree({ x: 'x' });
    const { port, logs } = await startServer({ root, accessLog: false, static: { cache: false } });
    rmSync(root, { recursive: true });
    expect((await get(port, '/x')).status).toBe(404);
    expect(logs.errors![0]!.message).toMatch(/does not exist/);
  });
});

describe('mounted under a prefix', () => {
  it('serves a second root at /docs/* (as a component) and a third at /assets/* (as a function route)', async () => {
    const docs = makeTree({ 'index.html': 'docs home', 'a.txt': 'doc a', guide: { 'index.html': 'guide' } });
    const assets = makeTree({ 'app.js': 'js', d: { 'x.txt': 'x' } });
    const docsSite = new StaticSite(docs, resolveStaticOptions({}));
    const assetsSite = new StaticSite(assets, resolveStaticOptions({ listing: true }));
    const { port } = await startServer({
      root: false,
      accessLog: false,
      routes: [
        { path: '/docs/*', methods: ['GET', 'HEAD'], component: () => new StaticFile(docsSite) },
        staticRoute(assetsSite, '/assets/*'),
      ],
    });
    try {
      expect((await get(port, '/docs/')).text).toBe('docs home');
      expect((await get(port, '/docs/a.txt')).text).toBe('doc a');
      expect((await get(port, '/docs?x=1')).headers.location).toBe('/docs/?x=1');
      expect((await get(port, '/docs/guide')).headers.location).toBe('/docs/guide/');
      expect((await get(port, '/docs/guide/')).text).toBe('guide');
      expect((await get(port, '/assets/app.js')).text).toBe('js');
      const listing = await get(port, '/assets/d/');
      expect(listing.text).toContain('<title>Index of /assets/d/</title>');
      expect(listing.text).toContain('href="../"');
      expect((await get(port, '/assets/')).text).not.toContain('href="../"');
      expect((await get(port, '/elsewhere')).status).toBe(404);
      expect((await get(port, '/docs/a.txt', {}, 'POST')).status).toBe(405);
    } finally {
      docsSite.close();
      assetsSite.close();
    }
  });
});

describe('content types', () => {
  it('comes from the extension, with overrides, and octet-stream when unknown', async () => {
    const { port } = await site({ mime: { '.md': 'text/markdown' } });
    expect((await get(port, '/notes.md')).headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect((await get(port, '/index.html')).headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await get(port, '/README')).headers['content-type']).toBe('application/octet-stream');
  });
});

describe('conditional requests (RFC 9110 §13)', () => {
  it('answers 304 to a matching If-None-Match or If-Modified-Since, with the validators', async () => {
    const { port } = await site({ maxAge: 60 });
    const first = await get(port, '/hello.txt');
    const etag = first.headers.etag!;
    const inm = await get(port, '/hello.txt', { 'if-none-match': etag });
    expect(inm.status).toBe(304);
    expect(inm.body.length).toBe(0);
    expect(inm.headers.etag).toBe(etag);
    expect(inm.headers['cache-control']).toBe('public, max-age=60');
    expect(inm.headers['content-type']).toBeUndefined();
    const ims = await get(port, '/hello.txt', { 'if-modified-since': first.headers['last-modified']! });
    expect(ims.status).toBe(304);
    expect((await get(port, '/hello.txt', { 'if-none-match': '"other"' })).status).toBe(200);
    expect((await get(port, '/hello.txt', { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200);
    // If-None-Match takes precedence: a mismatch means 200 even with a matching date.
    expect(
      (await get(port, '/hello.txt', { 'if-none-match': '"other"', 'if-modified-since': first.headers['last-modified']! })).status,
    ).toBe(200);
    expect((await get(port, '/hello.txt', { 'if-none-match': etag }, 'HEAD')).status).toBe(304);
  });

  it('answers 412 when If-Match or If-Unmodified-Since fails, before looking at If-None-Match', async () => {
    const { port, logs } = await site();
    const etag = (await get(port, '/hello.txt')).headers.etag!;
    expect((await get(port, '/hello.txt', { 'if-match': etag })).status).toBe(200);
    expect((await get(port, '/hello.txt', { 'if-match': '"other"' })).status).toBe(412);
    expect((await get(port, '/hello.txt', { 'if-match': '"other"', 'if-none-match': etag })).status).toBe(412);
    expect((await get(port, '/hello.txt', { 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(412);
    expect(logs.errors!.filter((r) => r.message.startsWith('412'))).toHaveLength(3);
  });
});

describe('byte ranges (RFC 9110 §14)', () => {
  for (const [name, file] of [
    ['small.bin', small],
    ['big.bin', big],
  ] as const) {
    it(`answers single ranges with 206 and Content-Range (${name})`, async () => {
      const { port } = await site();
      const size = file.length;
      const cases: [string, number, number][] = [
        ['bytes=0-99', 0, 100],
        ['bytes=100-', 100, size],
        ['bytes=-100', size - 100, size],
        [`bytes=${size - 10}-${size + 1000}`, size - 10, size],
      ];
      for (const [range, start, end] of cases) {
        const r = await get(port, `/${name}`, { range });
        expect(r.status, range).toBe(206);
        expect(r.headers['content-range']).toBe(`bytes ${start}-${end - 1}/${size}`);
        expect(r.headers['content-length']).toBe(String(end - start));
        expect(r.body.equals(file.subarray(start, end)), range).toBe(true);
      }
    });

    it(`answers several ranges with multipart/byteranges, parsed back byte for byte (${name})`, async () => {
      const { port } = await site();
      const r = await get(port, `/${name}`, { range: 'bytes=5000-5999, 0-99, -50' });
      expect(r.status).toBe(206);
      const parts = parseMultipart(r);
      expect(parts.map((p) => p.range)).toEqual([
        `bytes 0-99/${file.length}`,
        `bytes 5000-5999/${file.length}`,
        `bytes ${file.length - 50}-${file.length - 1}/${file.length}`,
      ]);
      for (const part of parts) {
        const [, start, end] = /^bytes (\d+)-(\d+)\//.exec(part.range)!.map(Number) as [number, number, number];
        expect(part.type).toBe('application/octet-stream');
        expect(part.body.equals(file.subarray(start, end + 1))).toBe(true);
      }
      expect(Number(r.headers['content-length'])).toBe(r.body.length);
    });
  }

  it('answers 416 with Content-Range bytes */size when no range overlaps', async () => {
    const { port, logs } = await site();
    const r = await get(port, '/hello.txt', { range: 'bytes=1000-2000' });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe(`bytes */${hello.length}`);
    expect(logs.errors![0]!.message).toMatch(/^416 GET \/hello.txt/);
    expect((await get(port, '/empty.txt', { range: 'bytes=0-' })).status).toBe(416);
  });

  it('ignores a Range with invalid syntax, another unit, or too many ranges (200)', async () => {
    const { port } = await site();
    for (const range of [
      'bytes=abc',
      'bytes=5-1',
      'lines=1-2',
      'bytes 0-5',
      `bytes=${Array.from({ length: 20 }, (_, i) => `${i * 100}-${i * 100}`).join(',')}`,
    ]) {
      const r = await get(port, '/small.bin', { range });
      expect(r.status, range).toBe(200);
      expect(r.body.length).toBe(small.length);
    }
  });

  it('coalesces overlapping ranges: a flood of them is one part, never more bytes than the file', async () => {
    const { port } = await site();
    const r = await get(port, '/small.bin', { range: `bytes=${Array.from({ length: 16 }, () => '0-').join(',')}` });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 0-${small.length - 1}/${small.length}`);
    expect(r.body.length).toBe(small.length);
  });

  it('honours If-Range with a matching ETag or date, and sends the whole file otherwise', async () => {
    const { port } = await site();
    const first = await get(port, '/small.bin');
    const range = { range: 'bytes=0-9' };
    expect((await get(port, '/small.bin', { ...range, 'if-range': first.headers.etag! })).status).toBe(206);
    expect((await get(port, '/small.bin', { ...range, 'if-range': first.headers['last-modified']! })).status).toBe(206);
    expect((await get(port, '/small.bin', { ...range, 'if-range': '"stale"' })).status).toBe(200);
    expect((await get(port, '/small.bin', { ...range, 'if-range': `W/${first.headers.etag!}` })).status).toBe(200);
    expect((await get(port, '/small.bin', { ...range, 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200);
  });

  it('ignores Range on HEAD (only GET has range semantics)', async () => {
    const { port } = await site();
    const r = await get(port, '/small.bin', { range: 'bytes=0-9' }, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(small.length));
  });
});

describe('Cache-Control', () => {
  it('sends max-age, and a year plus immutable for fingerprinted names', async () => {
    const root = makeTree({ 'app.js': 'a', 'app.3f9a1c2e.js': 'b' });
    const { port } = await startServer({ root, accessLog: false, static: { maxAge: 300, immutable: /\.[0-9a-f]{8}\.\w+$/g } });
    expect((await get(port, '/app.js')).headers['cache-control']).toBe('public, max-age=300');
    for (let i = 0; i < 3; i++)
      expect((await get(port, '/app.3f9a1c2e.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });
});

describe('precompressed siblings', () => {
  const js = 'console.log("hello");\n'.repeat(50);
  const tree = () =>
    makeTree({
      'app.js': js,
      'app.js.br': 'BROTLI BYTES',
      'app.js.gz': 'GZIP BYTES',
      'only.js': js,
      'style.css': 'a{}',
      'style.css.gz': 'GZ CSS',
    });

  it('serves file.br or file.gz to clients that accept them, with Content-Encoding and Vary', async () => {
    const { port } = await startServer({ root: tree(), accessLog: false, static: { precompressed: true } });
    const br = await get(port, '/app.js', { 'accept-encoding': 'gzip, br' });
    expect(br.text).toBe('BROTLI BYTES');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers.vary).toBe('Accept-Encoding');
    const gz = await get(port, '/app.js', { 'accept-encoding': 'gzip' });
    expect(gz.text).toBe('GZIP BYTES');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect((await get(port, '/app.js', { 'accept-encoding': 'br;q=0.1, gzip;q=0.9' })).text).toBe('GZIP BYTES');
    const plain = await get(port, '/app.js');
    expect(plain.text).toBe(js);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
    expect((await get(port, '/app.js', { 'accept-encoding': 'identity' })).text).toBe(js);
    expect((await get(port, '/only.js', { 'accept-encoding': 'br, gzip' })).text).toBe(js);
    expect((await get(port, '/style.css', { 'accept-encoding': 'br, gzip' })).text).toBe('GZ CSS');
    // A 304 for the compressed variant is judged against its own tag.
    expect((await get(port, '/app.js', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! })).status).toBe(304);
    expect((await get(port, '/app.js', { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag! })).status).toBe(200);
  });

  it('is off by default, and follows the codings listed', async () => {
    const root = tree();
    const off = await startServer({ root, accessLog: false });
    expect((await get(off.port, '/app.js', { 'accept-encoding': 'br' })).text).toBe(js);
    const gzOnly = await startServer({ root, accessLog: false, static: { precompressed: ['gzip'] } });
    expect((await get(gzOnly.port, '/app.js', { 'accept-encoding': 'br, gzip' })).text).toBe('GZIP BYTES');
  });

  it('notices a sibling added or removed', async () => {
    const root = tree();
    const { port } = await startServer({ root, accessLog: false, static: { precompressed: true } });
    expect((await get(port, '/only.js', { 'accept-encoding': 'gzip' })).text).toBe(js);
    writeFileSync(path.join(root, 'only.js.gz'), 'NEW GZ');
    expect((await get(port, '/only.js', { 'accept-encoding': 'gzip' })).text).toBe('NEW GZ');
    rmSync(path.join(root, 'only.js.gz'));
    expect((await get(port, '/only.js', { 'accept-encoding': 'gzip' })).text).toBe(js);
  });
});

describe('freshness: a changed file is served fresh', () => {
  it('sees a rewrite of the same size, a new size, a replacement by rename, and a removal', async () => {
    const { port, root } = await site();
    const file = path.join(root, 'hello.txt');
    const first = await get(port, '/hello.txt');
    expect((await get(port, '/hello.txt')).text).toBe(hello);
    writeFileSync(file, 'HELLO, WORLD\n'); // same size
    const second = await get(port, '/hello.txt');
    expect(second.text).toBe('HELLO, WORLD\n');
    expect(second.headers.etag).not.toBe(first.headers.etag);
    writeFileSync(file, 'longer content now\n');
    expect((await get(port, '/hello.txt')).text).toBe('longer content now\n');
    writeFileSync(path.join(root, 'next.txt'), 'replaced');
    renameSync(path.join(root, 'next.txt'), file);
    expect((await get(port, '/hello.txt')).text).toBe('replaced');
    rmSync(file);
    expect((await get(port, '/hello.txt')).status).toBe(404);
    writeFileSync(file, 'back');
    expect((await get(port, '/hello.txt')).text).toBe('back');
  });

  it('sees a same-size rewrite even when the mtime is put back (ctime changes)', async () => {
    const { port, root } = await site();
    const file = path.join(root, 'hello.txt');
    const when = new Date('2024-01-01T00:00:00Z');
    utimesSync(file, when, when);
    expect((await get(port, '/hello.txt')).text).toBe(hello);
    writeFileSync(file, 'HELLO, WORLD\n');
    utimesSync(file, when, when);
    expect((await get(port, '/hello.txt')).text).toBe('HELLO, WORLD\n');
  });

  it('sees an index file appear in a directory, and a directory replace a file', async () => {
    const { port, root } = await site({ index: ['index.htm', 'index.html'] });
    expect((await get(port, '/sub/')).text).toBe('<h1>sub</h1>');
    writeFileSync(path.join(root, 'sub', 'index.htm'), 'preferred');
    expect((await get(port, '/sub/')).text).toBe('preferred');
    expect((await get(port, '/README')).text).toBe('no extension');
    rmSync(path.join(root, 'README'));
    writeFileSync(path.join(root, 'other'), 'x');
    renameSync(path.join(root, 'sub'), path.join(root, 'README'));
    expect((await get(port, '/README')).status).toBe(301);
  });

  it('sees a change to a file reached through a symlink, where the link and the file live apart', async () => {
    const root = makeTree({ data: { 'real.txt': 'one' }, 'link.txt': { symlink: 'data/real.txt' } });
    const { port } = await startServer({ root, accessLog: false });
    expect((await get(port, '/link.txt')).text).toBe('one');
    writeFileSync(path.join(root, 'data', 'real.txt'), 'two');
    expect((await get(port, '/link.txt')).text).toBe('two');
    rmSync(path.join(root, 'link.txt'));
    writeFileSync(path.join(root, 'link.txt'), 'no longer a link');
    expect((await get(port, '/link.txt')).text).toBe('no longer a link');
  });

  it('catches what no watch sees (an ancestor directory swapped) by stat, after `revalidate` ms, or at once with 0', async () => {
    const tree = () => makeTree({ a: { b: { 'f.txt': 'old' } }, next: { b: { 'f.txt': 'new' } } });
    const swap = (root: string) => {
      renameSync(path.join(root, 'a'), path.join(root, 'gone'));
      renameSync(path.join(root, 'next'), path.join(root, 'a'));
    };
    const root = tree();
    const { port } = await startServer({ root, accessLog: false, static: { cache: { revalidate: 150 } } });
    expect((await get(port, '/a/b/f.txt')).text).toBe('old');
    swap(root);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await get(port, '/a/b/f.txt')).text).toBe('new');
    const strictRoot = tree();
    const strict = await startServer({ root: strictRoot, accessLog: false, static: { cache: { revalidate: 0 } } });
    expect((await get(strict.port, '/a/b/f.txt')).text).toBe('old');
    expect(strict.server.site!.cache.size).toMatchObject({ entries: 1, watched: 0 });
    swap(strictRoot);
    expect((await get(strict.port, '/a/b/f.txt')).text).toBe('new');
  });

  it("caches a directory's index file under the directory's path", async () => {
    const { port, server } = await site();
    await get(port, '/sub/');
    expect(server.site!.cache.fresh('/sub/')).toMatchObject({ type: 'file', contentType: 'text/html; charset=utf-8' });
    expect(server.site!.cache.fresh('/sub/index.html')).toBeUndefined();
  });

  it('watches only while it caches, and stops watching when the server stops', async () => {
    const { port, server } = await site();
    await get(port, '/hello.txt');
    await get(port, '/sub/');
    const cache = server.site!.cache;
    expect(cache.size.entries).toBe(2);
    expect(cache.size.watched).toBeGreaterThanOrEqual(2);
    await server.stop(200);
    expect(cache.size).toEqual({ entries: 0, bytes: 0, watched: 0 });
  });

  it('keeps within its limits, dropping the least recently used', async () => {
    const root = makeTree({ 'a.txt': 'a'.repeat(1000), 'b.txt': 'b'.repeat(1000), 'c.txt': 'c'.repeat(1000), 'd.txt': 'd' });
    const { port, server } = await startServer({ root, accessLog: false, static: { cache: { entries: 10, bytes: 2500 } } });
    for (const name of ['a', 'b', 'a', 'c', 'd']) expect((await get(port, `/${name}.txt`)).status).toBe(200);
    expect(server.site!.cache.size).toMatchObject({ entries: 3, bytes: 2001 }); // b went: used least recently
    const few = await startServer({ root, accessLog: false, static: { cache: { entries: 2 } } });
    for (const name of ['a', 'b', 'c', 'd']) expect((await get(few.port, `/${name}.txt`)).text.length).toBeGreaterThan(0);
    expect(few.server.site!.cache.size.entries).toBe(2);
  });

  it('serves correctly from disk without a cache', async () => {
    const { port, root } = await site({ cache: false });
    expect((await get(port, '/hello.txt')).text).toBe(hello);
    writeFileSync(path.join(root, 'hello.txt'), 'changed');
    expect((await get(port, '/hello.txt')).text).toBe('changed');
    expect((await get(port, '/small.bin', { range: 'bytes=0-9' })).body.equals(small.subarray(0, 10))).toBe(true);
  });
});

describe('directory listings', () => {
  it('are off by default, and list entries sorted and escaped when on, hiding dotfiles', async () => {
    const root = makeTree({ d: { 'b.txt': 'bb', 'a.txt': 'a', '<img src=x onerror=alert(1)>.txt': 'x', '.secret': 's', sub: {} } });
    const off = await startServer({ root, accessLog: false });
    expect((await get(off.port, '/d/')).status).toBe(404);
    const { port } = await startServer({ root, accessLog: false, static: { listing: true } });
    const r = await get(port, '/d/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.text).not.toContain('<img');
    expect(r.text).toContain('&lt;img src=x onerror=alert(1)&gt;.txt');
    expect(r.text).not.toContain('.secret');
    const links = [...r.text.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]);
    expect(links).toEqual(['../', 'sub/', '%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt', 'a.txt', 'b.txt']);
    expect(r.text).toContain('<title>Index of /d/</title>');
    // Following a link from the listing fetches the file.
    expect((await get(port, `/d/${links[2]}`)).text).toBe('x');
    expect((await get(port, '/d/', {}, 'HEAD')).body.length).toBe(0);
    expect((await get(port, '/')).text).not.toContain('href="../"');
  });

  it('still prefers an index file', async () => {
    const { port } = await site({ listing: true });
    expect((await get(port, '/sub/')).text).toBe('<h1>sub</h1>');
  });
});

describe('dotfiles', () => {
  const tree = () => makeTree({ '.env': 'SECRET=1', '.git': { config: '[core]' }, '.well-known': { 'security.txt': 'contact' } });
  it('are not found by default, forbidden with "deny", served with "allow"', async () => {
    const root = tree();
    const ignore = await startServer({ root, accessLog: false });
    for (const p of ['/.env', '/.git/config', '/.git/', '/.well-known/security.txt'])
      expect((await get(ignore.port, p)).status, p).toBe(404);
    const deny = await startServer({ root, accessLog: false, static: { dotfiles: 'deny' } });
    expect((await get(deny.port, '/.env')).status).toBe(403);
    const allow = await startServer({ root, accessLog: false, static: { dotfiles: 'allow' } });
    expect((await get(allow.port, '/.well-known/security.txt')).text).toBe('contact');
  });
});

/** The parts of a multipart/byteranges response. */
function parseMultipart(r: ParsedResponse): { type: string; range: string; body: Buffer }[] {
  const m = /^multipart\/byteranges; boundary=([0-9A-Za-z'()+_,./:=?-]+)$/.exec(r.headers['content-type']!);
  if (!m) throw new Error(`not multipart/byteranges: ${r.headers['content-type']}`);
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: { type: string; range: string; body: Buffer }[] = [];
  let at = r.body.indexOf(delimiter);
  expect(at).toBe(0);
  for (;;) {
    at += delimiter.length;
    if (r.body.subarray(at, at + 4).toString() === '--\r\n') {
      expect(at + 4).toBe(r.body.length);
      return parts;
    }
    const headEnd = r.body.indexOf('\r\n\r\n', at);
    const fields = Object.fromEntries(
      r.body
        .toString('latin1', at + 2, headEnd)
        .split('\r\n')
        .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const next = r.body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd + 4);
    parts.push({ type: fields['content-type']!, range: fields['content-range']!, body: r.body.subarray(headEnd + 4, next) });
    at = next + 2;
  }
}

describe('keep-alive', () => {
  it('serves several files on one connection, pipelined, in order', async () => {
    const { port } = await site();
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const { responses } = await raw(port, req('/hello.txt') + req('/big.bin') + req('/nope') + req('/small.bin'), { responses: 4 });
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404, 200]);
    expect(responses[1]!.body.equals(big)).toBe(true);
    expect(responses[3]!.body.equals(small)).toBe(true);
  });
});
