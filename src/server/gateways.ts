/**
 * The gateways of one configuration, put together for the server: the
 * FastCGI applications (their pools and supervisors), and the scripts of
 * the document root by extension, each extension run by its backend (CGI
 * through php-cgi or another interpreter, or a FastCGI application).
 */
import { CgiBackend } from '../../components/cgi/backend.js';
import type { CgiProcesses } from '../../components/cgi/processes.js';
import { fastCgiApplications, type FastCgiApplication } from '../../components/fastcgi/routes.js';
import type { GatewayBackend } from '../../components/gateway/backend.js';
import { ScriptNames } from '../http/script-names.js';
import type { ResolvedOptions } from './options.js';

export interface DocumentScripts {
  /** The mapped extensions: what runs, and what the document root never sends. */
  readonly names: ScriptNames;
  readonly backends: ReadonlyMap<string, GatewayBackend>;
}

/** Where FastCGI's DOCUMENT_ROOT points: the document root, else CGI's. */
export function gatewayDocumentRoot(o: ResolvedOptions): string {
  return o.root || o.cgi.documentRoot;
}

export function buildFastCgi(o: ResolvedOptions, serverSoftware: string): FastCgiApplication[] {
  return fastCgiApplications(o.fastcgi, serverSoftware, gatewayDocumentRoot(o));
}

/** The document root's scripts: CGI by `cgiExtensions`, FastCGI by the extension mappings. */
export function documentScripts(
  o: ResolvedOptions,
  processes: CgiProcesses,
  fastcgi: readonly FastCgiApplication[],
  serverSoftware: string,
): DocumentScripts {
  const backends = new Map<string, GatewayBackend>();
  for (const [extension, interpreter] of o.cgiExtensions) {
    // The interpreter mapped to the extension, else the file itself (its executable bit set).
    const command = (script: { filename: string; executable: boolean }) =>
      interpreter ? [...interpreter, script.filename] : script.executable ? [script.filename] : undefined;
    backends.set(extension, new CgiBackend(o.cgi, processes, serverSoftware, command));
  }
  for (const { app, backend } of fastcgi) if (app.extension !== undefined) backends.set(app.extension, backend);
  return { names: new ScriptNames(backends.keys()), backends };
}

/** Whether two configurations run the same FastCGI applications the same way (a reload keeps their pools and processes). */
export function sameFastCgi(a: ResolvedOptions, b: ResolvedOptions): boolean {
  return (
    JSON.stringify([a.fastcgi, gatewayDocumentRoot(a), a.serverHeader]) ===
    JSON.stringify([b.fastcgi, gatewayDocumentRoot(b), b.serverHeader])
  );
}
