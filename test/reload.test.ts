import net from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, startCommand } from './helpers/cli.js';
import { request, sleep, startServer, waitFor } from './helpers/http.js';
import { loadConfig, mergeOptions } from '../src/server/config-file.js';

const dir = mkdtempSync(join(tmpdir(), 'boxwire-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reload', () => {
  it('new connections get the new configuration; a download in flight finishes on the old one', async () => {
    const slowBody = () => ({
      body: (async function* () {
        for (let i = 0; i < 5; i++) {
          await sleep(40);
          yield `old${i} `;
        }
      })(),
    });
    const { server, port } = await startServer({
      routes: [
        { path: '/v', handler: () => ({ body: 'one' }) },
        { path: '/download', handler: slowBody },
      ],
    });
    const download = net.connect(port, '127.0.0.1');
    await once(download, 'connect');
    let got = '';
    download.on('data', (c: Buffer) => (got += c.toString('latin1')));
    download.write('GET /download HTTP/1.1\r\nHost: t\r\n\r\n');
    const idle = net.connect(port, '127.0.0.1');
    await once(idle, 'connect');
    const idleClosed = once(idle, 'close');
    await sleep(50);
    server.reload({ routes: [{ path: '/v', handler: () => ({ body: 'two' }) }] });
    expect((await request(port, { path: '/v' })).text).toBe('two');
    expect((await request(port, { path: '/download' })).status).toBe(404);
    await idleClosed;
    await once(download, 'close');
    expect(got).toMatch(/old0 [\s\S]*old4 /);
    expect(server.options.routes).toHaveLength(1);
  });

  it('refuses a configuration that cannot be taken, and keeps the one in force', async () => {
    const { server, port } = await startServer({ routes: [{ path: '/v', handler: () => ({ body: 'one' }) }] });
    expect(() => server.reload({ port: 1 })).toThrow(/cannot move the server/);
    expect(() => server.reload({ bogus: true } as never)).toThrow(/unknown option "bogus"/);
    expect((await request(port, { path: '/v' })).text).toBe('one');
  });
});

describe('configuration files', () => {
  it('reads JSON and modules, and flags win over the file', async () => {
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ port: 1234, limits: { body: 10 }, accessLog: 'common' }));
    writeFileSync(join(dir, 'b.mjs'), 'export default { routes: [{ path: "/", handler: () => ({ body: "from module" }) }] };');
    expect(await loadConfig(join(dir, 'a.json'))).toEqual({ port: 1234, limits: { body: 10 }, accessLog: 'common' });
    expect((await loadConfig(join(dir, 'b.mjs'))).routes).toHaveLength(1);
    expect(mergeOptions({ port: 1, limits: { body: 10 }, timeouts: { idle: 5 } }, { port: 2, limits: { headerCount: 3 } })).toEqual({
      port: 2,
      limits: { body: 10, headerCount: 3 },
      timeouts: { idle: 5 },
    });
  });

  it.each([
    ['missing.json', null, /cannot read .*missing\.json/],
    ['bad.json', '{ not json', /bad\.json is not valid JSON/],
    ['list.json', '[1]', /list\.json must hold an options object/],
    ['conf.yaml', 'port: 1', /\.json, \.mjs or \.js/],
    ['throws.mjs', 'throw new Error("no")', /cannot load .*throws\.mjs: no/],
  ])('refuses %s clearly', async (name, content, message) => {
    if (content !== null) writeFileSync(join(dir, name), content);
    await expect(loadConfig(join(dir, name))).rejects.toThrow(message);
  });

  it('the command reads --config, reloads it on SIGHUP, and keeps the old one when the new is bad', async () => {
    const file = join(dir, 'live.mjs');
    writeFileSync(file, 'export default { accessLog: false, routes: [{ path: "/", handler: () => ({ body: "first" }) }] };');
    const boxwire = await startCommand(['--config', file, '--port', '0']);
    const { child, port } = boxwire;
    try {
      expect((await request(port)).text).toBe('first');
      writeFileSync(file, 'export default { accessLog: false, routes: [{ path: "/", handler: () => ({ body: "second" }) }] };');
      child.kill('SIGHUP');
      await boxwire.until(/configuration reloaded/, 5_000);
      expect((await request(port)).text).toBe('second');
      writeFileSync(file, 'export default { accessLog: "sometimes" };');
      child.kill('SIGHUP');
      await boxwire.until(/reload failed, keeping the configuration in force: .*"accessLog"/, 5_000);
      expect((await request(port)).text).toBe('second');
      expect(await boxwire.stop()).toBe(0);
    } finally {
      boxwire.kill();
    }
  });

  it('the command exits 2 naming a bad configuration file', async () => {
    writeFileSync(join(dir, 'oops.json'), '{"port": "eighty"}');
    const boxwire = runCommand(['--config', join(dir, 'oops.json')]);
    expect(await boxwire.exited).toBe(2);
    expect(boxwire.err()).toMatch(/option "port" must be an integer/);
  });
});

describe('SIGHUP with a changed document root', () => {
  it('serves the new root to new requests while a download from the old one carries on to its end', async () => {
    const { mkdirSync } = await import('node:fs');
    const { createHash } = await import('node:crypto');
    const oldRoot = join(dir, 'root-old');
    const newRoot = join(dir, 'root-new');
    mkdirSync(oldRoot, { recursive: true });
    mkdirSync(newRoot, { recursive: true });
    writeFileSync(join(oldRoot, 'which.txt'), 'old');
    writeFileSync(join(newRoot, 'which.txt'), 'new');
    const big = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    writeFileSync(join(oldRoot, 'big.bin'), big);
    const file = join(dir, 'roots.json');
    writeFileSync(file, JSON.stringify({ root: oldRoot, accessLog: false, cgi: false }));
    const boxwire = await startCommand(['--config', file, '--port', '0', '--wsgi', 'off']);
    const { child, port } = boxwire;
    try {
      expect((await request(port, { path: '/which.txt' })).text).toBe('old');
      // A slow download from the old root: read a little, pause, read on.
      const download = net.connect(port, '127.0.0.1');
      await once(download, 'connect');
      const received: Buffer[] = [];
      download.on('data', (c: Buffer) => {
        received.push(c);
        download.pause();
        setTimeout(() => download.resume(), 2);
      });
      const finished = once(download, 'close');
      download.write('GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
      await waitFor(() => received.length > 5);
      writeFileSync(file, JSON.stringify({ root: newRoot, accessLog: false, cgi: false }));
      child.kill('SIGHUP');
      await boxwire.until(/configuration reloaded/, 5_000);
      expect((await request(port, { path: '/which.txt' })).text).toBe('new');
      expect((await request(port, { path: '/big.bin' })).status).toBe(404);
      await finished;
      const whole = Buffer.concat(received);
      const body = whole.subarray(whole.indexOf('\r\n\r\n') + 4);
      expect(body.length).toBe(big.length);
      expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
      expect(await boxwire.stop()).toBe(0);
    } finally {
      boxwire.kill();
    }
  }, 30_000);
});

describe('a configuration file holds what the flags hold', () => {
  it('TLS material by file and the number of workers, in JSON', async () => {
    const https = await import('node:https');
    const tlsFile = (name: string) => fileURLToPath(new URL(`./fixtures/tls/${name}`, import.meta.url));
    const file = join(dir, 'full.json');
    writeFileSync(
      file,
      JSON.stringify({
        interfaces: [{ host: '127.0.0.1', port: 0, tls: { keyFile: tlsFile('server-key.pem'), certFile: tlsFile('server.pem') } }],
        workers: 2,
        accessLog: false,
        root: false,
        cgi: false,
        status: '/s',
      }),
    );
    const boxwire = await startCommand(['--config', file, '--wsgi', 'off'], /listening on https:\/\/127\.0\.0\.1:(\d+) \(2 workers\)/);
    const { child, port } = boxwire;
    try {
      const text = await new Promise<string>((resolve, reject) => {
        https
          .get(
            { host: '127.0.0.1', port, path: '/s?format=json', ca: readFileSync(tlsFile('ca.pem')), servername: 'localhost', agent: false },
            (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c));
              res.on('end', () => resolve(body));
            },
          )
          .on('error', reject);
      });
      expect(JSON.parse(text).pid).not.toBe(child.pid);
      expect(await boxwire.stop()).toBe(0);
    } finally {
      boxwire.kill();
    }
  }, 30_000);

  it('a TLS file that cannot be read is refused at construction, naming the option', async () => {
    const { createServer } = await import('../src/server/server.js');
    expect(() =>
      createServer({ interfaces: [{ host: '127.0.0.1', port: 0, tls: { keyFile: '/no/such.pem', certFile: '/no/such.pem' } }] }),
    ).toThrow(/option "interfaces\[0\]\.tls\.keyFile": cannot read \/no\/such\.pem: ENOENT/);
  });
});
