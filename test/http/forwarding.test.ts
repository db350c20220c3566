/**
 * What the proxy changes in the messages it forwards, and what a server
 * behind trusted proxies believes of them (src/http/forwarding.ts,
 * src/http/ip-address.ts, components/trust-proxy.ts), as tables.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../../src/core/connection-info.js';
import {
  downstreamResponseFields,
  forwardedHops,
  resolveForwardedClient,
  upstreamRequestHead,
  upstreamTarget,
  xForwardedHops,
} from '../../src/http/forwarding.js';
import { HeaderMap } from '../../src/http/headers.js';
import { formatIPv6, inRange, parseIp, parseIPv4, parseIPv6, parseIpRange } from '../../src/http/ip-address.js';
import { makeRequest, type HttpRequest } from '../../src/http/messages.js';
import { parseRequestHead } from '../../src/http/parse-head.js';
import { RequestBody } from '../../src/http/request-body.js';
import { resolveTrustProxy, trustedRequest, type ResolvedTrustProxy } from '../../components/trust-proxy.js';

const trustOf = (given: unknown): ResolvedTrustProxy => resolveTrustProxy(given) as ResolvedTrustProxy;

function connection(remoteAddress: string, secure = false): ConnectionInfo {
  return { id: 1, remoteAddress, remotePort: 5555, localAddress: '10.9.9.9', localPort: 443, family: 'IPv4', secure };
}

/** A request parsed from its head, as the parser makes them, with the router's mount. */
function request(head: string, from = connection('203.0.113.9'), mount = ''): HttpRequest {
  const parsed = parseRequestHead(head.replace(/\n+$/, '').replace(/\n/g, '\r\n'), { maxHeaders: 100, maxBody: 1e9 });
  if (!parsed.ok) throw new Error(parsed.reason);
  const body =
    parsed.head.framing.kind === 'none'
      ? undefined
      : new RequestBody(parsed.head.framing.kind === 'length' ? parsed.head.framing.length : undefined);
  const r = makeRequest(0, parsed.head, from, body);
  r.mount = mount;
  return r;
}

/** The fields of a head written by upstreamRequestHead, as [name, value] pairs after its request line. */
function fieldsOf(text: string): [string, string][] {
  expect(text.endsWith('\r\n\r\n')).toBe(true);
  return text
    .slice(0, -4)
    .split('\r\n')
    .slice(1)
    .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]);
}

const forwarding = { xForwarded: true, forwarded: true };

describe('IP addresses', () => {
  it.each([
    ['192.0.2.1', [192, 0, 2, 1]],
    ['0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', [255, 255, 255, 255]],
  ])('IPv4 %s', (text, bytes) => expect([...parseIPv4(text)!]).toEqual(bytes));

  it.each(['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', 'a.b.c.d', ''])('not IPv4: %j', (text) =>
    expect(parseIPv4(text)).toBeUndefined(),
  );

  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1::', '1::'],
  ])('IPv6 %s is %s in RFC 5952 form', (text, canonical) => expect(formatIPv6(parseIPv6(text)!)).toBe(canonical));

  it.each([
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':1::',
    '1:2:3:4:5:6:7:8::',
    '12345::',
    'g::1',
    '1.2.3.4::',
    '::1.2.3',
    'fe80::1%eth0',
  ])('not IPv6: %j', (text) => expect(parseIPv6(text)).toBeUndefined());

  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['192.168.1.130', '192.168.1.128/25', true],
    ['192.168.1.127', '192.168.1.128/25', false],
    ['192.0.2.1', '192.0.2.1', true],
    ['192.0.2.2', '192.0.2.1', false],
    ['8.8.8.8', '0.0.0.0/0', true],
    ['::ffff:10.0.0.1', '10.0.0.0/8', true],
    ['2001:db8::5', '2001:db8::/32', true],
    ['2001:db9::5', '2001:db8::/32', false],
    ['10.0.0.1', '::/0', false],
  ])('%s in %s: %s', (address, range, expected) => expect(inRange(parseIp(address)!, parseIpRange(range)!)).toBe(expected));

  it.each(['10.0.0.1/8', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/08', 'x/8', ''])('not a range: %j', (text) =>
    expect(parseIpRange(text)).toBeUndefined(),
  );
});

describe('the request sent upstream', () => {
  it('drops hop-by-hop fields and those Connection names, sets Host, forwarding fields, Via and framing', () => {
    const r = request(
      'POST /api/x?q=1 HTTP/1.1\nHost: example.com\nConnection: keep-alive, X-Secret\nKeep-Alive: timeout=5\nX-Secret: s\nUpgrade: websocket\nProxy-Authorization: Basic x\nTE: gzip\nTransfer-Encoding: chunked\nAccept: */*\nX-Forwarded-For: 6.6.6.6\nForwarded: for=6.6.6.6\nVia: 1.0 elsewhere\n\n',
      connection('203.0.113.9'),
      '/api',
    );
    const head = upstreamRequestHead(r, {
      target: upstreamTarget(r, '/v1', false),
      host: 'example.com',
      via: 'boxwire',
      forwarding,
      framing: 'chunked',
    });
    expect(head.startsWith('POST /v1/x?q=1 HTTP/1.1\r\n')).toBe(true);
    expect(fieldsOf(head)).toEqual([
      ['Host', 'example.com'],
      ['accept', '*/*'],
      // An untrusted client's forwarding fields are replaced, not appended to.
      ['X-Forwarded-For', '203.0.113.9'],
      ['X-Forwarded-Proto', 'http'],
      ['X-Forwarded-Host', 'example.com'],
      ['Forwarded', 'for=203.0.113.9;host=example.com;proto=http'],
      ['Via', '1.0 elsewhere, 1.1 boxwire'],
      ['Transfer-Encoding', 'chunked'],
    ]);
  });

  it('appends to the forwarding fields of a trusted proxy, which the trusted-proxy stage resolved', () => {
    const trust = trustOf(['10.0.0.0/8']);
    const r = trustedRequest(
      request(
        'GET /x HTTP/1.0\nHost: shop.example:8080\nX-Forwarded-For: 198.51.100.7, 10.0.0.2\nX-Forwarded-Proto: https\nX-Forwarded-Host: shop.example\nForwarded: for=198.51.100.7;proto=https\n\n',
        connection('10.0.0.3'),
      ),
      trust,
    );
    expect(r.connection).toMatchObject({ remoteAddress: '198.51.100.7', secure: true, peer: { remoteAddress: '10.0.0.3' } });
    const fields = Object.fromEntries(
      fieldsOf(upstreamRequestHead(r, { target: '/x', host: 'shop.example:8080', via: 'boxwire', forwarding, framing: undefined })),
    );
    expect(fields).toMatchObject({
      'X-Forwarded-For': '198.51.100.7, 10.0.0.2, 10.0.0.3',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'shop.example',
      Forwarded: 'for=198.51.100.7;proto=https, for=10.0.0.3;host="shop.example:8080";proto=http',
      Via: '1.0 boxwire',
    });
  });

  it('writes an IPv6 peer in brackets and quotes in Forwarded, and can leave the fields out', () => {
    const v6 = { ...connection('2001:db8::7'), family: 'IPv6' as const };
    const r = request('GET / HTTP/1.1\nHost: h\nX-Forwarded-For: 1.1.1.1\nTE: trailers\n\n', v6);
    const fields = Object.fromEntries(fieldsOf(upstreamRequestHead(r, { target: '/', host: 'h', via: false, forwarding, framing: 0 })));
    expect(fields).toMatchObject({
      Forwarded: 'for="[2001:db8::7]";host=h;proto=http',
      'X-Forwarded-For': '2001:db8::7',
      TE: 'trailers',
      'Content-Length': '0',
    });
    const none = fieldsOf(
      upstreamRequestHead(r, {
        target: '/',
        host: 'h',
        via: false,
        forwarding: { xForwarded: false, forwarded: false },
        framing: undefined,
      }),
    );
    expect(none.map(([name]) => name.toLowerCase())).toEqual(['host', 'te', 'connection']);
  });

  it.each([
    ['/api/x', '/api', '/v1', false, '/v1/x'],
    ['/api/x', '/api', '/v1/', false, '/v1/x'],
    ['/api', '/api', '/v1/', false, '/v1/'],
    ['/api', '/api', '', false, '/'],
    ['/api/', '/api', '', false, '/'],
    ['/api/x', '/api', '', true, '/api/x'],
    ['/api/x', '/api', '/base', true, '/base/api/x'],
    ['/api/caf%C3%A9?a=%20', '/api', '', false, '/caf%C3%A9?a=%20'],
    ['/x/y', '', '/up', false, '/up/x/y'],
    // Not in normal form: the path the route matched is sent, encoded again, never the raw dots.
    ['/api/a/../b', '/api', '/v1', false, '/v1/b'],
    ['/api//b', '/api', '/v1', false, '/v1/b'],
    ['/api/a/./b%20c', '/api', '/v1', false, '/v1/a/b%20c'],
  ])('%s under mount %j to base %j (keep prefix %s): %s', (target, mount, base, keep, expected) => {
    const r = request(`GET ${target} HTTP/1.1\nHost: h\n\n`, connection('1.2.3.4'), mount);
    expect(upstreamTarget(r, base, keep)).toBe(expected);
  });
});

describe('the response passed back', () => {
  it('drops hop-by-hop fields and those Connection names, keeps the rest, adds Via', () => {
    const headers = new HeaderMap([
      ['Content-Type', 'text/plain'],
      ['Connection', 'close, X-Internal'],
      ['X-Internal', 'secret'],
      ['Keep-Alive', 'timeout=5'],
      ['Transfer-Encoding', 'chunked'],
      ['Proxy-Authenticate', 'Basic'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Content-Length', '5'],
    ]);
    expect([...downstreamResponseFields(headers, 'HTTP/1.0', 'boxwire')]).toEqual([
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Content-Length', '5'],
      ['Via', '1.0 boxwire'],
    ]);
  });
});

describe('the client behind trusted proxies', () => {
  const trusted = (address: string): boolean => address.startsWith('10.');
  const xff = (value: string, proto?: string): HeaderMap =>
    new HeaderMap([['X-Forwarded-For', value], ...(proto ? ([['X-Forwarded-Proto', proto]] as [string, string][]) : [])]);

  it.each([
    ['one hop', '198.51.100.7', undefined, { address: '198.51.100.7', port: 0, secure: undefined }],
    ['the rightmost untrusted', '6.6.6.6, 198.51.100.7, 10.0.0.2', undefined, { address: '198.51.100.7', port: 0, secure: undefined }],
    ['every hop trusted: the leftmost', '10.0.0.9, 10.0.0.2', 'https', { address: '10.0.0.9', port: 0, secure: true }],
    ['with a port', '198.51.100.7:4711', 'http', { address: '198.51.100.7', port: 4711, secure: false }],
    ['IPv6 in brackets with a port', '[2001:DB8::1]:80', undefined, { address: '2001:db8::1', port: 80, secure: undefined }],
    ['bare IPv6', '2001:db8::1', undefined, { address: '2001:db8::1', port: 0, secure: undefined }],
    [
      'garbage left of the client is never reached',
      'lies, 198.51.100.7',
      undefined,
      { address: '198.51.100.7', port: 0, secure: undefined },
    ],
    [
      'garbage where the client should be: the last trusted hop',
      '<script>, 10.0.0.2',
      undefined,
      { address: '10.0.0.2', port: 0, secure: undefined },
    ],
    ['a proto per hop, lined up', '198.51.100.7, 10.0.0.2', 'https, http', { address: '198.51.100.7', port: 0, secure: true }],
    [
      'protos that do not line up say nothing',
      '198.51.100.7, 10.0.0.2, 10.0.0.3',
      'https, http',
      { address: '198.51.100.7', port: 0, secure: undefined },
    ],
  ])('X-Forwarded-For: %s', (_name, value, proto, expected) =>
    expect(resolveForwardedClient(xForwardedHops(xff(value, proto)), trusted)).toEqual(expected),
  );

  it.each([
    ['for=198.51.100.7;proto=https', { address: '198.51.100.7', port: 0, secure: true }],
    ['for="[2001:db8:cafe::17]:4711"', { address: '2001:db8:cafe::17', port: 4711, secure: undefined }],
    ['for=6.6.6.6, For="198.51.100.7";Proto=http, for=10.0.0.2', { address: '198.51.100.7', port: 0, secure: false }],
    ['for=unknown, for=10.0.0.2', { address: '10.0.0.2', port: 0, secure: undefined }],
    ['for=_hidden;by=10.0.0.1', undefined],
    ['by=10.0.0.1', undefined],
  ])('Forwarded: %s', (value, expected) =>
    expect(resolveForwardedClient(forwardedHops(new HeaderMap([['Forwarded', value]])), trusted)).toEqual(expected),
  );

  it('an untrusted peer changes nothing; a trusted one without forwarding fields changes nothing either', () => {
    const trust = trustOf(['loopback', '10.0.0.0/8']);
    const fromAnyone = request(
      'GET / HTTP/1.1\nHost: h\nX-Forwarded-For: 1.2.3.4\nX-Forwarded-Proto: https\n\n',
      connection('203.0.113.9'),
    );
    expect(trustedRequest(fromAnyone, trust)).toBe(fromAnyone);
    const plain = request('GET / HTTP/1.1\nHost: h\n\n', connection('127.0.0.1'));
    expect(trustedRequest(plain, trust)).toBe(plain);
  });

  it('a TLS terminator that says only the scheme: the peer stays the client, the scheme is believed', () => {
    const trust = trustOf(['::1']);
    const r = trustedRequest(request('GET / HTTP/1.1\nHost: h\nX-Forwarded-Proto: HTTPS\n\n', connection('::1')), trust);
    expect(r.connection).toMatchObject({ remoteAddress: '::1', remotePort: 5555, secure: true, localPort: 443 });
  });

  it('reads only the field it was told to: Forwarded, when the proxies in front set that', () => {
    const trust = trustOf({ addresses: ['10.0.0.0/8'], header: 'forwarded' });
    const r = trustedRequest(
      request('GET / HTTP/1.1\nHost: h\nX-Forwarded-For: 6.6.6.6\nForwarded: for=198.51.100.7\n\n', connection('10.1.1.1', true)),
      trust,
    );
    expect(r.connection).toMatchObject({ remoteAddress: '198.51.100.7', secure: true, peerCertificate: undefined });
  });

  it.each([
    [['10.0.0.1/8'], /no bits set past the prefix/],
    [['nonsense'], /CIDR/],
    [[42], /CIDR/],
    ['10.0.0.0/8', /CIDR/],
    [{ addresses: ['::1'], header: 'x-real-ip' }, /x-forwarded-for/],
    [{ addresses: ['::1'], extra: 1 }, /unknown option "trustProxy.extra"/],
  ])('refuses trustProxy %j', (given, message) => expect(() => resolveTrustProxy(given)).toThrow(message));
});
