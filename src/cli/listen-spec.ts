/**
 * `--listen [http://|https://]HOST:PORT`: one interface to listen on. IPv6
 * addresses go in brackets, as in URLs: `[::1]:8443`, `https://[::]:443`.
 * `https://` marks the interface for TLS.
 */
import { isIPv6 } from 'node:net';

export interface ListenSpec {
  readonly host: string;
  readonly port: number;
  /** Marked https:// */
  readonly secure: boolean;
}

export function parseListen(value: string): ListenSpec {
  const m = /^(?:(https?):\/\/)?(\[[^\]]*\]|[^:/[\]]+):(\d{1,5})\/?$/i.exec(value);
  if (!m) throw new TypeError(`--listen takes [https://]HOST:PORT, with an IPv6 address in brackets ([::1]:8443), not "${value}"`);
  const bracketed = m[2]!.startsWith('[');
  const host = bracketed ? m[2]!.slice(1, -1) : m[2]!;
  if (bracketed && !isIPv6(host)) throw new TypeError(`--listen: "${host}" in brackets is not an IPv6 address`);
  if (!bracketed && host.includes(':')) throw new TypeError(`--listen: put the IPv6 address in brackets: [${host}]`);
  const port = Number(m[3]);
  if (port > 65535) throw new TypeError(`--listen: port ${port} is out of range`);
  return { host, port, secure: m[1]?.toLowerCase() === 'https' };
}
