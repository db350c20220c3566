/**
 * Compress: a response stage (see the `stages` of http-connection.ts) that
 * compresses bodies on the fly with gzip or brotli from node:zlib, for any
 * handler in front of it: static files, CGI, WSGI, functions. Switched on by
 * the `compress` option (`--compress`).
 *
 * The decision is compressionPlan (src/http/compression.ts): textual
 * content, not small, not already encoded, not a range, no `no-transform`,
 * and a coding the client accepts. A compressed response:
 * - says `Content-Encoding` and `Vary: Accept-Encoding`;
 * - carries its ETag weakened (RFC 9110 §8.8.3: other bytes, so the strong
 *   tag no longer holds; a weak one still answers If-None-Match with 304);
 * - loses Content-Length (unknown until compressed: chunked) and
 *   Accept-Ranges (ranges would be of the uncompressed bytes).
 * Small bodies in memory are compressed at once; anything larger, files and
 * streams are compressed as the responder pulls them, a chunk at a time, so
 * a large body costs a few buffers.
 */
import { Readable, pipeline, type Transform } from 'node:stream';
import { open } from 'node:fs/promises';
import { brotliCompressSync, constants, createBrotliCompress, createGzip, gzipSync, type BrotliOptions, type ZlibOptions } from 'node:zlib';
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import { compressionPlan, varyOnAcceptEncoding } from '../src/http/compression.js';
import { parseEntityTagList, weakEtag } from '../src/http/etag.js';
import { bodyLength, isFileBody, isPartsBody, type Body, type FileBody, type HttpResponse, type StreamBody } from '../src/http/messages.js';
import { defaultCompress, type ResolvedCompressOptions } from './compress-options.js';

export const compressBoxes = boxes({
  inboxes: { inbox: box<HttpResponse>('responses from the handlers') },
  outboxes: { outbox: box<HttpResponse>('the same responses, compressed where the content and the client allow') },
});

/** In-memory bodies up to this size are compressed at once (well under a millisecond); larger ones stream. */
const syncLimit = 8 * 1024;
/** Bytes read from a file at a time, as the compressor asks for them. */
const fileChunk = 64 * 1024;
const emptyBody: StreamBody = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };

export class Compress extends Component<typeof compressBoxes> {
  constructor(private readonly options: ResolvedCompressOptions = defaultCompress) {
    super(compressBoxes);
  }

  protected main(): void {
    this.on('inbox', (response) => this.send('outbox', this.transform(response)));
  }

  private transform(response: HttpResponse): HttpResponse {
    const request = response.request;
    if (response.status === 304) return notModified(response);
    const length = bodyLength(response.body);
    const plan = compressionPlan({
      status: response.status,
      acceptEncoding: request.headers.get('accept-encoding'),
      headers: response.headers,
      length,
      hasBody: response.body !== undefined && length !== 0,
      encodings: this.options.encodings,
      minSize: this.options.minSize,
    });
    if (!plan.compress) {
      if (!plan.vary) return response;
      const headers = response.headers.clone();
      varyOnAcceptEncoding(headers);
      return { ...response, headers };
    }
    const coding = plan.coding as 'br' | 'gzip';
    const headers = response.headers.clone();
    headers.set('Content-Encoding', coding).delete('Content-Length').delete('Accept-Ranges');
    varyOnAcceptEncoding(headers);
    const etag = headers.get('etag');
    if (etag !== undefined) headers.set('ETag', weakEtag(etag));
    let body: Body;
    if (request.method === 'HEAD')
      body = emptyBody; // the length is unknown without compressing: send none
    else if ((typeof response.body === 'string' || response.body instanceof Uint8Array) && length! <= syncLimit) {
      body = coding === 'br' ? brotliCompressSync(response.body, this.brotli(length)) : gzipSync(response.body, this.gzip());
    } else
      body = compressStream(chunksOf(response.body), coding === 'br' ? createBrotliCompress(this.brotli(length)) : createGzip(this.gzip()));
    return { ...response, headers, body };
  }

  private gzip(): ZlibOptions {
    return { level: this.options.gzipLevel };
  }

  private brotli(length: number | undefined): BrotliOptions {
    const params: Record<number, number> = { [constants.BROTLI_PARAM_QUALITY]: this.options.brotliQuality };
    if (length !== undefined) params[constants.BROTLI_PARAM_SIZE_HINT] = length;
    return { params };
  }
}

/**
 * A 304 for a client holding our compressed variant (its If-None-Match has
 * the weak form of the tag) carries that weak tag and Vary, as the 200 it
 * refreshes did (RFC 9110 §15.4.5), so its cache updates the right entry.
 */
function notModified(response: HttpResponse): HttpResponse {
  const etag = response.headers.get('etag');
  const inm = response.request.headers.get('if-none-match');
  if (etag === undefined || inm === undefined || etag.startsWith('W/')) return response;
  const tags = parseEntityTagList(inm);
  if (tags === undefined || tags === '*' || !tags.some((t) => t.weak && t.opaque === etag)) return response;
  const headers = response.headers.clone().set('ETag', weakEtag(etag));
  varyOnAcceptEncoding(headers);
  return { ...response, headers };
}

/** Any body as a stream of chunks, read lazily. */
async function* chunksOf(body: Body): AsyncGenerator<Uint8Array | string> {
  if (body === undefined) return;
  if (typeof body === 'string' || body instanceof Uint8Array) yield body;
  else if (isFileBody(body)) yield* fileChunks(body);
  else if (isPartsBody(body)) {
    for (const part of body.parts) {
      if (isFileBody(part)) yield* fileChunks(part);
      else yield part;
    }
  } else yield* body;
}

async function* fileChunks(file: FileBody): AsyncGenerator<Uint8Array> {
  const handle = await open(file.path, 'r');
  try {
    let position = file.start;
    while (position < file.end) {
      const size = Math.min(fileChunk, file.end - position);
      const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(size), 0, size, position);
      if (bytesRead === 0) throw new Error(`${file.path} ended early: it changed while being sent`);
      position += bytesRead;
      yield bytesRead === size ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/**
 * The compressed stream, pulled: the compressor reads from the source only
 * as its output is taken. Returning early (the client went away) destroys
 * both, which closes the source (and any file it was reading).
 */
async function* compressStream(source: AsyncIterable<Uint8Array | string>, compressor: Transform): AsyncGenerator<Uint8Array> {
  const input = Readable.from(source);
  pipeline(input, compressor, () => {
    // An error reaches the loop below through the compressor.
  });
  try {
    for await (const chunk of compressor) yield chunk as Uint8Array;
  } finally {
    input.destroy();
    compressor.destroy();
  }
}
