/**
 * StaticSite: one document root as served. It holds the root's options and
 * its FileCache, and `serve` is the answer to a request: at once, when the
 * cache holds the file (the usual case, a file asked for again), else a
 * promise of it, once the path is resolved afresh. The answer is the file
 * (file-response.ts), a redirect to a directory's slash form, an index file,
 * a listing, or the refusal with its status (404, 403, 400), which the error
 * page renders and logs with its reason. Nothing is held while a body is
 * sent: the responder reads the file, at the socket's pace.
 *
 * The server's static route calls `serve` as a function handler; the
 * StaticFile component wraps it for graphs of your own.
 */
import { errorResponse, respond, type HttpRequest, type HttpResponse } from '../../src/http/messages.js';
import { renderListing } from '../../src/http/listing.js';
import { takesAppShell } from '../../src/http/spa-fallback.js';
import { encodePath } from '../../src/http/target.js';
import type { ResolvedStaticOptions } from './options.js';
import { FileCache, type Lookup } from './file-cache.js';
import { fileResponse, type FileResponseOptions } from './file-response.js';
import { readDirectory } from './read-directory.js';

/** One document root, shared by every request's handler. */
export class StaticSite {
  readonly cache: FileCache;
  readonly responseOptions: FileResponseOptions;

  constructor(
    readonly root: string,
    readonly options: ResolvedStaticOptions,
  ) {
    this.cache = new FileCache(root, options);
    this.responseOptions = { ranges: options.ranges, precompressed: options.precompressed.length > 0 };
  }

  /** Forgets the cache and stops watching the root: when the server stops. */
  close(): void {
    this.cache.close();
  }

  serve(request: HttpRequest): HttpResponse | Promise<HttpResponse> {
    // Under a prefix route ("/docs/*") the part after the mount point is the path in the root.
    const urlPath = request.params?.['*'] ?? request.path;
    // The mount point itself is a directory asked for without its slash.
    if (urlPath === '') return redirectToSlash(request);
    const hit = this.cache.fresh(urlPath);
    if (hit) return fileResponse(request, hit, this.responseOptions);
    return this.cache.load(urlPath).then((found) => this.answer(request, urlPath, found));
  }

  private async answer(request: HttpRequest, urlPath: string, found: Lookup): Promise<HttpResponse> {
    switch (found.type) {
      case 'file':
        return fileResponse(request, found, this.responseOptions);
      case 'redirect':
        return redirectToSlash(request);
      case 'directory':
        return this.options.listing
          ? this.listing(request, urlPath, found.realPath)
          : errorResponse(request, 404, { error: 'directory has no index file, and listings are off' });
      case 'refused':
        if (found.status === 404 && this.options.spa && takesAppShell(request.method, request.headers.get('accept'), urlPath))
          return this.appShell(request, found.reason);
        return errorResponse(request, found.status, { error: found.reason });
      default:
        return found satisfies never;
    }
  }

  /** The root's index page, for a navigation to a path with no file (static.spa). */
  private async appShell(request: HttpRequest, reason: string): Promise<HttpResponse> {
    const found = this.cache.fresh('/') ?? (await this.cache.load('/'));
    if (found.type !== 'file') return errorResponse(request, 404, { error: `${reason}, and the root has no index page to fall back on` });
    return fileResponse(request, found, this.responseOptions);
  }

  private async listing(request: HttpRequest, urlPath: string, realPath: string): Promise<HttpResponse> {
    const roots = await this.cache.roots();
    if (!roots) return errorResponse(request, 404, { error: 'document root does not exist' });
    const { entries, omitted } = await readDirectory(this.cache, urlPath, realPath, roots);
    const body = renderListing({ path: request.path, entries, parent: urlPath !== '/', omitted });
    return respond(request, { headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }, body });
  }
}

/**
 * 301 to the directory's slash form, query kept. The Location is built from
 * the decoded, normalised path, each segment percent-encoded: it always
 * begins with a single "/", so it can never become "//elsewhere" (an open
 * redirect).
 */
export function redirectToSlash(request: HttpRequest): HttpResponse {
  const encoded = encodePath(request.path);
  const location = `${encoded.endsWith('/') ? encoded : `${encoded}/`}${request.query ? `?${request.query}` : ''}`;
  return respond(request, {
    status: 301,
    headers: { Location: location, 'Content-Type': 'text/plain; charset=utf-8' },
    body: `Moved to ${location}\n`,
  });
}
