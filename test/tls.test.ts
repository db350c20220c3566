/**
 * Interfaces and TLS (issue 8): IPv4 and IPv6 at once, TLS with the test
 * certificates under test/fixtures/tls, client certificates required,
 * optional, accepted and refused, and what handlers, CGI and WSGI see.
 */
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommand } from './helpers/cli.js';
import { request, startServer, waitFor } from './helpers/http.js';
import { CliError, parseArgs } from '../src/cli/args.js';
import { flags } from '../src/cli/flags.js';
import { withInterfaces } from '../src/cli/flags-listen.js';
import type { HttpRequest } from '../src/http/messages.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/tls/${name}`, import.meta.url));
const pem = (name: string) => readFileSync(fixture(name));
const serverTls = { key: pem('server-key.pem'), cert: pem('server.pem') };

const whoami = {
  path: '/whoami',
  handler: (r: HttpRequest) => ({
    body: JSON.stringify({
      secure: r.connection.secure,
      cn: r.connection.peerCertificate?.subject.CN ?? null,
      family: r.connection.family,
      local: r.connection.localAddress,
    }),
  }),
};

function get(port: number, options: https.RequestOptions & { path?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/whoami', ca: pem('ca.pem'), servername: 'localhost', agent: false, ...options },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function hasIPv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

describe('interfaces', () => {
  it('listens on IPv4 and IPv6 at once', async () => {
    const ipv6 = await hasIPv6Loopback();
    expect(ipv6, 'this machine has no ::1').toBe(true);
    const { server } = await startServer({
      interfaces: [
        { host: '127.0.0.1', port: 0 },
        { host: '::1', port: 0 },
      ],
      routes: [whoami],
    });
    const [v4, v6] = server.addresses;
    expect([v4!.family, v6!.family]).toEqual(['IPv4', 'IPv6']);
    const socket = net.connect(v6!.port, '::1');
    await once(socket, 'connect');
    let text = '';
    socket.on('data', (c: Buffer) => (text += c));
    socket.end('GET /whoami HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n');
    await once(socket, 'close');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ family: 'IPv6', local: '::1', secure: false });
    expect(JSON.parse((await request(v4!.port, { path: '/whoami' })).text)).toMatchObject({ family: 'IPv4', local: '127.0.0.1' });
  });
});

describe('TLS', () => {
  it('serves over TLS with the test certificate; the request says it is secure', async () => {
    const { server } = await startServer({ interfaces: [{ host: '127.0.0.1', port: 0, tls: serverTls }], routes: [whoami] });
    expect(server.addresses[0]!.secure).toBe(true);
    expect(server.url).toMatch(/^https:\/\//);
    const r = await get(server.addresses[0]!.port);
    expect([r.status, JSON.parse(r.text)]).toEqual([200, { secure: true, cn: null, family: 'IPv4', local: '127.0.0.1' }]);
  });

  it('requires a client certificate when asked: a verified one is accepted, a rogue one and none are refused', async () => {
    const { server, logs } = await startServer({
      interfaces: [{ host: '127.0.0.1', port: 0, tls: { ...serverTls, ca: pem('ca.pem'), requestCert: true } }],
      routes: [whoami],
    });
    const port = server.addresses[0]!.port;
    const good = await get(port, { key: pem('client-key.pem'), cert: pem('client.pem') });
    expect(JSON.parse(good.text)).toMatchObject({ secure: true, cn: 'good client' });
    await expect(get(port, { key: pem('rogue-key.pem'), cert: pem('rogue.pem') })).rejects.toThrow();
    await expect(get(port, {})).rejects.toThrow();
    await waitFor(() => logs.errors!.filter((r) => /TLS handshake with .* failed/.test(r.message)).length >= 2);
    // The server goes on serving.
    expect(JSON.parse((await get(port, { key: pem('client-key.pem'), cert: pem('client.pem') })).text).cn).toBe('good client');
  });

  it('with a CA but no requirement, a client certificate is optional and only a verified one is passed on', async () => {
    const { server } = await startServer({
      interfaces: [{ host: '127.0.0.1', port: 0, tls: { ...serverTls, ca: pem('ca.pem') } }],
      routes: [whoami],
    });
    const port = server.addresses[0]!.port;
    expect(JSON.parse((await get(port, { key: pem('client-key.pem'), cert: pem('client.pem') })).text).cn).toBe('good client');
    expect(JSON.parse((await get(port, { key: pem('rogue-key.pem'), cert: pem('rogue.pem') })).text).cn).toBe(null);
    expect(JSON.parse((await get(port)).text).cn).toBe(null);
  });

  it('plain HTTP on a TLS port is logged and costs nothing else', async () => {
    const { server, logs } = await startServer({ interfaces: [{ host: '127.0.0.1', port: 0, tls: serverTls }], routes: [whoami] });
    const port = server.addresses[0]!.port;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write('GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'close');
    await waitFor(() => logs.errors!.some((r) => /TLS handshake with .* failed/.test(r.message)));
    expect(server.tcp.connectionCount).toBe(0);
    expect((await get(port)).status).toBe(200);
  });

  it('CGI sees HTTPS and the client certificate; WSGI sees the https scheme', async () => {
    const { server } = await startServer({
      interfaces: [{ host: '127.0.0.1', port: 0, tls: { ...serverTls, ca: pem('ca.pem') } }],
      cgi: [{ prefix: '/cgi-bin/', path: fileURLToPath(new URL('./fixtures/cgi/', import.meta.url)) }],
      wsgi: [{ prefix: '/app/', module: fileURLToPath(new URL('./fixtures/tls-apps/scheme.mjs', import.meta.url)) }],
      pool: { minThreads: 1, maxThreads: 1 },
    });
    const port = server.addresses[0]!.port;
    const cgi = await get(port, { path: '/cgi-bin/env.py', key: pem('client-key.pem'), cert: pem('client.pem') });
    const env = JSON.parse(cgi.text).env as Record<string, string>;
    expect(env).toMatchObject({
      HTTPS: 'on',
      SSL_CLIENT_VERIFY: 'SUCCESS',
      SSL_CLIENT_S_DN_CN: 'good client',
      SSL_CLIENT_I_DN_CN: 'boxwire test CA',
    });
    expect(env.SSL_CLIENT_S_DN).toBe('CN=good client,O=boxwire tests');
    const anonymous = JSON.parse((await get(port, { path: '/cgi-bin/env.py' })).text).env as Record<string, string>;
    expect(anonymous.SSL_CLIENT_VERIFY).toBe('NONE');
    expect(anonymous.SSL_CLIENT_S_DN).toBeUndefined();
    expect((await get(port, { path: '/app/' })).text).toBe('https on');
  });
});

describe('listening flags', () => {
  const parse = (argv: string[]) => withInterfaces(parseArgs(argv, flags).options);

  it('--listen, with --host/--port as one more interface, and TLS for the https:// ones', () => {
    expect(parse(['--listen', '127.0.0.1:1', '--listen', '[::1]:2'])).toEqual({
      interfaces: [
        { host: '127.0.0.1', port: 1 },
        { host: '::1', port: 2 },
      ],
    });
    expect(parse(['--listen', '127.0.0.1:1', '--port', '3'])).toEqual({
      interfaces: [
        { host: '127.0.0.1', port: 1 },
        { host: '127.0.0.1', port: 3 },
      ],
    });
    expect(parse(['--port', '3'])).toEqual({ port: 3 });
    const mixed = parse([
      '--listen',
      '127.0.0.1:1',
      '--listen',
      'https://[::1]:2',
      '--tls-key',
      fixture('server-key.pem'),
      '--tls-cert',
      fixture('server.pem'),
    ]);
    expect((mixed.interfaces as { tls?: unknown }[]).map((i) => i.tls !== undefined)).toEqual([false, true]);
    const all = parse([
      '--listen',
      '127.0.0.1:1',
      '--tls-key',
      fixture('server-key.pem'),
      '--tls-cert',
      fixture('server.pem'),
      '--tls-ca',
      fixture('ca.pem'),
      '--tls-request-cert',
    ]);
    expect(all.interfaces).toEqual([
      { host: '127.0.0.1', port: 1, tls: { key: pem('server-key.pem'), cert: pem('server.pem'), ca: pem('ca.pem'), requestCert: true } },
    ]);
  });

  it.each([
    [['--listen', '8080'], /HOST:PORT/],
    [['--listen', 'https://127.0.0.1:1'], /needs --tls-key and --tls-cert/],
    [['--tls-key', 'x'], /needs both --tls-key and --tls-cert/],
    [['--tls-key', '/no/such', '--tls-cert', '/no/such'], /--tls-key: cannot read \/no\/such: ENOENT/],
    [['--tls-request-cert', '--tls-key', 'a', '--tls-cert', 'b'], /--tls-request-cert needs --tls-ca/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(CliError);
    expect(() => parse(argv)).toThrow(message);
  });

  it('the command serves https:// and http:// interfaces at once', async () => {
    const boxwire = runCommand([
      '--listen',
      'https://127.0.0.1:0',
      '--listen',
      '127.0.0.1:0',
      '--tls-key',
      fixture('server-key.pem'),
      '--tls-cert',
      fixture('server.pem'),
      '--access-log',
      'off',
      '--root',
      'off',
      '--cgi',
      'off',
      '--wsgi',
      'off',
    ]);
    try {
      const [, tlsPort, plainPort] = await boxwire.until(/listening on https:\/\/127\.0\.0\.1:(\d+), http:\/\/127\.0\.0\.1:(\d+)/);
      expect((await get(Number(tlsPort), { path: '/nothing' })).status).toBe(404);
      expect((await request(Number(plainPort), { path: '/nothing' })).status).toBe(404);
      expect(await boxwire.stop()).toBe(0);
    } finally {
      boxwire.kill();
    }
    void tls;
  });
});
