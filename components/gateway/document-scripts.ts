/**
 * Scripts by extension inside the document root (`--cgi-ext .php`,
 * `--fastcgi .php=ADDRESS`), as lighttpd's cgi.assign and fastcgi.server,
 * nginx's `location ~ \.php$` and Apache's AddHandler do: a file whose name
 * ends in a mapped extension runs through the backend mapped to it; every
 * other file is served as a file.
 *
 * The route goes just before the document root's own (the catch-all) and
 * takes only the requests whose path may name a script (ScriptNames.mayName:
 * a segment with a mapped extension, or a directory whose index files
 * include one), so a stylesheet costs no more than it did. For those, the
 * path is walked from the document root with the root's own rules (dotfiles,
 * symlinks, excluded directories: cgi-script-path.ts): the first file with a
 * mapped extension is the script, and the rest of the path is PATH_INFO
 * ("/wiki/doku.php/some/page" runs wiki/doku.php with PATH_INFO
 * "/some/page"); a directory named "x.php" is a directory; a path that names
 * no script after all is served by the document root. The document root, in
 * turn, never sends a file with a mapped extension (resolve-path.ts's
 * scriptRefusal), by any path.
 */
import { findScript } from '../../src/http/cgi-script-path.js';
import { errorResponse, respond, type HttpRequest, type HttpResponse } from '../../src/http/messages.js';
import type { ScriptNames } from '../../src/http/script-names.js';
import type { Route } from '../request-router.js';
import type { StaticSite } from '../static-file/index.js';
import type { GatewayBackend } from './backend.js';
import { GatewayHandler, type GatewayTarget, type Located } from './gateway-handler.js';
import { scriptFs } from './script-fs.js';

/** The route of a document root's scripts: `backends` by extension (lower case, with its dot), `names` their extensions. */
export function documentScriptsRoute(site: StaticSite, names: ScriptNames, backends: ReadonlyMap<string, GatewayBackend>): Route {
  const index = site.options.index;
  const target: GatewayTarget = {
    kind: 'documents',
    locate: (request) => locate(site, names, backends, request),
    document: (request) => asDocument(site, request),
  };
  return {
    path: '/*',
    name: `scripts (${names.extensions.join(', ')}) in ${site.root}`,
    when: (request) => names.mayName(request.path, index),
    component: () => new GatewayHandler(target),
    halfClose: 'abort',
  };
}

async function locate(
  site: StaticSite,
  names: ScriptNames,
  backends: ReadonlyMap<string, GatewayBackend>,
  request: HttpRequest,
): Promise<Located> {
  const policy = site.cache.policy;
  let rootReal: string;
  try {
    rootReal = await scriptFs.realpath(policy.root);
  } catch {
    return { kind: 'refused', status: 404, reason: `document root ${policy.root} does not exist` };
  }
  const excludeReal = await Promise.all(policy.exclude.map((dir) => scriptFs.realpath(dir).catch(() => dir)));
  const found = await findScript(
    {
      root: policy.root,
      rootReal,
      dotfiles: policy.dotfiles,
      symlinks: policy.symlinks,
      excludeReal,
      runs: (name) => names.runs(name),
      index: site.options.index,
    },
    '',
    request.params?.['*'] ?? request.path,
    scriptFs,
  );
  if (found.ok === 'document') return { kind: 'document' };
  if (!found.ok) return { kind: 'refused', status: found.status, reason: found.reason };
  const backend = backends.get(names.extensionOf(found.name)!);
  if (!backend) return { kind: 'refused', status: 403, reason: `no backend runs ${found.name}` };
  return { kind: 'script', script: found, backend };
}

/** What is not a script is the document root's, which serves GET and HEAD (RFC 9110 §15.5.6: 405 with Allow otherwise). */
function asDocument(site: StaticSite, request: HttpRequest): HttpResponse | Promise<HttpResponse> {
  if (request.method === 'GET' || request.method === 'HEAD') return site.serve(request);
  const allow = { Allow: 'GET, HEAD, OPTIONS' };
  // RFC 9110 §9.3.7: what the router answers for OPTIONS on a route that does not take it.
  if (request.method === 'OPTIONS') return respond(request, { status: 204, headers: allow });
  return errorResponse(request, 405, { headers: allow });
}
