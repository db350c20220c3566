/**
 * The response for a file, once it is found: which representation (the file
 * or a precompressed sibling), then the preconditions (304, 412), then the
 * range (206, multipart/byteranges, 416), else 200. The protocol decisions
 * are the pure functions of src/http; this puts them together in RFC 9110's
 * order and picks the body: bytes kept in memory, or the file to be read at
 * the socket's pace.
 */
import { randomBytes } from 'node:crypto';
import { evaluatePreconditions, ifRangeAllowsRange, type Validators } from '../../src/http/conditional.js';
import { HeaderMap } from '../../src/http/headers.js';
import { errorResponse, type Body, type FileBody, type HttpRequest, type HttpResponse } from '../../src/http/messages.js';
import { preferredEncoding } from '../../src/http/negotiate.js';
import { contentRange, multipartFrame, parseRange, unsatisfiedRange, type ByteRange, type RangeLimits } from '../../src/http/range.js';
import type { Coding } from '../../src/http/compression.js';
import type { FileEntry, Representation } from './file-cache.js';

export interface FileResponseOptions {
  readonly ranges: RangeLimits;
  /** Precompressed siblings are on: responses vary with Accept-Encoding, whichever is chosen. */
  readonly precompressed: boolean;
}

export function fileResponse(request: HttpRequest, entry: FileEntry, options: FileResponseOptions): HttpResponse {
  const [coding, file] = chooseRepresentation(request, entry);
  const validators: Validators = { etag: file.etag, lastModified: file.lastModified };
  const headers = new HeaderMap();
  headers.append('Content-Type', entry.contentType);
  headers.append('Last-Modified', file.lastModifiedText);
  headers.append('ETag', file.etag);
  headers.append('Cache-Control', entry.cacheControl);
  if (coding) headers.append('Content-Encoding', coding);
  if (options.precompressed) headers.append('Vary', 'Accept-Encoding');

  const h = request.headers;
  if (h.size > 0 && (h.has('if-match') || h.has('if-none-match') || h.has('if-modified-since') || h.has('if-unmodified-since'))) {
    switch (evaluatePreconditions(request.method, h, validators)) {
      case 'failed':
        return errorResponse(request, 412, { headers: headers.delete('Content-Type'), error: 'precondition failed' });
      case 'not-modified':
        // RFC 9110 §15.4.5: a 304 carries the validators and caching fields, not the representation's metadata.
        return {
          type: 'response',
          request,
          status: 304,
          headers: headers.delete('Content-Type').delete('Content-Encoding'),
          body: undefined,
        };
      case 'proceed':
        break;
    }
  }
  headers.append('Accept-Ranges', 'bytes');
  // RFC 9110 §14.2: only GET has range semantics; HEAD and the rest ignore Range.
  const range = request.method === 'GET' ? h.get('range') : undefined;
  if (range !== undefined && ifRangeAllowsRange(h.get('if-range'), validators)) {
    const selection = parseRange(range, file.size, options.ranges);
    if (selection.type === 'unsatisfiable') {
      headers.set('Content-Range', unsatisfiedRange(file.size)).delete('Content-Type');
      return errorResponse(request, 416, { headers, error: `range ${range} is outside ${file.size} bytes` });
    }
    if (selection.type === 'ranges') return partial(request, headers, entry.contentType, file, selection.ranges);
  }
  return { type: 'response', request, status: 200, headers, body: slice(file, 0, file.size) };
}

/** The identity file, or the precompressed sibling the client likes best (RFC 9110 §12.5.3). */
function chooseRepresentation(request: HttpRequest, entry: FileEntry): readonly [Coding | undefined, Representation] {
  if (entry.encoded.length === 0) return [undefined, entry.identity];
  const accept = request.headers.get('accept-encoding');
  if (accept === undefined) return [undefined, entry.identity];
  const chosen = preferredEncoding(
    accept,
    entry.encoded.map(([coding]) => coding),
  );
  const found = entry.encoded.find(([coding]) => coding === chosen);
  return found ? [found[0], found[1]] : [undefined, entry.identity];
}

/** 206: one range as it is, several as multipart/byteranges (RFC 9110 §14.6). */
function partial(request: HttpRequest, headers: HeaderMap, type: string, file: Representation, ranges: readonly ByteRange[]): HttpResponse {
  if (ranges.length === 1) {
    const range = ranges[0]!;
    headers.append('Content-Range', contentRange(range, file.size));
    return { type: 'response', request, status: 206, headers, body: slice(file, range.start, range.end) };
  }
  const frame = multipartFrame(ranges, file.size, type, randomBytes(12).toString('hex'));
  const parts: (string | Uint8Array | FileBody)[] = [];
  ranges.forEach((range, i) => {
    parts.push(frame.heads[i]!, slice(file, range.start, range.end) as Uint8Array | FileBody);
  });
  parts.push(frame.tail);
  headers.set('Content-Type', frame.contentType);
  return { type: 'response', request, status: 206, headers, body: { type: 'parts', parts } };
}

/** Bytes of the file: from memory when it is kept there, else to be read from disk by the responder. */
function slice(file: Representation, start: number, end: number): Body {
  if (file.content) return start === 0 && end === file.content.length ? file.content : file.content.subarray(start, end);
  return { type: 'file', path: file.path, start, end };
}
