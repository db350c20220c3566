/**
 * The `interfaces` option: the addresses a server listens on, each plain TCP
 * or TLS, as Rocket's interfaces were. Without it the server listens on
 * `host`:`port`. TLS material is given as PEM text (a string or Buffer), as
 * node:tls takes it. With a CA, clients are asked for a certificate but not
 * required to give one (close to Rocket's CERT_OPTIONAL): one that verifies
 * against the CA reaches handlers as `request.connection.peerCertificate`;
 * none, or one that does not verify, is simply not passed on. With
 * `requestCert` too, a verified certificate is required (CERT_REQUIRED): a
 * client without one fails the handshake, which is logged and costs nothing
 * else.
 *
 * `proxyProtocol: true` puts an interface behind a TCP load balancer that
 * sends the PROXY protocol header (HAProxy's send-proxy, AWS NLB, ...):
 * every connection must begin with one, and TLS, if the interface has it,
 * starts after it. `systemd: true` (every socket systemd passed) or
 * `systemd: "NAME"` (those of FileDescriptorName=NAME) listens on sockets
 * passed by socket activation instead of a host and port (socket-activation.ts).
 */
import { readFileSync } from 'node:fs';
import type { Interface } from '../../components/tcp-server/index.js';
import { socketsNamed } from './socket-activation.js';

export interface ListenInterface {
  /** Where to listen; not with `systemd`. */
  readonly host?: string;
  /** 0 asks the system for a free port. */
  readonly port?: number;
  /** Listen on sockets passed by systemd: all of them (true), or those named so (FileDescriptorName=). */
  readonly systemd?: true | string;
  /** Connections begin with a PROXY protocol header (v1 or v2), required and checked. */
  readonly proxyProtocol?: boolean;
  readonly tls?: {
    /** PEM text; or give `keyFile`, `certFile`, `caFile` (paths, read once, at construction: what a JSON configuration can hold). */
    readonly key?: string | Buffer;
    readonly cert?: string | Buffer;
    readonly ca?: string | Buffer;
    readonly keyFile?: string;
    readonly certFile?: string;
    readonly caFile?: string;
    /** Require a client certificate that verifies against `ca`: without one the handshake fails. */
    readonly requestCert?: boolean;
  };
}

const fail = (message: string): never => {
  throw new TypeError(`boxwire: ${message}`);
};

/** TcpServer's interfaces from the option, checked. */
export function resolveInterfaces(given: unknown): Interface[] {
  if (!Array.isArray(given) || given.length === 0) return fail('option "interfaces" must be a non-empty array of { host, port, tls? }');
  return given.flatMap((entry: unknown, i) => {
    const where = `interfaces[${i}]`;
    if (typeof entry !== 'object' || entry === null) return fail(`option "${where}" must be an object { host, port, tls? }`);
    const { host, port, systemd, proxyProtocol, ...rest } = entry as ListenInterface;
    delete (rest as { tls?: unknown }).tls;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) fail(`option "${where}": unknown key "${unknown}"`);
    if (proxyProtocol !== undefined && typeof proxyProtocol !== 'boolean') fail(`option "${where}.proxyProtocol" must be true or false`);
    const tls = resolveTls(where, (entry as ListenInterface).tls);
    const extra = { ...(tls ? { tls } : {}), ...(proxyProtocol ? { proxyProtocol: true } : {}) };
    if (systemd !== undefined) {
      if (host !== undefined || port !== undefined) fail(`option "${where}": give "systemd" or "host" and "port", not both`);
      if (systemd !== true && (typeof systemd !== 'string' || systemd === '' || systemd.includes(':'))) {
        fail(`option "${where}.systemd" must be true or a socket name (FileDescriptorName=)`);
      }
      const sockets = socketsNamed(systemd);
      if (sockets.length === 0) {
        fail(
          `option "${where}.systemd": ${systemd === true ? 'no sockets were passed' : `no socket named "${systemd}" was passed`} (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES: is this run by a systemd socket unit?)`,
        );
      }
      return sockets.map((socket) => ({ host: `fd:${socket.fd}`, port: 0, fd: socket.fd, ...extra }));
    }
    if (typeof host !== 'string' || host === '') fail(`option "${where}.host" must be a non-empty string`);
    if (!Number.isInteger(port) || port! < 0 || port! > 65535)
      fail(`option "${where}.port" must be an integer from 0 to 65535 (got ${JSON.stringify(port)})`);
    return [{ host: host!, port: port!, ...extra }];
  });
}

/** An interface's TLS material, checked (and read, when named by file); undefined when it has none. */
function resolveTls(where: string, given: ListenInterface['tls']): Interface['tls'] {
  if (given === undefined) return undefined;
  const tls = typeof given === 'object' && given !== null ? withFiles(where, given) : given;
  const pem = (value: unknown): boolean => typeof value === 'string' || Buffer.isBuffer(value);
  if (typeof tls !== 'object' || tls === null || !pem(tls.key) || !pem(tls.cert) || (tls.ca !== undefined && !pem(tls.ca))) {
    fail(`option "${where}.tls" must be { key, cert, ca?, requestCert? } in PEM (strings or Buffers)`);
  }
  if (tls.requestCert !== undefined && typeof tls.requestCert !== 'boolean')
    fail(`option "${where}.tls.requestCert" must be true or false`);
  if (tls.requestCert && tls.ca === undefined) fail(`option "${where}.tls.requestCert" needs a "ca" to verify client certificates against`);
  const ca = tls.ca !== undefined ? { ca: tls.ca, requestCert: true, rejectUnauthorized: tls.requestCert === true } : {};
  return { key: tls.key, cert: tls.cert, ...ca };
}

/** TLS material named by file: read now, so a missing file is an error at construction, naming the option. */
function withFiles(where: string, tls: NonNullable<ListenInterface['tls']>): NonNullable<ListenInterface['tls']> {
  const { keyFile, certFile, caFile, ...rest } = tls;
  const read = (name: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    if (typeof file !== 'string' || file === '') return fail(`option "${where}.tls.${name}" must be a file path`);
    try {
      return readFileSync(file);
    } catch (error) {
      return fail(
        `option "${where}.tls.${name}": cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  };
  return {
    ...rest,
    ...(keyFile !== undefined ? { key: read('keyFile', keyFile) } : {}),
    ...(certFile !== undefined ? { cert: read('certFile', certFile) } : {}),
    ...(caFile !== undefined ? { ca: read('caFile', caFile) } : {}),
  };
}
