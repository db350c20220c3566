/**
 * Interfaces behind a PROXY protocol relay: headers fed by hand (v1 and v2,
 * whole and a byte at a time, UNKNOWN and LOCAL, malformed ones, none in
 * time), TLS after the header, and a real HAProxy in front with
 * send-proxy and send-proxy-v2.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { raw, startServer, tryParse, waitFor } from '../helpers/http.js';
import { startHaproxy } from '../helpers/peers.js';
import { proxyV2Signature } from '../../src/http/proxy-protocol.js';
import type { Route } from '../../components/request-router.js';

const tlsDir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
const key = readFileSync(`${tlsDir}server-key.pem`);
const cert = readFileSync(`${tlsDir}server.pem`);

/** What the handler sees of the connection. */
const who: Route = {
  path: '/',
  handler: (r) => {
    const c = r.connection;
    return {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        remote: `${c.remoteAddress} ${c.remotePort}`,
        local: `${c.localAddress} ${c.localPort}`,
        family: c.family,
        relay: c.relay ? `${c.relay.address}` : null,
        secure: c.secure,
      }),
    };
  },
};

const get = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

function v2(command: number, family: number, block: Buffer): Buffer {
  const head = Buffer.from([0x20 | command, family, block.length >> 8, block.length & 0xff]);
  return Buffer.concat([proxyV2Signature, head, block]);
}

const ipv4Block = Buffer.from([192, 0, 2, 1, 10, 1, 2, 3, 0x9c, 0x40, 0x01, 0xbb]);

async function relayed(options: { proxyHeaderTimeout?: number } = {}) {
  return startServer({
    routes: [who],
    interfaces: [{ host: '127.0.0.1', port: 0, proxyProtocol: true }],
    ...(options.proxyHeaderTimeout ? { timeouts: { header: options.proxyHeaderTimeout } } : {}),
  });
}

describe('the PROXY protocol, by hand', () => {
  it.each([
    [
      'v1 TCP4',
      Buffer.from('PROXY TCP4 192.0.2.1 10.1.2.3 40000 443\r\n'),
      { remote: '192.0.2.1 40000', local: '10.1.2.3 443', family: 'IPv4', relay: '127.0.0.1' },
    ],
    [
      'v1 TCP6',
      Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 40000 443\r\n'),
      { remote: '2001:db8::1 40000', local: '2001:db8::2 443', family: 'IPv6', relay: '127.0.0.1' },
    ],
    [
      'v1 UNKNOWN',
      Buffer.from('PROXY UNKNOWN\r\n'),
      { remote: expect.stringMatching(/^127\.0\.0\.1 \d+$/), family: 'IPv4', relay: '127.0.0.1' },
    ],
    ['v2 TCP4', v2(1, 0x11, ipv4Block), { remote: '192.0.2.1 40000', local: '10.1.2.3 443', relay: '127.0.0.1' }],
    ['v2 LOCAL', v2(0, 0x00, Buffer.alloc(0)), { remote: expect.stringMatching(/^127\.0\.0\.1 \d+$/), relay: null }],
  ])('%s, whole and a byte at a time', async (_name, header, expected) => {
    const { port } = await relayed();
    for (const pieces of [undefined, 1]) {
      const r = await raw(port, Buffer.concat([header, Buffer.from(get)]), { pieces, responses: 1 });
      expect(r.responses[0]?.status).toBe(200);
      expect(JSON.parse(r.responses[0]!.text)).toMatchObject({ ...expected, secure: false });
    }
  });

  it.each([
    ['no header: a plain request', Buffer.from(get), 'no PROXY header'],
    ['a malformed v1 header', Buffer.from(`PROXY TCP4 192.0.2.1 10.1.2.3 40000\r\n${get}`), 'malformed PROXY v1 header'],
    ['a v1 header with a bare LF', Buffer.from(`PROXY TCP4 192.0.2.1 10.1.2.3 1 2\n${get}`), 'does not end in CRLF'],
    ['a v2 header with a bad family', Buffer.concat([v2(1, 0x51, ipv4Block), Buffer.from(get)]), 'unsupported family'],
    [
      'a v2 header with a bad version',
      Buffer.concat([Buffer.from(v2(1, 0x11, ipv4Block).map((b, i) => (i === 12 ? 0x31 : b))), Buffer.from(get)]),
      'version 3',
    ],
    ['a header cut short by the close', Buffer.from('PROXY TCP4 192.0.2.1'), 'ended inside the PROXY header'],
  ])('%s: closed, answered with nothing, and logged', async (_name, bytes, reason) => {
    const { port, logs } = await relayed();
    const r = await raw(port, bytes, { end: true, timeout: 3_000 });
    expect([r.closed, r.bytes.length]).toEqual([true, 0]);
    await waitFor(() => logs.errors.some((l) => l.message.includes(reason)));
    expect(logs.requests).toEqual([]);
  });

  it('a connection that sends no header in time is closed', async () => {
    const { port, logs } = await relayed({ proxyHeaderTimeout: 300 });
    const started = Date.now();
    const r = await raw(port, '', { timeout: 3_000 });
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(logs.errors.some((l) => l.message.includes('no PROXY header within 300 ms'))).toBe(true);
  });

  it('proxy+https: the header, then TLS; the handler sees the header’s client over a secure connection', async () => {
    const { port } = await startServer({
      routes: [who],
      interfaces: [{ host: '127.0.0.1', port: 0, proxyProtocol: true, tls: { key, cert } }],
    });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('PROXY TCP4 198.51.100.7 10.0.0.1 1234 443\r\n');
    const secure = tls.connect({ socket, rejectUnauthorized: false });
    await once(secure, 'secureConnect');
    const chunks: Buffer[] = [];
    secure.on('data', (c: Buffer) => chunks.push(c));
    secure.write(get);
    await once(secure, 'close');
    const [r] = tryParse(Buffer.concat(chunks), [], true).responses;
    expect(JSON.parse(r!.text)).toMatchObject({ remote: '198.51.100.7 1234', local: '10.0.0.1 443', relay: '127.0.0.1', secure: true });
  });
});

describe('a real HAProxy in front', () => {
  it.each(['send-proxy', 'send-proxy-v2'])('with %s, the handler sees the client HAProxy saw', async (mode) => {
    const { port } = await relayed();
    const haproxy = await startHaproxy(`
frontend in
  bind 127.0.0.1:{port}
  default_backend boxwire
backend boxwire
  server s1 127.0.0.1:${port} ${mode}
`);
    // The client comes from 127.0.0.2 (all of 127/8 is this machine), HAProxy from 127.0.0.1.
    const socket = net.connect({ port: haproxy.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    await once(socket, 'connect');
    const localPort = socket.localPort;
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write(get);
    await once(socket, 'close');
    const [r] = tryParse(Buffer.concat(chunks), [], true).responses;
    expect(r?.status).toBe(200);
    expect(JSON.parse(r!.text)).toMatchObject({ remote: `127.0.0.2 ${localPort}`, local: `127.0.0.1 ${haproxy.port}`, relay: '127.0.0.1' });
  });
});
