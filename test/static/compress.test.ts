import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Compress } from '../../components/compress.js';
import { Sink } from '../../components/sink.js';
import { link } from '../../src/core/link.js';
import { respond, type Body, type HttpResponse, type ResponseInit } from '../../src/http/messages.js';
import { defaultCompress } from '../../components/compress-options.js';
import { makeTree } from '../helpers/fixture-tree.js';
import { raw, request, startServer } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { fakeRequest } from '../helpers/requests.js';

const text = 'The quick brown fox jumps over the lazy dog.\n'.repeat(2000); // ~90 KB

/** Runs one response through a Compress stage and returns what comes out. */
async function through(
  init: ResponseInit,
  requestHeaders: Record<string, string> = { 'accept-encoding': 'gzip, br' },
  method = 'GET',
): Promise<HttpResponse> {
  const stage = new Compress(defaultCompress);
  const out = new Sink<HttpResponse>();
  link(stage.outboxes.outbox, out.inboxes.inbox);
  stage.start();
  out.start();
  stage.inboxes.inbox.send(respond(fakeRequest('/', requestHeaders, method), init));
  await stage.shutdown();
  await out.shutdown();
  return out.received[0]!;
}

async function bytesOf(body: Body): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const html = { 'Content-Type': 'text/html; charset=utf-8', ETag: '"abc"', 'Accept-Ranges': 'bytes' };

describe('Compress (component)', () => {
  it('gzips and brotli-compresses bodies, streamed, with the right fields', async () => {
    const before = snapshot();
    const br = await through({ headers: html, body: text });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    expect(br.headers.get('etag')).toBe('W/"abc"');
    expect(br.headers.has('accept-ranges')).toBe(false);
    expect(brotliDecompressSync(await bytesOf(br.body)).toString()).toBe(text);
    const gz = await through({ headers: html, body: Buffer.from(text) }, { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(await bytesOf(gz.body)).toString()).toBe(text);
    await expectNoLeaks(before);
  });

  it('compresses small in-memory bodies at once, keeping a known length', async () => {
    const body = 'x'.repeat(4000);
    const r = await through({ headers: { 'Content-Type': 'application/json', 'Content-Length': '4000' }, body });
    expect(r.body).toBeInstanceOf(Uint8Array);
    expect(r.headers.has('content-length')).toBe(false);
    expect(brotliDecompressSync(r.body as Uint8Array).toString()).toBe(body);
  });

  it('compresses files, parts and streams, pulling the source only as output is taken', async () => {
    const root = makeTree({ 'a.txt': text });
    const file = { type: 'file' as const, path: path.join(root, 'a.txt'), start: 0, end: text.length };
    const r1 = await through({ headers: { 'Content-Type': 'text/plain' }, body: file }, { 'accept-encoding': 'gzip' });
    expect(gunzipSync(await bytesOf(r1.body)).toString()).toBe(text);
    const r2 = await through(
      { headers: { 'Content-Type': 'text/plain' }, body: { type: 'parts', parts: ['<', { ...file, start: 10, end: 5000 }, '>'] } },
      { 'accept-encoding': 'gzip' },
    );
    expect(gunzipSync(await bytesOf(r2.body)).toString()).toBe(`<${text.slice(10, 5000)}>`);
    // A stream that would never end: taking one compressed chunk pulls a bounded number of source chunks.
    let pulled = 0;
    let returned = false;
    const endless: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          pulled++;
          return { done: false, value: randomBytes(750).toString('base64') }; // barely compressible
        },
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const r3 = await through({ headers: { 'Content-Type': 'text/plain' }, body: endless }, { 'accept-encoding': 'gzip' });
    const iterator = (r3.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pulled).toBeLessThan(200);
    await iterator.return!();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(returned).toBe(true);
  });

  it('leaves alone what must not or need not be compressed', async () => {
    const cases: [string, ResponseInit, Record<string, string>?, string?][] = [
      ['small', { headers: html, body: 'tiny' }],
      ['image', { headers: { 'Content-Type': 'image/png' }, body: text }],
      ['already encoded', { headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' }, body: text }],
      ['no-transform', { headers: { 'Content-Type': 'text/plain', 'Cache-Control': 'no-transform' }, body: text }],
      ['a range', { status: 206, headers: { 'Content-Type': 'text/plain', 'Content-Range': 'bytes 0-9/100' }, body: text }],
      ['an error', { status: 500, headers: { 'Content-Type': 'text/plain' }, body: text }],
      ['client accepts none', { headers: { 'Content-Type': 'text/plain' }, body: text }, {}],
      ['client refuses', { headers: { 'Content-Type': 'text/plain' }, body: text }, { 'accept-encoding': 'gzip;q=0, br;q=0' }],
    ];
    for (const [what, init, headers] of cases) {
      const r = await through(init, headers);
      expect(r.headers.get('content-encoding') ?? 'none', what).toBe(what === 'already encoded' ? 'gzip' : 'none');
      expect((await bytesOf(r.body)).equals(await bytesOf(init.body)), what).toBe(true);
    }
    // Vary only when the answer would have been different for another client.
    expect((await through({ headers: { 'Content-Type': 'text/plain' }, body: text }, {})).headers.get('vary')).toBe('Accept-Encoding');
    expect((await through({ headers: html, body: 'tiny' })).headers.get('vary')).toBeUndefined();
  });

  it('answers HEAD with the fields GET would have, and no length', async () => {
    const r = await through({ headers: html, body: text }, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(r.headers.get('content-encoding')).toBe('gzip');
    expect((await bytesOf(r.body)).length).toBe(0);
  });

  it('weakens the ETag of a 304 for a client that holds the compressed variant', async () => {
    const held = await through({ status: 304, headers: { ETag: '"abc"' } }, { 'accept-encoding': 'gzip', 'if-none-match': 'W/"abc"' });
    expect(held.headers.get('etag')).toBe('W/"abc"');
    expect(held.headers.get('vary')).toBe('Accept-Encoding');
    const identity = await through({ status: 304, headers: { ETag: '"abc"' } }, { 'if-none-match': '"abc"' });
    expect(identity.headers.get('etag')).toBe('"abc"');
  });
});

describe('Compress in a server (--compress)', () => {
  it('compresses static files and function handlers alike, and revalidates with the weak tag', async () => {
    const root = makeTree({ 'page.html': text, 'logo.png': Buffer.alloc(5000, 1), 'tiny.txt': 'hi' });
    const { port } = await startServer({
      root,
      accessLog: false,
      compress: true,
      routes: [{ path: '/api', handler: () => ({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }) }) }],
    });
    const gz = await request(port, { path: '/page.html', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['transfer-encoding']).toBe('chunked');
    expect(gunzipSync(gz.body).toString()).toBe(text);
    const br = await request(port, { path: '/api', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toEqual({ text });
    expect(
      (await request(port, { path: '/logo.png', headers: { 'accept-encoding': 'gzip' } })).headers['content-encoding'],
    ).toBeUndefined();
    expect(
      (await request(port, { path: '/tiny.txt', headers: { 'accept-encoding': 'gzip' } })).headers['content-encoding'],
    ).toBeUndefined();
    const plain = await request(port, { path: '/page.html' });
    expect(plain.text).toBe(text);
    expect(plain.headers.vary).toBe('Accept-Encoding');
    // Ranges are of the identity bytes, never compressed.
    const ranged = await request(port, { path: '/page.html', headers: { 'accept-encoding': 'gzip', range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect(ranged.text).toBe(text.slice(0, 100));
    // The weak tag of the compressed response still gets a 304.
    const again = await request(port, { path: '/page.html', headers: { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag! } });
    expect(gz.headers.etag).toMatch(/^W\//);
    expect(again.status).toBe(304);
    expect(again.headers.etag).toBe(gz.headers.etag);
  });

  it('streams a large compressed file over keep-alive, then serves the next request', async () => {
    const root = makeTree({});
    const big = 'line of text that compresses well\n'.repeat(60_000); // ~2 MB
    writeFileSync(path.join(root, 'big.txt'), big);
    const { port } = await startServer({ root, accessLog: false, compress: { encodings: ['gzip'], gzipLevel: 1 } });
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n`;
    const { responses } = await raw(port, req('/big.txt') + req('/big.txt'), { responses: 2 });
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    for (const r of responses) expect(gunzipSync(r.body).toString()).toBe(big);
  });
});
