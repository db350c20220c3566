import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFastCgiAddress, resolveFastCgiOptions } from '../../components/fastcgi/options.js';
import { CliError, parseArgs } from '../../src/cli/args.js';
import { flags } from '../../src/cli/flags.js';
import { resolveOptions } from '../../src/server/options.js';

const root = mkdtempSync(join(tmpdir(), 'boxwire-fastcgi-options-'));

describe('FastCGI and script-extension flags', () => {
  it.each([
    [['--cgi-ext', '.php'], { cgiExtensions: { '.php': true } }],
    [['--cgi-ext', '.py=python3 -u', '--cgi-ext', '.cgi'], { cgiExtensions: { '.py': ['python3', '-u'], '.cgi': true } }],
    [['--fastcgi', '.php=unix:/run/php/php8.2-fpm.sock'], { fastcgi: [{ extension: '.php', address: 'unix:/run/php/php8.2-fpm.sock' }] }],
    [
      ['--fastcgi', '/app/=127.0.0.1:9000', '--fastcgi', '.php=[::1]:9001'],
      {
        fastcgi: [
          { prefix: '/app/', address: '127.0.0.1:9000' },
          { extension: '.php', address: '[::1]:9001' },
        ],
      },
    ],
    [
      ['--fastcgi-spawn', '.php=php-cgi -b {socket}', '--fastcgi-processes', '2'],
      { fastcgi: [{ extension: '.php', spawn: { command: 'php-cgi -b {socket}' } }], fastcgiOptions: { processes: 2 } },
    ],
    [
      [
        '--fastcgi-connections=4',
        '--fastcgi-queue=0',
        '--fastcgi-connect-timeout=1.5',
        '--fastcgi-timeout=30',
        '--fastcgi-read-timeout=10',
        '--fastcgi-param',
        'APP_ENV=production',
      ],
      {
        fastcgiOptions: {
          connections: 4,
          queue: 0,
          connectTimeout: 1500,
          headTimeout: 30_000,
          readTimeout: 10_000,
          params: { APP_ENV: 'production' },
        },
      },
    ],
  ])('%j', (argv, expected) => expect(parseArgs(argv, flags).options).toEqual(expected));

  it.each([
    [['--fastcgi', 'php=unix:/x'], /maps an extension \(\.php=\.\.\.\) or a URL prefix/],
    [['--fastcgi', '.php'], /--fastcgi needs NAME=VALUE/],
    [['--cgi-ext', '.py='], /needs an interpreter/],
    [['--fastcgi-processes', '0'], /from 1 to 256/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv, flags)).toThrow(CliError);
    expect(() => parseArgs(argv, flags)).toThrow(message);
  });
});

describe('FastCGI options', () => {
  it('addresses', () => {
    expect(parseFastCgiAddress('unix:/run/php.sock')).toEqual({ kind: 'unix', path: '/run/php.sock' });
    expect(parseFastCgiAddress('unix:php.sock', '/srv')).toEqual({ kind: 'unix', path: '/srv/php.sock' });
    expect(parseFastCgiAddress('127.0.0.1:9000')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9000 });
    expect(parseFastCgiAddress('localhost:9000')).toEqual({ kind: 'tcp', host: 'localhost', port: 9000 });
    expect(parseFastCgiAddress('[::1]:9000')).toEqual({ kind: 'tcp', host: '::1', port: 9000 });
    for (const bad of ['9000', 'host:0', 'host:70000', 'unix:', '::1:9000', 'http://x:1', 'unix:/a\0b'])
      expect(parseFastCgiAddress(bad)).toBeUndefined();
  });

  it('defaults', () => {
    const o = resolveFastCgiOptions([{ extension: '.PHP', address: 'unix:/x.sock' }]);
    expect(o).toMatchObject({
      connections: 8,
      queue: 128,
      connectTimeout: 5000,
      headTimeout: 60_000,
      multiplex: 16,
      passAuthorization: true,
    });
    expect(o.apps[0]).toMatchObject({ extension: '.php', address: { kind: 'unix', path: '/x.sock' }, spawn: undefined });
  });

  it('a spawned application: its command split, {socket} required, processes from the default or the mapping', () => {
    const o = resolveFastCgiOptions(
      [
        { extension: '.php', spawn: { command: 'php-cgi  -b {socket}' } },
        { prefix: '/py/', spawn: { command: ['python3', 'app.py', '--socket={socket}'], processes: 1, env: { A: 'b' } } },
      ],
      { processes: 3 },
    );
    expect(o.apps[0]!.spawn).toEqual({ argv: ['php-cgi', '-b', '{socket}'], processes: 3, connections: 1, env: {} });
    expect(o.apps[1]!.spawn).toEqual({ argv: ['python3', 'app.py', '--socket={socket}'], processes: 1, connections: 1, env: { A: 'b' } });
    expect(o.apps[1]).toMatchObject({ mount: '/py', route: '/py/*' });
  });

  it.each([
    [{ fastcgi: [{ extension: 'php', address: 'unix:/x' }] }, /is not an extension like ".php"/],
    [{ fastcgi: [{ prefix: 'app', address: 'unix:/x' }] }, /must be a plain URL path/],
    [{ fastcgi: [{ extension: '.php' }] }, /one of "address" and "spawn"/],
    [{ fastcgi: [{ extension: '.php', prefix: '/x/', address: 'unix:/x' }] }, /one of "extension" and "prefix"/],
    [{ fastcgi: [{ extension: '.php', address: 'nowhere' }] }, /must be "unix:\/path\/to.sock" or "HOST:PORT"/],
    [{ fastcgi: [{ extension: '.php', spawn: { command: 'php-cgi' } }] }, /must say where to listen with \{socket\}/],
    [
      {
        fastcgi: [
          { extension: '.php', address: 'unix:/x' },
          { extension: '.PHP', address: 'unix:/y' },
        ],
      },
      /\.php is mapped twice/,
    ],
    [{ fastcgi: [{ extension: '.php', address: 'unix:/x', bogus: 1 }] }, /unknown field "bogus"/],
    [{ fastcgiOptions: { bogus: 1 } }, /unknown option "fastcgiOptions.bogus"/],
    [{ fastcgiOptions: { connections: 0 } }, /fastcgiOptions.connections/],
    [{ fastcgiOptions: { headTimeout: -1 } }, /fastcgiOptions.headTimeout/],
    [{ fastcgiOptions: { params: { 'not a name': 'x' } } }, /is not a variable name/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveOptions({ root, ...(options as object) })).toThrow(TypeError);
    expect(() => resolveOptions({ root, ...(options as object) })).toThrow(message);
  });

  it('an extension needs a document root, and one backend', () => {
    expect(() => resolveOptions({ root: false, fastcgi: [{ extension: '.php', address: 'unix:/x' }] })).toThrow(/"root" is false/);
    expect(() => resolveOptions({ root: false, cgiExtensions: { '.php': true } })).toThrow(/"root" is false/);
    expect(() => resolveOptions({ root, cgiExtensions: { '.php': true }, fastcgi: [{ extension: '.php', address: 'unix:/x' }] })).toThrow(
      /given to both/,
    );
  });

  it('cgiExtensions: php-cgi for .php, an interpreter that exists, or the file itself', () => {
    const o = resolveOptions({ root, cgiExtensions: { '.php': true, '.PY': 'python3', '.cgi': true } });
    expect([...o.cgiExtensions]).toEqual([
      ['.php', ['php-cgi']],
      ['.py', ['python3']],
      ['.cgi', undefined],
    ]);
    expect(() => resolveOptions({ root, cgiExtensions: { '.rb': 'no-such-interpreter-here' } })).toThrow(/is not an executable program/);
    expect(() => resolveOptions({ root, cgiExtensions: { php: true } as never })).toThrow(/is not an extension/);
    expect(() => resolveOptions({ root, cgiExtensions: ['.php'] as never })).toThrow(/must be an object/);
  });
});
