/**
 * The Rocket and CherryPyWSGIServer constructors, and the `interfaces`
 * option they stand on: several listeners, TLS with a self-signed
 * certificate made for the test.
 */
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CherryPyWSGIServer, Rocket } from '../../src/server/rocket.js';
import { createServer } from '../../src/server/server.js';
import { request, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { fixture } from '../helpers/wsgi.js';
import { threadCount } from '../../components/wsgi/pool.js';

const quiet = { log: { print: false as const } };
let dir: string;
let keyFile: string;
let certFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'boxwire-tls-'));
  keyFile = join(dir, 'key.pem');
  certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'ignore' },
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CA, and a client certificate it signed. */
function clientCertificate(): { caFile: string; key: Buffer; cert: Buffer } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=test ca');
  openssl('req', ...ec, '-keyout', file('client.key'), '-out', file('client.csr'), '-subj', '/CN=client');
  openssl(
    'x509',
    '-req',
    '-in',
    file('client.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('client.pem'),
    '-days',
    '1',
  );
  return { caFile: file('ca.pem'), key: readFileSync(file('client.key')), cert: readFileSync(file('client.pem')) };
}

function httpsGet(port: number, path: string, client: { key?: Buffer; cert?: Buffer } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path, rejectUnauthorized: false, headers: { host: 'localhost' }, ...client },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
  });
}

describe('Rocket', () => {
  it('serves its application on each interface, plain and TLS; stop() and restart()', async () => {
    const before = snapshot();
    const rocket = new Rocket(
      [
        ['127.0.0.1', 0],
        ['127.0.0.1', 0, keyFile, certFile],
      ],
      'wsgi',
      { wsgiApp: fixture('pep3333.mjs') },
      1,
      2,
      8,
      5,
      quiet,
    );
    const addresses = await rocket.start();
    expect(addresses.map((a) => a.secure)).toEqual([false, true]);
    expect(rocket.server!.options.pool).toMatchObject({ minThreads: 1, maxThreads: 2, queueSize: 8 });
    expect(rocket.server!.options.timeouts.idle).toBe(5_000);
    const plain = await request(addresses[0]!.port, { path: '/environ' });
    expect(JSON.parse(plain.text)).toMatchObject({ SCRIPT_NAME: '', PATH_INFO: '/environ', 'wsgi.url_scheme': 'http' });
    const secure = await httpsGet(addresses[1]!.port, '/environ');
    expect(JSON.parse(secure.text)).toMatchObject({ HTTPS: 'on', 'wsgi.url_scheme': 'https' });
    const again = await rocket.restart();
    expect((await request(again[0]!.port, { path: '/hello' })).text).toBe('Hello world!\n');
    await rocket.stop();
    expect(rocket.server).toBeUndefined();
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  });

  it('with a CA file, asks clients for a certificate but does not require one (CERT_OPTIONAL)', async () => {
    const { caFile, key, cert } = clientCertificate();
    const rocket = new Rocket(
      ['127.0.0.1', 0, keyFile, certFile, caFile],
      'wsgi',
      { wsgiApp: fixture('pep3333.mjs') },
      1,
      1,
      null,
      null,
      quiet,
    );
    const [address] = await rocket.start();
    try {
      const withCert = JSON.parse((await httpsGet(address!.port, '/environ', { key, cert })).text) as Record<string, string>;
      expect([withCert.SSL_CLIENT_VERIFY, withCert.SSL_CLIENT_S_DN_CN]).toEqual(['SUCCESS', 'client']);
      const without = JSON.parse((await httpsGet(address!.port, '/environ')).text) as Record<string, string>;
      expect(without.SSL_CLIENT_VERIFY).toBe('NONE');
    } finally {
      await rocket.stop();
    }
  });

  it('takes one interface as a tuple, and an export after #', async () => {
    const rocket = new Rocket(['127.0.0.1', 0], 'wsgi', { wsgiApp: `${fixture('pep3333.mjs')}#other` }, 1, null, null, null, quiet);
    const [address] = await rocket.start();
    try {
      expect((await request(address!.port, { path: '/x' })).text).toBe('the other export\n');
      expect(rocket.server!.options.pool).toMatchObject({ minThreads: 1, maxThreads: 0, queueSize: 256 });
    } finally {
      await rocket.stop();
    }
  });

  it.each([
    ['another method', () => new Rocket(['127.0.0.1', 0], 'fs' as 'wsgi', { wsgiApp: fixture('pep3333.mjs') }), /only the "wsgi" method/],
    ['no application', () => new Rocket(['127.0.0.1', 0], 'wsgi', {} as { wsgiApp: string }), /wsgiApp/],
    ['a missing module', () => new Rocket(['127.0.0.1', 0], 'wsgi', { wsgiApp: './nowhere.mjs' }), /no module at \.\/nowhere\.mjs/],
    [
      'a missing key file',
      () => new Rocket(['127.0.0.1', 0, '/no/key.pem', '/no/cert.pem'], 'wsgi', { wsgiApp: fixture('pep3333.mjs') }),
      /cannot read the key file \/no\/key\.pem/,
    ],
    ['maxThreads under minThreads', () => new Rocket(['127.0.0.1', 0], 'wsgi', { wsgiApp: fixture('pep3333.mjs') }, 4, 2), /maxThreads/],
  ])('refuses %s at construction', (_, make, reason) => {
    expect(make).toThrow(reason);
  });
});

describe('CherryPyWSGIServer', () => {
  it('maps onto Rocket as its adapter does: numthreads the minimum, max -1 no limit, the queue, the timeout', async () => {
    const server = CherryPyWSGIServer(['127.0.0.1', 0], fixture('pep3333.mjs'), 2, 'ignored.example', -1, 3, 7, 99, quiet);
    expect(server).toBeInstanceOf(Rocket);
    const [address] = await server.start();
    try {
      expect(server.server!.options.pool).toMatchObject({ minThreads: 2, maxThreads: 0, queueSize: 3 });
      expect(server.server!.options.timeouts.idle).toBe(7_000);
      expect((await request(address!.port, { path: '/hello' })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('keeps CherryPy defaults: 10 threads, no maximum, a queue of 5', () => {
    const server = CherryPyWSGIServer(['127.0.0.1', 0], fixture('pep3333.mjs'));
    expect(server.options.pool).toEqual({ minThreads: 10, maxThreads: 0, queueSize: 5 });
  });
});

describe('the interfaces option', () => {
  it('refuses host or port beside it, and bad entries', () => {
    expect(() => createServer({ port: 0, interfaces: [{ host: '127.0.0.1', port: 0 }] })).toThrow(
      /either "interfaces" or "host" and "port"/,
    );
    expect(() => createServer({ interfaces: [] })).toThrow(/non-empty array/);
    expect(() => createServer({ interfaces: [{ host: '127.0.0.1', port: 70000 }] })).toThrow(/interfaces\[0\]\.port/);
    expect(() => createServer({ interfaces: [{ host: '127.0.0.1', port: 0, tls: { key: 'k' } as never }] })).toThrow(
      /interfaces\[0\]\.tls/,
    );
    expect(() => createServer({ interfaces: [{ host: '127.0.0.1', port: 0, extra: 1 } as never] })).toThrow(/unknown key "extra"/);
  });
});
