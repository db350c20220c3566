import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CliError, parseArgs, serverFlags, usage, size } from '../src/cli/args.js';
import { flags } from '../src/cli/flags.js';
import { runCommand as run, startCommand } from './helpers/cli.js';
import { request } from './helpers/http.js';

describe('command-line flags', () => {
  it.each([
    [['--port', '9000'], { port: 9000 }],
    [['--port=0'], { port: 0 }],
    [['--host', '::1'], { host: '::1' }],
    [['--access-log', 'off'], { accessLog: false }],
    [['--access-log=common'], { accessLog: 'common' }],
    [['--server-header', 'off'], { serverHeader: false }],
    [['--max-body', '10M'], { limits: { body: 10 * 1024 * 1024 } }],
    [['--max-connections', '5', '--max-body', '64k'], { limits: { connections: 5, body: 65536 } }],
    [['--header-timeout', '2.5', '--idle-timeout', '1'], { timeouts: { header: 2500, idle: 1000 } }],
    [['--quiet'], { log: { print: ['errors'] } }],
  ])('%j', (argv, expected) => expect(parseArgs(argv, serverFlags).options).toEqual(expected));

  it.each([
    [['--port', 'abc'], /--port needs a whole number/],
    [['--port', '70000'], /--port must be from 0 to 65535/],
    [['--port'], /--port needs a value/],
    [['--port', '1', '--port', '2'], /--port given more than once/],
    [['--bogus'], /unknown flag --bogus/],
    [['stray'], /unexpected argument "stray"/],
    [['--quiet=yes'], /--quiet takes no value/],
    [['--access-log', 'fancy'], /--access-log takes combined, common, json or off/],
    [['--max-body', '10X'], /--max-body needs a size/],
    [['--idle-timeout', '0'], /--idle-timeout needs a positive number of seconds/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv, serverFlags)).toThrow(CliError);
    expect(() => parseArgs(argv, serverFlags)).toThrow(message);
  });

  it('sizes', () => expect([size('x', '1'), size('x', '2k'), size('x', '3G')]).toEqual([1, 2048, 3 * 1024 ** 3]));

  it('lists every flag in --help', () => {
    const text = usage(flags);
    for (const flag of flags) expect(text).toContain(flag.name);
  });
});

describe('the boxwire command', () => {
  it('prints help and its version', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.out()).toMatch(/^Usage: boxwire \[options\]/);
    const version = run(['--version']);
    expect(await version.exited).toBe(0);
    expect(version.out()).toMatch(/^boxwire \d+\.\d+\.\d+\n$/);
  });

  it('exits 2 with a clear message for a bad flag or value', async () => {
    const bad = run(['--port', 'nine']);
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toBe('boxwire: --port needs a whole number, not "nine"\n');
  });

  it('exits 1 when it cannot listen', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as net.AddressInfo).port;
    const busy = run(['--port', String(port), '--quiet']);
    expect(await busy.exited).toBe(1);
    expect(busy.err()).toMatch(/EADDRINUSE/);
    blocker.close();
  });

  it('prints where it listens, serves, and stops cleanly on SIGTERM', async () => {
    const server = await startCommand(['--port', '0', '--access-log', 'common'], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    try {
      expect((await request(server.port, { path: '/definitely-missing' })).status).toBe(404);
      expect(await server.stop()).toBe(0);
      expect(server.out()).toMatch(/"GET \/definitely-missing HTTP\/1\.1" 404 \d+/);
    } finally {
      server.kill();
    }
  });
});
