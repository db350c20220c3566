import { describe, expect, it } from 'vitest';
import { cacheControlFor } from '../../src/http/cache-control.js';
import { compressionPlan, isCompressibleType, varyOnAcceptEncoding, type CompressionInput } from '../../src/http/compression.js';
import { contentTypeOf, normalizeMimeOverrides } from '../../src/http/content-type.js';
import { HeaderMap } from '../../src/http/headers.js';
import { compareEntries, entryHref, formatSize, renderListing } from '../../src/http/listing.js';

describe('contentTypeOf', () => {
  const overrides = normalizeMimeOverrides({ '.MD': 'text/x-markdown', map: 'application/json', '.data': 'application/x-thing; v=1' });
  it.each<[string, string]>([
    ['index.html', 'text/html; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['style.CSS', 'text/css; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['logo.png', 'image/png'],
    ['logo.svg', 'image/svg+xml'],
    ['README', 'application/octet-stream'],
    ['.env', 'application/octet-stream'],
    ['x.unknownext', 'application/octet-stream'],
    ['notes.md', 'text/x-markdown; charset=utf-8'],
    ['a.map', 'application/json; charset=utf-8'],
    ['a.data', 'application/x-thing; v=1'],
  ])('%s -> %s', (name, type) => {
    expect(contentTypeOf(name, overrides)).toBe(type);
  });

  it('refuses bad overrides', () => {
    expect(() => normalizeMimeOverrides({ '.md': 'markdown' })).toThrow(/media type/);
    expect(() => normalizeMimeOverrides({ '.m d': 'text/plain' })).toThrow(/extension/);
    expect(() => normalizeMimeOverrides({ '.md': 'text/plain\r\nX: y' })).toThrow(/media type/);
  });
});

describe('cacheControlFor', () => {
  it('gives max-age, and a year and immutable to fingerprinted names', () => {
    const policy = { maxAge: 60, immutable: /\.[0-9a-f]{8,}\.\w+$/ };
    expect(cacheControlFor('app.js', policy)).toBe('public, max-age=60');
    expect(cacheControlFor('app.3f9a1c2e.js', policy)).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor('app.js', { maxAge: 0, immutable: undefined })).toBe('public, max-age=0');
  });
});

describe('renderListing', () => {
  const entries = [
    { name: 'b.txt', directory: false, size: 1536, modified: Date.UTC(2024, 4, 1, 13, 45) },
    { name: 'file10', directory: false, size: 1, modified: 0 },
    { name: 'file2', directory: false, size: 1, modified: 0 },
    { name: 'zdir', directory: true, size: 4096, modified: 0 },
    { name: '<script>alert(1)</script>', directory: false, size: 3, modified: 0 },
    { name: 'a"b\'c&d', directory: false, size: 3, modified: 0 },
    { name: 'javascript:alert(1)', directory: false, size: 3, modified: 0 },
    { name: '?x#y', directory: false, size: 3, modified: 0 },
  ];
  const html = renderListing({ path: '/docs/<x>/', entries, parent: true });

  it('escapes every name, in text and in links', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="%3Cscript%3Ealert(1)%3C%2Fscript%3E"');
    expect(html).toContain('a&quot;b&#39;c&amp;d');
    expect(html).toContain('href="javascript%3Aalert(1)"');
    expect(html).toContain('href="%3Fx%23y"');
    expect(html).toContain('<title>Index of /docs/&lt;x&gt;/</title>');
  });

  it('sorts directories first, then names as people read them, with sizes, dates and a parent link', () => {
    const names = [...html.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]);
    expect(names.slice(0, 2)).toEqual(['../', 'zdir/']);
    expect(names.indexOf('file2')).toBeLessThan(names.indexOf('file10'));
    expect(html).toContain('1.5 KiB');
    expect(html).toContain('2024-05-01 13:45');
    expect(renderListing({ path: '/', entries: [], parent: false })).not.toContain('../');
  });

  it('formats sizes and links', () => {
    expect([formatSize(0), formatSize(1023), formatSize(1024), formatSize(10 * 1024 * 1024), formatSize(3 * 1024 ** 3)]).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '10 MiB',
      '3.0 GiB',
    ]);
    expect(entryHref({ name: 'a b', directory: true, size: 0, modified: 0 })).toBe('a%20b/');
    expect(
      compareEntries({ name: 'a', directory: false, size: 0, modified: 0 }, { name: 'b', directory: true, size: 0, modified: 0 }),
    ).toBe(1);
  });
});

describe('compressionPlan', () => {
  const base: CompressionInput = {
    status: 200,
    acceptEncoding: 'gzip, br',
    headers: new HeaderMap({ 'Content-Type': 'text/html; charset=utf-8' }),
    length: 5000,
    hasBody: true,
    encodings: ['br', 'gzip'],
    minSize: 1024,
  };
  const plan = (changes: Partial<CompressionInput>, headers?: Record<string, string>) =>
    compressionPlan({ ...base, ...changes, headers: headers ? new HeaderMap(headers) : base.headers });
  it.each<[string, Partial<CompressionInput>, Record<string, string> | undefined, string]>([
    ['br preferred on a tie', {}, undefined, 'br'],
    ['gzip when only gzip', { acceptEncoding: 'gzip' }, undefined, 'gzip'],
    ['by q-value', { acceptEncoding: 'br;q=0.5, gzip' }, undefined, 'gzip'],
    ['a stream of unknown length', { length: undefined }, undefined, 'br'],
    ['no Accept-Encoding', { acceptEncoding: undefined }, undefined, 'skip: not accepted'],
    ['identity only', { acceptEncoding: 'identity' }, undefined, 'skip: not accepted'],
    ['br;q=0', { acceptEncoding: 'br;q=0' }, undefined, 'skip: not accepted'],
    ['small', { length: 100 }, undefined, 'skip: small'],
    ['image', {}, { 'Content-Type': 'image/png' }, 'skip: type'],
    ['no type', {}, {}, 'skip: type'],
    ['event stream', {}, { 'Content-Type': 'text/event-stream' }, 'skip: type'],
    ['already encoded', {}, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' }, 'skip: already encoded'],
    ['no-transform', {}, { 'Content-Type': 'text/plain', 'Cache-Control': 'public, no-transform' }, 'skip: no-transform'],
    ['206', { status: 206 }, undefined, 'skip: range'],
    ['Content-Range', {}, { 'Content-Type': 'text/plain', 'Content-Range': 'bytes 0-1/2' }, 'skip: range'],
    ['404', { status: 404 }, undefined, 'skip: status'],
    ['204', { status: 204 }, undefined, 'skip: status'],
    ['no body', { hasBody: false }, undefined, 'skip: no body'],
  ])('%s', (_, changes, headers, expected) => {
    const p = plan(changes, headers);
    expect(p.compress ? p.coding : `skip: ${p.reason}`).toBe(expected);
  });

  it('says Vary when the answer depended on Accept-Encoding', () => {
    expect(plan({ acceptEncoding: undefined })).toMatchObject({ compress: false, vary: true });
    expect(plan({ length: 10 })).toMatchObject({ compress: false, vary: false });
  });

  it('knows compressible types', () => {
    for (const t of [
      'text/plain',
      'application/json',
      'application/ld+json',
      'image/svg+xml',
      'application/javascript; charset=utf-8',
      'application/wasm',
    ])
      expect(isCompressibleType(t), t).toBe(true);
    for (const t of ['image/png', 'video/mp4', 'application/zip', 'font/woff2', 'application/octet-stream', undefined])
      expect(isCompressibleType(t), String(t)).toBe(false);
  });

  it('adds Accept-Encoding to Vary once', () => {
    const h = new HeaderMap({ Vary: 'Origin' });
    varyOnAcceptEncoding(h);
    varyOnAcceptEncoding(h);
    expect(h.get('vary')).toBe('Origin, Accept-Encoding');
    const star = new HeaderMap({ Vary: '*' });
    varyOnAcceptEncoding(star);
    expect(star.get('vary')).toBe('*');
  });
});
