/**
 * `--listen [SCHEME://]HOST:PORT` or `--listen [SCHEME://]systemd[:NAME]`:
 * one interface to listen on. IPv6 addresses go in brackets, as in URLs:
 * `[::1]:8443`, `https://[::]:443`. The scheme says what the interface
 * speaks: `http://` (the default), `https://` (TLS), `proxy://` (every
 * connection begins with a PROXY protocol header) or `proxy+https://` (the
 * header, then TLS). `systemd` listens on the sockets systemd passed (all
 * of them, or those named NAME by FileDescriptorName=) instead of a host
 * and port.
 */
import { isIPv6 } from 'node:net';

export interface ListenSpec {
  /** '' for systemd sockets. */
  readonly host: string;
  readonly port: number;
  /** Marked https:// or proxy+https:// */
  readonly secure: boolean;
  /** Marked proxy:// or proxy+https:// */
  readonly proxyProtocol?: true;
  /** The sockets systemd passed: all (true), or those of a name. */
  readonly systemd?: true | string;
}

const usage =
  '--listen takes [SCHEME://]HOST:PORT or [SCHEME://]systemd[:NAME] (SCHEME http, https, proxy or proxy+https), with an IPv6 address in brackets ([::1]:8443)';

export function parseListen(value: string): ListenSpec {
  const scheme = /^(https?|proxy|proxy\+https):\/\//i.exec(value);
  const kind = scheme ? scheme[1]!.toLowerCase() : 'http';
  const rest = scheme ? value.slice(scheme[0].length) : value;
  const marks = {
    secure: kind === 'https' || kind === 'proxy+https',
    ...(kind.startsWith('proxy') ? { proxyProtocol: true as const } : {}),
  };
  const systemd = /^systemd(?::([^\s:/]+))?\/?$/i.exec(rest);
  if (systemd) return { host: '', port: 0, ...marks, systemd: systemd[1] ?? true };
  const m = /^(\[[^\]]*\]|[^:/[\]]+):(\d{1,5})\/?$/.exec(rest);
  if (!m) throw new TypeError(`${usage}, not "${value}"`);
  const bracketed = m[1]!.startsWith('[');
  const host = bracketed ? m[1]!.slice(1, -1) : m[1]!;
  if (bracketed && !isIPv6(host)) throw new TypeError(`--listen: "${host}" in brackets is not an IPv6 address`);
  if (!bracketed && host.includes(':')) throw new TypeError(`--listen: put the IPv6 address in brackets: [${host}]`);
  const port = Number(m[2]);
  if (port > 65535) throw new TypeError(`--listen: port ${port} is out of range`);
  return { host, port, ...marks };
}
