/** The WebSocket opening handshake (RFC 6455 §4.2) and permessage-deflate negotiation (RFC 7692 §7), as tables. */
import { describe, expect, it } from 'vitest';
import { negotiateDeflate, parseExtensions, type DeflatePolicy } from '../../src/http/websocket-extensions.js';
import { acceptKey, checkHandshake, type HandshakePolicy } from '../../src/http/websocket-handshake.js';
import { fakeRequest } from '../helpers/requests.js';
import { sampleAccept, sampleKey } from '../helpers/websocket.js';

const policy: HandshakePolicy = { protocols: undefined, origins: 'same-origin', deflate: false };
const upgrade = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': sampleKey, 'sec-websocket-version': '13' };

function check(
  headers: Record<string, string>,
  options: Partial<HandshakePolicy> = {},
  method = 'GET',
  version: 'HTTP/1.1' | 'HTTP/1.0' = 'HTTP/1.1',
) {
  const fields = Object.fromEntries(Object.entries({ ...upgrade, ...headers }).filter(([, v]) => v !== ''));
  const request = { ...fakeRequest('/ws', fields, method), version, keepAlive: !/close/i.test(fields.connection ?? '') };
  return checkHandshake(request, { ...policy, ...options });
}

describe('the opening handshake', () => {
  it('accepts the RFC example with its accept key (§1.3)', () => {
    expect(acceptKey(sampleKey)).toBe(sampleAccept);
    const result = check({});
    expect(result).toEqual({
      ok: true,
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Accept': sampleAccept },
      protocol: undefined,
      deflate: undefined,
    });
  });

  it('takes Upgrade and Connection tokens in any case, among others', () => {
    expect(check({ upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' }).ok).toBe(true);
  });

  const refusals: [string, Record<string, string>, number, Record<string, string>?, string?, ('HTTP/1.0' | 'HTTP/1.1')?][] = [
    ['no Upgrade: a plain request to the endpoint', { upgrade: '' }, 426, { Upgrade: 'websocket' }],
    ['an Upgrade to something else', { upgrade: 'h2c' }, 426, { Upgrade: 'websocket' }],
    ['a POST', {}, 400, {}, 'POST'],
    ['HTTP/1.0', {}, 400, {}, 'GET', 'HTTP/1.0'],
    ['no "upgrade" in Connection', { connection: 'keep-alive' }, 400],
    ['"close" beside "upgrade" in Connection', { connection: 'Upgrade, close' }, 400],
    ['version 8', { 'sec-websocket-version': '8' }, 426, { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' }],
    ['no version', { 'sec-websocket-version': '' }, 426, { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' }],
    ['no key', { 'sec-websocket-key': '' }, 400],
    ['a key of 15 bytes', { 'sec-websocket-key': Buffer.alloc(15).toString('base64') }, 400],
    ['a key of 17 bytes', { 'sec-websocket-key': Buffer.alloc(17).toString('base64') }, 400],
    ['a key that is not base64', { 'sec-websocket-key': '!!!!!!!!!!!!!!!!!!!!!!==' }, 400],
    ['a subprotocol that is not a token', { 'sec-websocket-protocol': 'chat, a b' }, 400],
  ];
  for (const [name, headers, status, fields, method, version] of refusals) {
    it(`refuses ${name}: ${status}`, () => {
      const result = check(headers, {}, method, version);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.status).toBe(status);
      expect(result.headers).toEqual(fields ?? {});
      expect(result.reason).not.toBe('');
    });
  }

  it('refuses two keys', () => {
    const request = fakeRequest('/ws', upgrade);
    request.headers.append('Sec-WebSocket-Key', sampleKey);
    expect(checkHandshake(request, policy)).toMatchObject({ ok: false, status: 400 });
  });

  describe('the origin check (§10.2)', () => {
    const cases: [string, string | undefined, HandshakePolicy['origins'], boolean][] = [
      ['a page of this host (same-origin, the default)', 'http://x', 'same-origin', true],
      ['the same host over https, behind a proxy that ends TLS', 'https://x', 'same-origin', true],
      ['another host', 'http://evil.example', 'same-origin', false],
      ['another port', 'http://x:8080', 'same-origin', false],
      ['the "null" origin', 'null', 'same-origin', false],
      ['no Origin at all (not a browser)', undefined, 'same-origin', true],
      ['any origin under "*"', 'http://evil.example', '*', true],
      ['a listed origin, in any case', 'HTTPS://Example.com', ['https://example.com'], true],
      ['an origin not listed', 'https://other.com', ['https://example.com'], false],
      ['a function saying yes', 'https://a.com', (origin) => origin.endsWith('a.com'), true],
      ['a function saying no', 'https://b.com', (origin) => origin.endsWith('a.com'), false],
    ];
    for (const [name, origin, origins, allowed] of cases) {
      it(`${allowed ? 'lets in' : 'refuses (403)'} ${name}`, () => {
        const result = check(origin === undefined ? {} : { origin }, { origins });
        expect(result.ok ? 'ok' : result.status).toBe(allowed ? 'ok' : 403);
      });
    }
    it("compares host and port with Host, the scheme's default port when none is named", () => {
      const request = { ...fakeRequest('/ws', { ...upgrade, origin: 'https://site.example' }), host: 'site.example', hostPort: 443 };
      expect(checkHandshake(request, policy).ok).toBe(true);
      const other = { ...fakeRequest('/ws', { ...upgrade, origin: 'http://site.example:81' }), host: 'site.example', hostPort: 81 };
      expect(checkHandshake(other, policy).ok).toBe(true);
    });
  });

  describe('subprotocols (§4.2.2)', () => {
    it("picks the route's best that the client offered", () => {
      const result = check({ 'sec-websocket-protocol': 'v1.chat, v2.chat' }, { protocols: ['v2.chat', 'v1.chat'] });
      expect(result).toMatchObject({ ok: true, protocol: 'v2.chat', headers: { 'Sec-WebSocket-Protocol': 'v2.chat' } });
    });
    it('names none when none is spoken (the client decides)', () => {
      const result = check({ 'sec-websocket-protocol': 'mqtt' }, { protocols: ['chat'] });
      expect(result).toMatchObject({ ok: true, protocol: undefined });
      expect(result.ok && 'Sec-WebSocket-Protocol' in result.headers).toBe(false);
    });
    it('lets a function choose, and refuses a choice that was not offered', () => {
      expect(check({ 'sec-websocket-protocol': 'a, b' }, { protocols: (offered) => offered.at(-1) })).toMatchObject({ protocol: 'b' });
      expect(() => check({ 'sec-websocket-protocol': 'a' }, { protocols: () => 'z' })).toThrow(TypeError);
    });
  });

  describe('extensions', () => {
    const deflate: DeflatePolicy = {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    it('agrees permessage-deflate when the route allows it', () => {
      const result = check({ 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' }, { deflate });
      expect(result).toMatchObject({ ok: true, headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
    });
    it('ignores the offer when the route does not', () => {
      const result = check({ 'sec-websocket-extensions': 'permessage-deflate' });
      expect(result).toMatchObject({ ok: true, deflate: undefined });
    });
    it('refuses an extension list that breaks its grammar (400)', () => {
      expect(check({ 'sec-websocket-extensions': 'permessage-deflate; =1' }, { deflate })).toMatchObject({ ok: false, status: 400 });
    });
  });
});

describe('Sec-WebSocket-Extensions', () => {
  const parses: [string, unknown][] = [
    ['', []],
    ['permessage-deflate', [{ name: 'permessage-deflate', params: [] }]],
    [
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-webkit-deflate-frame',
      [
        {
          name: 'permessage-deflate',
          params: [
            ['client_max_window_bits', undefined],
            ['server_max_window_bits', '10'],
          ],
        },
        { name: 'x-webkit-deflate-frame', params: [] },
      ],
    ],
    [
      'foo; bar="baz" , qux',
      [
        { name: 'foo', params: [['bar', 'baz']] },
        { name: 'qux', params: [] },
      ],
    ],
    [
      'a,,b,',
      [
        { name: 'a', params: [] },
        { name: 'b', params: [] },
      ],
    ],
    ['foo; bar="a b"', undefined],
    ['foo; bar="unterminated', undefined],
    ['foo bar', undefined],
    ['; foo', undefined],
    ['foo;', undefined],
  ];
  for (const [value, expected] of parses) {
    it(`parses ${JSON.stringify(value)}`, () => expect(parseExtensions(value)).toEqual(expected));
  }

  const policy: DeflatePolicy = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const negotiations: [string, Partial<DeflatePolicy>, string | undefined, { server?: number; client?: number }?][] = [
    ['permessage-deflate', {}, 'permessage-deflate', { server: 15, client: 15 }],
    ['permessage-deflate; client_max_window_bits', {}, 'permessage-deflate', { client: 15 }],
    [
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=10',
      { client: 10 },
    ],
    ['permessage-deflate; client_max_window_bits=12', {}, 'permessage-deflate', { client: 12 }],
    ['permessage-deflate', { clientMaxWindowBits: 10 }, 'permessage-deflate', { client: 15 }],
    ['permessage-deflate; server_max_window_bits=10', {}, 'permessage-deflate; server_max_window_bits=10', { server: 10 }],
    [
      'permessage-deflate; server_max_window_bits=12',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=10',
      { server: 10 },
    ],
    ['permessage-deflate; server_no_context_takeover', {}, 'permessage-deflate; server_no_context_takeover'],
    ['permessage-deflate; client_no_context_takeover', {}, 'permessage-deflate; client_no_context_takeover'],
    ['permessage-deflate', { clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover'],
    ['permessage-deflate', { serverNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover'],
    ['permessage-deflate; server_max_window_bits="11"', {}, 'permessage-deflate; server_max_window_bits=11'],
    // Declined offers (§5.1): the next one is taken, or none.
    ['permessage-deflate; server_max_window_bits=8, permessage-deflate', {}, 'permessage-deflate'],
    ['permessage-deflate; server_max_window_bits', {}, undefined],
    ['permessage-deflate; server_max_window_bits=16', {}, undefined],
    ['permessage-deflate; client_max_window_bits=08', {}, undefined],
    ['permessage-deflate; server_no_context_takeover=1', {}, undefined],
    ['permessage-deflate; unknown_param', {}, undefined],
    ['permessage-deflate; client_no_context_takeover; client_no_context_takeover', {}, undefined],
    ['x-webkit-deflate-frame', {}, undefined],
  ];
  for (const [offer, changes, response, windows] of negotiations) {
    it(`answers ${JSON.stringify(offer)}${Object.keys(changes).length ? ` under ${JSON.stringify(changes)}` : ''} with ${JSON.stringify(response)}`, () => {
      const agreed = negotiateDeflate(parseExtensions(offer)!, { ...policy, ...changes });
      expect(agreed?.response).toBe(response);
      if (windows?.server) expect(agreed?.serverWindowBits).toBe(windows.server);
      if (windows?.client) expect(agreed?.clientWindowBits).toBe(windows.client);
    });
  }
});
