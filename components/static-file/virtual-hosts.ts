/**
 * Virtual hosts: a document root per Host (`vhosts`, `--vhost HOST=DIR`),
 * with the server's own root for every other host (or none: a 404). Each
 * root is a StaticSite of its own, with the same static options; the host
 * is picked as nginx picks a server_name: an exact name first, then the
 * wildcard ("*.example.com") with the longest suffix (src/http/host-pattern.ts).
 * A request without a Host (HTTP/1.0) gets the default.
 *
 * One route serves them all, last, where the document root's would be:
 * the routes before it (CGI, applications, your own) are the same for
 * every host.
 */
import path from 'node:path';
import { hostPatternMatches, hostPatternOrder, isHostPattern } from '../../src/http/host-pattern.js';
import { errorResponse, type HttpRequest, type HttpResponse } from '../../src/http/messages.js';
import { badOption } from '../../src/http/option-checks.js';
import type { Route } from '../request-router.js';
import type { ResolvedStaticOptions } from './options.js';
import { StaticSite } from './site.js';

export interface VirtualHost {
  /** "example.com" or "*.example.com". */
  readonly host: string;
  /** Its document root; relative to the working directory. */
  readonly root: string;
}

export function resolveVirtualHosts(given: readonly VirtualHost[] | undefined, name = 'vhosts'): VirtualHost[] {
  if (given === undefined) return [];
  if (!Array.isArray(given)) throw badOption(name, 'a list of { host, root }', given);
  const seen = new Set<string>();
  return given.map((v: VirtualHost, i) => {
    if (typeof v !== 'object' || v === null) throw badOption(`${name}[${i}]`, 'an object { host, root }', v);
    for (const key of Object.keys(v))
      if (key !== 'host' && key !== 'root') throw new TypeError(`boxwire: unknown option "${name}[${i}].${key}" (known: host, root)`);
    if (!isHostPattern(v.host)) throw badOption(`${name}[${i}].host`, 'a host name such as "example.com" or "*.example.com"', v.host);
    if (typeof v.root !== 'string' || v.root === '' || v.root.includes('\0'))
      throw badOption(`${name}[${i}].root`, 'a directory path', v.root);
    const host = v.host.toLowerCase().replace(/\.$/, '');
    if (seen.has(host)) throw new TypeError(`boxwire: option "${name}": the host ${host} is given twice`);
    seen.add(host);
    return { host, root: path.resolve(v.root) };
  });
}

export class VirtualHosts {
  /** Most specific first. */
  private readonly sites: readonly { readonly host: string; readonly site: StaticSite }[];

  constructor(
    hosts: readonly VirtualHost[],
    options: ResolvedStaticOptions,
    /** The root for every other host; undefined for none. */
    readonly fallback: StaticSite | undefined,
  ) {
    this.sites = hostPatternOrder(hosts, (h) => h.host).map((h) => ({ host: h.host, site: new StaticSite(h.root, options) }));
  }

  /** The site serving a host. */
  siteFor(host: string): StaticSite | undefined {
    for (const entry of this.sites) if (hostPatternMatches(entry.host, host)) return entry.site;
    return this.fallback;
  }

  serve(request: HttpRequest): HttpResponse | Promise<HttpResponse> {
    const site = request.host === '' ? this.fallback : this.siteFor(request.host);
    return site
      ? site.serve(request)
      : errorResponse(request, 404, { error: `no document root for the host ${JSON.stringify(request.host)}` });
  }

  /** Closes the sites of the hosts (not the fallback, which is the server's own). */
  close(): void {
    for (const { site } of this.sites) site.close();
  }
}

/** The route serving the virtual hosts (and the default root): GET and HEAD, last. */
export function virtualHostsRoute(hosts: VirtualHosts): Route {
  return { path: '/*', methods: ['GET', 'HEAD'], name: 'static', handler: (request) => hosts.serve(request) };
}
