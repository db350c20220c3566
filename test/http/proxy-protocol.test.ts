/**
 * The PROXY protocol header parser (src/http/proxy-protocol.ts), table
 * tested: every case fed whole and a byte at a time, with the client's
 * first bytes after the header kept for the protocol behind it.
 */
import { describe, expect, it } from 'vitest';
import { ProxyHeaderParser, proxyV2Signature, type ProxyParse } from '../../src/http/proxy-protocol.js';

const after = Buffer.from('GET / HTTP/1.1\r\n');

/** Feeds `bytes` whole, then a byte at a time; both must agree, and the byte-at-a-time one must decide no later than the whole one. */
function parse(bytes: Buffer): ProxyParse | undefined {
  const whole = new ProxyHeaderParser().push(bytes);
  const parser = new ProxyHeaderParser();
  let bytewise: ProxyParse | undefined;
  let rest: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const outcome = parser.push(bytes.subarray(i, i + 1));
    if (outcome && !bytewise) {
      bytewise = outcome;
      // What follows the byte that decided it is the client's, as the socket would hand it on.
      if (outcome.ok) rest = [Buffer.from(outcome.rest), bytes.subarray(i + 1)];
    }
  }
  expect(bytewise?.ok).toBe(whole?.ok);
  if (whole?.ok && bytewise?.ok) {
    expect(bytewise.header).toEqual(whole.header);
    expect(Buffer.concat(rest)).toEqual(Buffer.from(whole.rest));
  }
  if (whole && !whole.ok && bytewise && !bytewise.ok) expect(bytewise.reason).toBe(whole.reason);
  return whole;
}

function v2(command: number, family: number, block: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = family;
  head.writeUInt16BE(block.length, 2);
  return Buffer.concat([proxyV2Signature, head, block]);
}

function ipv4Block(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  b.set(src, 0);
  b.set(dst, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

describe('PROXY protocol v1', () => {
  it.each([
    [
      'TCP4',
      'PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n',
      { address: '192.0.2.1', port: 56324, family: 'IPv4' },
      { address: '198.51.100.2', port: 443, family: 'IPv4' },
    ],
    [
      'TCP6',
      'PROXY TCP6 2001:db8::1 2001:db8:0:0:0:0:0:2 65535 0\r\n',
      { address: '2001:db8::1', port: 65535, family: 'IPv6' },
      { address: '2001:db8::2', port: 0, family: 'IPv6' },
    ],
    [
      'TCP6 with a mapped IPv4 address',
      'PROXY TCP6 ::ffff:192.0.2.7 ::1 1 2\r\n',
      { address: '192.0.2.7', port: 1, family: 'IPv4' },
      { address: '::1', port: 2, family: 'IPv6' },
    ],
  ])('%s', (_name, line, source, destination) => {
    const result = parse(Buffer.concat([Buffer.from(line), after]));
    expect(result).toMatchObject({ ok: true, header: { version: 1, command: 'PROXY', source, destination, tlvs: [] } });
    expect(Buffer.from((result as { rest: Uint8Array }).rest)).toEqual(after);
  });

  it.each([
    ['bare', 'PROXY UNKNOWN\r\n'],
    ['with addresses, which are ignored', 'PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'],
    ['of the full 107 bytes', `PROXY UNKNOWN ${'x'.repeat(107 - 16)}\r\n`],
  ])('UNKNOWN %s: the connection’s own addresses stand', (_name, line) => {
    expect(line.length).toBeLessThanOrEqual(107);
    expect(parse(Buffer.concat([Buffer.from(line), after]))).toMatchObject({
      ok: true,
      header: { version: 1, source: undefined, destination: undefined },
    });
  });

  it.each([
    ['no header at all', 'GET / HTTP/1.1\r\n\r\n', 'no PROXY header'],
    ['lower case', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'no PROXY header'],
    ['no space after PROXY', 'PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'does not begin'],
    ['an unknown protocol', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', 'unknown protocol'],
    ['two spaces', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n', 'single spaces'],
    ['a missing port', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', 'single spaces'],
    ['a trailing space', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', 'single spaces'],
    ['an IPv6 address under TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n', 'not an IPv4 address'],
    ['an IPv4 address under TCP6', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n', 'not an IPv6 address'],
    ['an octet over 255', 'PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n', 'not an IPv4 address'],
    ['a leading zero in an octet', 'PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n', 'not an IPv4 address'],
    ['a port over 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', 'not 0-65535'],
    ['a port with a leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', 'not 0-65535'],
    ['a bare LF', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', 'does not end in CRLF'],
    ['a CR inside', 'PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n', 'control character'],
    ['a NUL inside', 'PROXY TCP4 1.2.3.4\x005.6.7.8 1 2\r\n', 'control character'],
    ['over 107 bytes', `PROXY UNKNOWN ${'x'.repeat(107)}\r\n`, 'longer than 107'],
  ])('refuses %s', (_name, text, reason) => {
    const result = parse(Buffer.from(text, 'latin1'));
    expect(result?.ok).toBe(false);
    expect((result as { reason: string }).reason).toContain(reason);
  });

  it('refuses garbage at its first byte, and a wrong prefix as soon as it differs', () => {
    expect(new ProxyHeaderParser().push(Buffer.from('G'))).toMatchObject({ ok: false });
    const parser = new ProxyHeaderParser();
    expect(parser.push(Buffer.from('PRO'))).toBeUndefined();
    expect(parser.push(Buffer.from('Z'))).toMatchObject({ ok: false });
  });

  it('waits for a header cut short, and refuses it when the connection ends', () => {
    const parser = new ProxyHeaderParser();
    expect(parser.push(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2'))).toBeUndefined();
    expect(parser.end()).toMatchObject({ ok: false, reason: expect.stringContaining('ended inside') });
  });
});

describe('PROXY protocol v2', () => {
  it('TCP over IPv4, with TLVs kept and the client’s bytes after', () => {
    const tlv = Buffer.from([0x02, 0x00, 0x0b, ...Buffer.from('example.com')]);
    const result = parse(Buffer.concat([v2(1, 0x11, Buffer.concat([ipv4Block([192, 0, 2, 1], [10, 0, 0, 1], 40000, 8443), tlv])), after]));
    expect(result).toMatchObject({
      ok: true,
      header: {
        version: 2,
        command: 'PROXY',
        source: { address: '192.0.2.1', port: 40000, family: 'IPv4' },
        destination: { address: '10.0.0.1', port: 8443, family: 'IPv4' },
      },
    });
    const header = (result as unknown as { header: { tlvs: { type: number; value: Uint8Array }[] } }).header;
    expect(header.tlvs.map((t) => [t.type, Buffer.from(t.value).toString()])).toEqual([[2, 'example.com']]);
    expect(Buffer.from((result as { rest: Uint8Array }).rest)).toEqual(after);
  });

  it('TCP over IPv6, written in RFC 5952 form', () => {
    const block = Buffer.alloc(36);
    block.set([0x20, 0x01, 0x0d, 0xb8], 0);
    block[15] = 1;
    block.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1], 16);
    block[31] = 2;
    block.writeUInt16BE(1234, 32);
    block.writeUInt16BE(80, 34);
    expect(parse(v2(1, 0x21, block))).toMatchObject({
      ok: true,
      header: {
        source: { address: '2001:db8::1', port: 1234, family: 'IPv6' },
        destination: { address: '2001:db8:0:1::2', port: 80, family: 'IPv6' },
      },
    });
  });

  it.each([
    ['LOCAL (a health check from the proxy itself)', v2(0, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), 'LOCAL'],
    ['LOCAL with no block', v2(0, 0x00, Buffer.alloc(0)), 'LOCAL'],
    ['PROXY over UNSPEC', v2(1, 0x00, Buffer.alloc(0)), 'PROXY'],
    ['PROXY over a Unix socket', v2(1, 0x31, Buffer.alloc(216)), 'PROXY'],
  ])('%s: no addresses, the connection’s own stand', (_name, bytes, command) => {
    expect(parse(Buffer.concat([bytes, after]))).toMatchObject({ ok: true, header: { version: 2, command, source: undefined } });
  });

  it.each([
    [
      'a bad signature',
      Buffer.concat([Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x55]), Buffer.alloc(8)]),
      'signature',
    ],
    [
      'version 1 in the binary form',
      (() => {
        const b = v2(1, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
        b[12] = 0x11;
        return b;
      })(),
      'version 1 is not 2',
    ],
    [
      'an unknown command',
      (() => {
        const b = v2(1, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
        b[12] = 0x22;
        return b;
      })(),
      'unknown command',
    ],
    ['UDP over IPv4', v2(1, 0x12, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), 'unsupported family'],
    ['an unknown family', v2(1, 0x41, Buffer.alloc(12)), 'unsupported family'],
    ['a block too short for IPv4 addresses', v2(1, 0x11, Buffer.alloc(11)), 'cannot hold'],
    ['a block too short for IPv6 addresses', v2(1, 0x21, Buffer.alloc(12)), 'cannot hold'],
    ['a truncated TLV', v2(1, 0x11, Buffer.concat([ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), Buffer.from([1, 0])])), 'truncated TLV'],
    [
      'a TLV longer than the header',
      v2(1, 0x11, Buffer.concat([ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), Buffer.from([1, 0, 9, 1])])),
      'longer than the header',
    ],
  ])('refuses %s', (_name, bytes, reason) => {
    const result = parse(bytes);
    expect(result?.ok).toBe(false);
    expect((result as { reason: string }).reason).toContain(reason);
  });

  it('waits for the whole block its length announces', () => {
    const bytes = v2(1, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
    const parser = new ProxyHeaderParser();
    expect(parser.push(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(parser.push(bytes.subarray(bytes.length - 1))).toMatchObject({ ok: true });
  });
});
