/**
 * Whether to compress a response on the fly, and with what: the decision
 * the compression stage makes for each response, as a pure function. A
 * response is compressed when its content is worth it (a textual type, not
 * known to be small), nobody objects (no Content-Encoding yet, not a range,
 * no `Cache-Control: no-transform`, RFC 9111 §5.2.2.6) and the client
 * accepts a coding we have (RFC 9110 §12.5.3).
 */
import { addVary, hasToken } from './headers.js';
import type { HeaderMap } from './headers.js';
import { preferredEncoding } from './negotiate.js';

/** The content codings we produce or serve precompressed, and the file extension of each. */
export type Coding = 'br' | 'gzip';
export const codingExtensions: Readonly<Record<Coding, string>> = { br: '.br', gzip: '.gz' };

export interface CompressionInput {
  readonly status: number;
  /** The request's Accept-Encoding. */
  readonly acceptEncoding: string | undefined;
  readonly headers: HeaderMap;
  /** The body's length when known without reading it. */
  readonly length: number | undefined;
  /** Whether there is a body at all (or would be, for HEAD). */
  readonly hasBody: boolean;
  /** Codings we produce, in the order preferred on a tie. */
  readonly encodings: readonly string[];
  readonly minSize: number;
}

export type CompressionPlan =
  | { readonly compress: true; readonly coding: string }
  /** `vary`: the answer depended on Accept-Encoding, so caches must know (RFC 9110 §12.5.5). */
  | { readonly compress: false; readonly vary: boolean; readonly reason: string };

const skip = (reason: string, vary = false): CompressionPlan => ({ compress: false, vary, reason });

export function compressionPlan(input: CompressionInput): CompressionPlan {
  const { status, headers } = input;
  if (status < 200 || status >= 300 || status === 204) return skip('status');
  if (status === 206 || headers.has('content-range')) return skip('range');
  if (!input.hasBody) return skip('no body');
  const encoding = headers.get('content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return skip('already encoded');
  if (hasToken(headers.get('cache-control'), 'no-transform')) return skip('no-transform');
  if (!isCompressibleType(headers.get('content-type'))) return skip('type');
  if (input.length !== undefined && input.length < input.minSize) return skip('small');
  const coding = preferredEncoding(input.acceptEncoding, input.encodings);
  if (coding === undefined || coding === 'identity') return skip('not accepted', true);
  return { compress: true, coding };
}

/**
 * Types worth compressing: text (but not event streams, whose events must
 * not wait in a compressor's buffer), JSON, JavaScript, XML, SVG, WebAssembly
 * and uncompressed fonts. Images, audio, video, archives and woff fonts are
 * compressed already.
 */
const compressible =
  /^(?:text\/(?!event-stream$)[^;]+|application\/(?:json|javascript|ecmascript|x-javascript|xml|xhtml\+xml|wasm|graphql|toml|yaml|x-yaml|x-www-form-urlencoded|vnd\.ms-fontobject|x-font-ttf|x-font-otf)|image\/(?:svg\+xml|x-icon|vnd\.microsoft\.icon|bmp)|font\/(?:ttf|otf|collection)|[a-z]+\/[^;]+\+(?:json|xml))$/;

export function isCompressibleType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return compressible.test(type);
}

/** Adds Accept-Encoding to Vary unless it is there already (or Vary is "*"). */
export function varyOnAcceptEncoding(headers: HeaderMap): void {
  addVary(headers, 'Accept-Encoding');
}
