/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and
 * 2): what a TCP load balancer writes before the client's bytes to say who
 * the client is. An interface that asks for it requires it on every
 * connection, so the parsing is strict: anything but a well-formed header,
 * from its first byte on, is refused, and the connection is closed (§2: a
 * receiver must not guess, or anyone could claim any address).
 *
 * - Version 1 (§2.1) is one text line of at most 107 bytes, CRLF included:
 *   "PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n", or "PROXY UNKNOWN",
 *   with anything up to the CRLF ignored. Single spaces, addresses of the
 *   family named, ports 0-65535 without leading zeros.
 * - Version 2 (§2.2) is binary: a 12-byte signature, version and command,
 *   family and transport, the length of the rest, the addresses, then TLVs.
 *   LOCAL (a health check from the proxy itself) and the UNSPEC and UNIX
 *   families give no IP addresses: the connection's own stand.
 *
 * `ProxyHeaderParser` is fed the connection's first bytes in pieces of any
 * size (a byte at a time works) and says, as soon as it can, whether they
 * are a header and what follows it. Pure: no sockets here.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, unmapped } from './ip-address.js';

export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** A v2 Type-Length-Value extension (§2.2.1): ALPN, authority (SNI), TLS details, vendors' own. */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /** PROXY: a relayed connection; LOCAL (v2 only): the proxy's own, such as a health check. */
  readonly command: 'PROXY' | 'LOCAL';
  /** The client, when the header names IP addresses; undefined for LOCAL, UNKNOWN, UNSPEC and UNIX: the connection's own then stand. */
  readonly source: ProxyEndpoint | undefined;
  /** The address the client connected to, likewise. */
  readonly destination: ProxyEndpoint | undefined;
  /** v2 extensions, in order; none for v1. */
  readonly tlvs: readonly ProxyTlv[];
}

export type ProxyParse =
  /** The header, and the bytes after it (the client's first bytes). */
  { readonly ok: true; readonly header: ProxyHeader; readonly rest: Uint8Array } | { readonly ok: false; readonly reason: string };

/** The v2 signature (§2.2): CR LF CR LF NUL CR LF "QUIT" LF. */
export const proxyV2Signature: Uint8Array = Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const v1Prefix = Buffer.from('PROXY ', 'latin1');
/** §2.1: the longest v1 line, CRLF included. */
const v1MaxLength = 107;
const v2HeadLength = 16;

const port = /^(?:0|[1-9]\d{0,4})$/;

/** Reads a header off the first bytes of a connection, fed in pieces. */
export class ProxyHeaderParser {
  private buffer: Buffer = Buffer.alloc(0);
  private result: ProxyParse | undefined;

  /** More bytes; the outcome once it is known, else undefined (feed more). */
  push(chunk: Uint8Array): ProxyParse | undefined {
    if (this.result) return this.result;
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const outcome = parseProxyHeader(this.buffer);
    if (outcome === 'incomplete') return undefined;
    this.result = outcome;
    this.buffer = Buffer.alloc(0);
    return outcome;
  }

  /** The connection ended before the header did. */
  end(): ProxyParse {
    this.result ??= { ok: false, reason: 'the connection ended inside the PROXY header' };
    return this.result;
  }
}

/** The header at the start of `bytes`, 'incomplete' while what is there could still become one. */
export function parseProxyHeader(bytes: Uint8Array): ProxyParse | 'incomplete' {
  if (bytes.length === 0) return 'incomplete';
  if (bytes[0] === 0x50 /* P */) return parseV1(bytes);
  if (bytes[0] === 0x0d) return parseV2(bytes);
  return refuse('no PROXY header: the connection does not start with one');
}

function refuse(reason: string): ProxyParse {
  return { ok: false, reason };
}

/** §2.1: the text header. */
function parseV1(bytes: Uint8Array): ProxyParse | 'incomplete' {
  const known = Math.min(bytes.length, v1Prefix.length);
  for (let i = 0; i < known; i++) if (bytes[i] !== v1Prefix[i]) return refuse('malformed PROXY v1 header: it does not begin "PROXY "');
  let lf = -1;
  for (let i = 0; i < Math.min(bytes.length, v1MaxLength); i++) {
    const c = bytes[i]!;
    if (c === 0x0a) {
      lf = i;
      break;
    }
    // Only printable ASCII and the CR before the LF belong in the line.
    if (c === 0x0d ? i + 1 < bytes.length && bytes[i + 1] !== 0x0a : c < 0x20 || c > 0x7e) {
      return refuse('malformed PROXY v1 header: a control character in the line');
    }
  }
  if (lf < 0) return bytes.length >= v1MaxLength ? refuse(`PROXY v1 header longer than ${v1MaxLength} bytes`) : 'incomplete';
  if (lf === 0 || bytes[lf - 1] !== 0x0d) return refuse('malformed PROXY v1 header: the line does not end in CRLF');
  const line = Buffer.from(bytes.buffer, bytes.byteOffset, lf - 1).toString('latin1');
  const rest = bytes.subarray(lf + 1);
  const words = line.split(' ');
  const protocol = words[1];
  // §2.1: with UNKNOWN, whatever follows up to the CRLF is ignored; the connection's own addresses stand.
  if (protocol === 'UNKNOWN')
    return { ok: true, header: { version: 1, command: 'PROXY', source: undefined, destination: undefined, tlvs: [] }, rest };
  if (protocol !== 'TCP4' && protocol !== 'TCP6')
    return refuse(`malformed PROXY v1 header: unknown protocol ${JSON.stringify(protocol ?? '')}`);
  if (words.length !== 6) return refuse('malformed PROXY v1 header: it needs two addresses and two ports, single spaces apart');
  const family = protocol === 'TCP4' ? 'IPv4' : 'IPv6';
  const source = endpointOf(words[2]!, words[4]!, family);
  const destination = endpointOf(words[3]!, words[5]!, family);
  if (typeof source === 'string') return refuse(`malformed PROXY v1 header: source ${source}`);
  if (typeof destination === 'string') return refuse(`malformed PROXY v1 header: destination ${destination}`);
  return { ok: true, header: { version: 1, command: 'PROXY', source, destination, tlvs: [] }, rest };
}

/** A v1 address and port, checked against the family the line named; the reason when they are not one. */
function endpointOf(address: string, portText: string, family: 'IPv4' | 'IPv6'): ProxyEndpoint | string {
  if (!port.test(portText) || Number(portText) > 65535) return `port ${JSON.stringify(portText)} is not 0-65535`;
  const bytes = family === 'IPv4' ? parseIPv4(address) : parseIPv6(address);
  if (!bytes) return `${JSON.stringify(address)} is not an ${family} address`;
  return endpoint(bytes, Number(portText));
}

/** §2.2: the binary header. */
function parseV2(bytes: Uint8Array): ProxyParse | 'incomplete' {
  const known = Math.min(bytes.length, proxyV2Signature.length);
  for (let i = 0; i < known; i++) if (bytes[i] !== proxyV2Signature[i]) return refuse('malformed PROXY v2 header: bad signature');
  if (bytes.length < v2HeadLength - 3) return 'incomplete';
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) return refuse(`PROXY header version ${versionCommand >> 4} is not 2`);
  const command = versionCommand & 0x0f;
  if (command > 1) return refuse(`PROXY v2 header: unknown command ${command}`);
  if (bytes.length < v2HeadLength) return 'incomplete';
  const familyTransport = bytes[13]!;
  const length = (bytes[14]! << 8) | bytes[15]!;
  if (bytes.length < v2HeadLength + length) return 'incomplete';
  const block = bytes.subarray(v2HeadLength, v2HeadLength + length);
  const rest = bytes.subarray(v2HeadLength + length);
  // §2.2: LOCAL discards the whole block, the family included: the connection's own endpoints stand.
  if (command === 0)
    return { ok: true, header: { version: 2, command: 'LOCAL', source: undefined, destination: undefined, tlvs: [] }, rest };
  // Only the stream transports over the known families (§2.2: anything else must be dropped; datagrams do not come over TCP).
  let addressLength: number;
  switch (familyTransport) {
    case 0x00: // UNSPEC: the receiver ignores the block.
      return { ok: true, header: { version: 2, command: 'PROXY', source: undefined, destination: undefined, tlvs: [] }, rest };
    case 0x11:
      addressLength = 12;
      break;
    case 0x21:
      addressLength = 36;
      break;
    case 0x31:
      addressLength = 216;
      break;
    default:
      return refuse(`PROXY v2 header: unsupported family and transport 0x${familyTransport.toString(16).padStart(2, '0')}`);
  }
  if (length < addressLength) return refuse(`PROXY v2 header: ${length} bytes cannot hold the addresses (${addressLength})`);
  const tlvs = parseTlvs(block.subarray(addressLength));
  if (typeof tlvs === 'string') return refuse(`PROXY v2 header: ${tlvs}`);
  // A Unix socket's paths are no address a client has here: the connection's own stand.
  if (familyTransport === 0x31)
    return { ok: true, header: { version: 2, command: 'PROXY', source: undefined, destination: undefined, tlvs }, rest };
  const size = familyTransport === 0x11 ? 4 : 16;
  const portAt = 2 * size;
  const source = endpoint(block.slice(0, size), (block[portAt]! << 8) | block[portAt + 1]!);
  const destination = endpoint(block.slice(size, 2 * size), (block[portAt + 2]! << 8) | block[portAt + 3]!);
  return { ok: true, header: { version: 2, command: 'PROXY', source, destination, tlvs }, rest };
}

/** §2.2.1: TLVs that fill what follows the addresses exactly; the reason when they do not. */
function parseTlvs(bytes: Uint8Array): ProxyTlv[] | string {
  const tlvs: ProxyTlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 3 > bytes.length) return 'a truncated TLV';
    const length = (bytes[at + 1]! << 8) | bytes[at + 2]!;
    if (at + 3 + length > bytes.length) return 'a TLV longer than the header';
    tlvs.push({ type: bytes[at]!, value: bytes.slice(at + 3, at + 3 + length) });
    at += 3 + length;
  }
  return tlvs;
}

/** An endpoint from address bytes: an IPv4-mapped IPv6 address is written as the IPv4 one, as the socket layer does. */
function endpoint(bytes: Uint8Array, portNumber: number): ProxyEndpoint {
  const address = unmapped({ family: bytes.length === 4 ? 'IPv4' : 'IPv6', bytes });
  return {
    address: address.family === 'IPv4' ? formatIPv4(address.bytes) : formatIPv6(address.bytes),
    port: portNumber,
    family: address.family,
  };
}
