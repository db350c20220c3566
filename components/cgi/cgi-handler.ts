/**
 * CGI's targets: what a CGI mapping runs for a request, found the one way
 * scripts are found (cgi-script-path.ts), and run by the CGI backend
 * (backend.ts) through the GatewayHandler, which CGI shares with FastCGI.
 *
 * - a directory of scripts: the path after the prefix is walked to the
 *   script; the rest is PATH_INFO; the directory is never listed;
 * - one program: SCRIPT_NAME is the prefix, PATH_INFO the rest.
 */
import { basename } from 'node:path';
import { resolveScript } from '../../src/http/cgi-script-path.js';
import type { HttpRequest } from '../../src/http/messages.js';
import { GatewayHandler, type GatewayTarget, type Located } from '../gateway/gateway-handler.js';
import { scriptFs } from '../gateway/script-fs.js';
import { CgiBackend } from './backend.js';
import type { ResolvedCgiMapping, ResolvedCgiOptions } from './options.js';
import type { CgiProcesses } from './processes.js';

/** Lives with the interpreters it reads (options.ts); still exported from here, as before. */
export { commandFor } from './options.js';

/** What the server tells every CGI handler. */
export interface CgiContext {
  readonly options: ResolvedCgiOptions;
  readonly processes: CgiProcesses;
  /** SERVER_SOFTWARE. */
  readonly serverSoftware: string;
}

/** Where a CGI mapping's requests go. */
export function cgiTarget(mapping: ResolvedCgiMapping, backend: CgiBackend): GatewayTarget {
  return {
    kind: 'cgi',
    locate: (request) => locate(mapping, backend, request),
  };
}

async function locate(mapping: ResolvedCgiMapping, backend: CgiBackend, request: HttpRequest): Promise<Located> {
  const rest = request.params?.['*'] ?? '';
  const mount = request.mount ?? mapping.mount;
  if (mapping.kind === 'program') {
    const program = await scriptFs.stat(mapping.path);
    if (!program) return { kind: 'refused', status: 404, reason: `${mapping.path} is gone` };
    const executable = (program.mode & 0o111) !== 0;
    return {
      kind: 'script',
      script: { scriptName: mount, pathInfo: rest, filename: mapping.path, name: basename(mapping.path), executable },
      backend,
    };
  }
  const found = await resolveScript(mapping.path, mount, rest, scriptFs);
  if (found.ok === true) return { kind: 'script', script: found, backend };
  if (found.ok === false) return { kind: 'refused', status: found.status, reason: found.reason };
  return { kind: 'refused', status: 403, reason: 'a CGI directory is not listed' };
}

/** A CGI handler for one mapping, as a component of its own (the server's routes make GatewayHandlers the same way). */
export class CgiHandler extends GatewayHandler {
  constructor(mapping: ResolvedCgiMapping, context: CgiContext) {
    super(cgiTarget(mapping, new CgiBackend(context.options, context.processes, context.serverSoftware)));
  }
}
