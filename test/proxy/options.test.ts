/**
 * The proxy's and the trusted proxies' options and flags, and the --listen
 * forms for PROXY protocol relays and systemd's sockets: what they become,
 * and what they refuse, with a message naming the option.
 */
import { describe, expect, it } from 'vitest';
import { CliError, parseArgs } from '../../src/cli/args.js';
import { flags } from '../../src/cli/flags.js';
import { withInterfaces } from '../../src/cli/flags-listen.js';
import { withProxyDefaults } from '../../src/cli/flags-proxy.js';
import { parseListen } from '../../src/cli/listen-spec.js';
import { resolveOptions } from '../../src/server/options.js';
import { resolveProxyOptions } from '../../components/proxy/options.js';

const parse = (argv: string[]) => withProxyDefaults(withInterfaces(parseArgs(argv, flags).options));

describe('proxy flags', () => {
  it('--proxy, and the --proxy-* flags for every --proxy', () => {
    const options = parse([
      '--proxy',
      '/api/=http://127.0.0.1:9000/v1,http://127.0.0.1:9001/v1',
      '--proxy=/files/=unix:/run/files.sock',
      '--proxy-host',
      'upstream',
      '--proxy-balance',
      'least-in-flight',
      '--proxy-health-check',
      '/healthz,2',
      '--proxy-timeout',
      'connect=1.5',
      '--proxy-timeout',
      'response=30',
      '--proxy-keep-prefix',
    ]);
    const common = {
      host: 'upstream',
      balance: 'least-in-flight',
      healthCheck: { path: '/healthz', interval: 2000 },
      timeouts: { connect: 1500, response: 30000 },
      keepPrefix: true,
    };
    expect(options.proxy).toEqual([
      { ...common, prefix: '/api/', to: ['http://127.0.0.1:9000/v1', 'http://127.0.0.1:9001/v1'] },
      { ...common, prefix: '/files/', to: ['unix:/run/files.sock'] },
    ]);
    const resolved = resolveOptions(options as never).proxy;
    expect(resolved.map((p) => [p.mount, p.upstreams.map((u) => u.address)])).toEqual([
      [
        '/api',
        [
          { kind: 'tcp', host: '127.0.0.1', port: 9000 },
          { kind: 'tcp', host: '127.0.0.1', port: 9001 },
        ],
      ],
      ['/files', [{ kind: 'unix', path: '/run/files.sock' }]],
    ]);
  });

  it('--trust-proxy and --trust-proxy-header', () => {
    expect(parse(['--trust-proxy', 'loopback', '--trust-proxy', '10.0.0.0/8']).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(parse(['--trust-proxy', '::1', '--trust-proxy-header', 'forwarded', '--trust-proxy', '10.0.0.0/8']).trustProxy).toEqual({
      addresses: ['::1', '10.0.0.0/8'],
      header: 'forwarded',
    });
    const resolved = resolveOptions(parse(['--trust-proxy', 'loopback']) as never).trustProxy;
    expect(resolved ? resolved.ranges.length : 0).toBe(2);
  });

  it.each([
    [['--proxy', '/api/'], /PREFIX=VALUE|NAME=VALUE/],
    [['--proxy-balance', 'random', '--proxy', '/=http://a:1'], /round-robin or least-in-flight/],
    [['--proxy-host', 'upstream'], /need a --proxy/],
    [['--trust-proxy-header', 'x-real-ip'], /x-forwarded-for or forwarded/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(CliError);
    expect(() => parse(argv)).toThrow(message);
  });
});

describe('proxy options', () => {
  it('resolves the defaults', () => {
    expect(resolveProxyOptions('/=http://[::1]:8000')).toMatchObject({
      mount: '',
      upstreams: [{ address: { kind: 'tcp', host: '::1', port: 8000 }, authority: '[::1]:8000', base: '' }],
      host: 'pass',
      balance: 'round-robin',
      connections: 64,
      idle: 16,
      queue: 256,
      timeouts: { connect: 5000, response: 60000, idle: 60000, keepAlive: 4000, down: 10000 },
      healthCheck: false,
      via: 'boxwire',
      xForwarded: true,
      forwarded: true,
    });
    expect(resolveProxyOptions({ prefix: '/a/', to: 'http://h/' }).upstreams[0]).toMatchObject({ address: { port: 80 }, base: '/' });
  });

  it.each([
    ['http://x', /PREFIX=URL/],
    [{ prefix: 'api', to: 'http://x:1' }, /proxy.prefix/],
    [{ prefix: '/api/', to: [] }, /proxy.to/],
    [{ prefix: '/api/', to: 'https://x:1' }, /https:\/\/ is not supported/],
    [{ prefix: '/api/', to: 'ftp://x:1' }, /proxy.to\[0\]/],
    [{ prefix: '/api/', to: 'http://x:99999' }, /proxy.to\[0\]/],
    [{ prefix: '/api/', to: 'unix:relative.sock' }, /unix:\/absolute/],
    [{ prefix: '/api/', to: 'http://x:1', balance: 'random' }, /proxy.balance/],
    [{ prefix: '/api/', to: 'http://x:1', host: 'other' }, /proxy.host/],
    [{ prefix: '/api/', to: 'http://x:1', connections: 0 }, /proxy.connections/],
    [{ prefix: '/api/', to: 'http://x:1', timeouts: { connect: -1 } }, /proxy.timeouts.connect/],
    [{ prefix: '/api/', to: 'http://x:1', timeouts: { read: 1 } }, /unknown option "proxy.timeouts.read"/],
    [{ prefix: '/api/', to: 'http://x:1', healthCheck: { path: 'health' } }, /proxy.healthCheck/],
    [{ prefix: '/api/', to: 'http://x:1', via: 'bad via' }, /proxy.via/],
    [{ prefix: '/api/', to: 'http://x:1', nope: 1 }, /unknown option "proxy.nope"/],
  ])('refuses %j', (given, message) => {
    expect(() => resolveProxyOptions(given as never)).toThrow(TypeError);
    expect(() => resolveProxyOptions(given as never)).toThrow(message);
  });
});

describe('--listen forms for relays and systemd', () => {
  it.each([
    ['proxy://127.0.0.1:8080', { host: '127.0.0.1', port: 8080, secure: false, proxyProtocol: true }],
    ['proxy+https://[::]:443', { host: '::', port: 443, secure: true, proxyProtocol: true }],
    ['systemd', { host: '', port: 0, secure: false, systemd: true }],
    ['systemd:web', { host: '', port: 0, secure: false, systemd: 'web' }],
    ['https://systemd:tls', { host: '', port: 0, secure: true, systemd: 'tls' }],
    ['proxy://systemd', { host: '', port: 0, secure: false, proxyProtocol: true, systemd: true }],
  ])('%s', (value, expected) => expect(parseListen(value)).toEqual(expected));

  it('becomes interfaces with proxyProtocol, and systemd ones', () => {
    expect(parse(['--listen', 'proxy://127.0.0.1:0', '--listen', 'systemd:web']).interfaces).toEqual([
      { host: '127.0.0.1', port: 0, proxyProtocol: true },
      { systemd: 'web' },
    ]);
  });

  it('an interface that names sockets systemd did not pass is refused, saying so', () => {
    expect(() => resolveOptions({ interfaces: [{ systemd: true }] })).toThrow(/no sockets were passed/);
    expect(() => resolveOptions({ interfaces: [{ systemd: 'web', host: 'x', port: 1 }] })).toThrow(/not both/);
    expect(() => resolveOptions({ interfaces: [{ host: 'x', port: 1, proxyProtocol: 'yes' as never }] })).toThrow(/proxyProtocol/);
  });
});
