/**
 * Where the command listens: `--listen [SCHEME://]HOST:PORT` (repeatable;
 * IPv6 in brackets, `[::1]:8443`; `proxy://` and `proxy+https://` for a
 * PROXY protocol header first; `systemd[:NAME]` for sockets systemd passed), `--host`/`--port` naming one more
 * interface, and the TLS material. `--tls-key`, `--tls-cert`, `--tls-ca` and
 * `--tls-request-cert` apply to the interfaces marked `https://`, or to all
 * of them when none is marked. Without any of these the server listens on
 * 127.0.0.1:8080.
 */
import { readFileSync } from 'node:fs';
import { CliError, type Flag, type OptionsDraft } from './args.js';
import { parseListen, type ListenSpec } from './listen-spec.js';
import type { ListenInterface } from '../server/interfaces-option.js';

interface ListenDraft {
  listen?: ListenSpec[];
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
  tlsRequestCert?: boolean;
}

const draft = (o: OptionsDraft): ListenDraft => o as ListenDraft;

export const listenFlags: readonly Flag[] = [
  {
    name: '--listen',
    value: '[SCHEME://]HOST:PORT',
    repeatable: true,
    help: 'listen here too; IPv6 in brackets ([::1]:8443); https:// for TLS, proxy:// or proxy+https:// behind a PROXY protocol relay; systemd[:NAME] for sockets systemd passed',
    apply: (o, v) => {
      try {
        (draft(o).listen ??= []).push(parseListen(v));
      } catch (error) {
        throw new CliError((error as Error).message);
      }
    },
  },
  { name: '--tls-key', value: 'FILE', help: 'TLS private key (PEM)', apply: (o, v) => void (draft(o).tlsKey = v) },
  { name: '--tls-cert', value: 'FILE', help: 'TLS certificate chain (PEM)', apply: (o, v) => void (draft(o).tlsCert = v) },
  {
    name: '--tls-ca',
    value: 'FILE',
    help: 'CA (PEM) to verify client certificates against; asks clients for one',
    apply: (o, v) => void (draft(o).tlsCa = v),
  },
  {
    name: '--tls-request-cert',
    help: 'require a client certificate that verifies against --tls-ca',
    apply: (o) => void (draft(o).tlsRequestCert = true),
  },
];

/** Turns the listening flags into the `interfaces` option (reading the TLS files); options without them pass through. */
export function withInterfaces(options: OptionsDraft): OptionsDraft {
  const { listen, tlsKey, tlsCert, tlsCa, tlsRequestCert, ...rest } = options as OptionsDraft & ListenDraft;
  const tlsGiven = tlsKey !== undefined || tlsCert !== undefined || tlsCa !== undefined || tlsRequestCert !== undefined;
  if (!listen && !tlsGiven) return rest as OptionsDraft;
  if (tlsGiven && (tlsKey === undefined || tlsCert === undefined)) throw new CliError('TLS needs both --tls-key and --tls-cert');
  if (tlsRequestCert && tlsCa === undefined) throw new CliError('--tls-request-cert needs --tls-ca');
  const specs: ListenSpec[] = [...(listen ?? [])];
  // --host/--port name one more interface; with nothing named at all, the default.
  if (rest.host !== undefined || rest.port !== undefined || specs.length === 0) {
    specs.push({ host: (rest.host as string | undefined) ?? '127.0.0.1', port: (rest.port as number | undefined) ?? 8080, secure: false });
  }
  delete rest.host;
  delete rest.port;
  const marked = specs.some((s) => s.secure);
  if (marked && !tlsGiven) throw new CliError('an https:// interface needs --tls-key and --tls-cert');
  const tls = tlsGiven
    ? {
        key: readPem('--tls-key', tlsKey!),
        cert: readPem('--tls-cert', tlsCert!),
        ...(tlsCa !== undefined ? { ca: readPem('--tls-ca', tlsCa) } : {}),
        ...(tlsRequestCert ? { requestCert: true } : {}),
      }
    : undefined;
  const interfaces: ListenInterface[] = specs.map((s) => ({
    ...(s.systemd !== undefined ? { systemd: s.systemd } : { host: s.host, port: s.port }),
    ...(tls && (s.secure || !marked) ? { tls } : {}),
    ...(s.proxyProtocol ? { proxyProtocol: true } : {}),
  }));
  return { ...rest, interfaces } as OptionsDraft;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CliError(`${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
