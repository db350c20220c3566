/**
 * The WSGI options, checked once: applications ("PREFIX=MODULE#EXPORT" or
 * objects), the pool, and the command line flags that build them.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs, serverFlags } from '../../src/cli/args.js';
import { wsgiFlags } from '../../src/cli/flags-wsgi.js';
import { resolveOptions } from '../../src/server/options.js';
import { resolvePoolOptions, resolveWsgiApps } from '../../src/server/wsgi-options.js';
import { normalizePrefix, parseWsgiSpec } from '../../src/server/app-entries.js';
import { defaultPoolOptions } from '../../components/wsgi/pool.js';
import { fixture } from '../helpers/wsgi.js';

const app = fixture('pep3333.mjs');
// src/cli.ts runs the command when imported: its flags are these.
const flags = [...serverFlags, ...wsgiFlags];

describe('parseWsgiSpec', () => {
  it.each([
    ['/app/=./app.mjs', { prefix: '/app/', module: './app.mjs' }],
    ['/=./app.mjs#application', { prefix: '/', module: './app.mjs', export: 'application' }],
    ['/x=/abs/a=b.mjs#fetch', { prefix: '/x', module: '/abs/a=b.mjs', export: 'fetch' }],
  ])('%s', (spec, parsed) => {
    expect(parseWsgiSpec(spec)).toEqual(parsed);
  });
  it.each(['app.mjs', '=./app.mjs', '/app='])('refuses %j', (spec) => {
    expect(() => parseWsgiSpec(spec)).toThrow(/PREFIX=MODULE/);
  });
});

describe('normalizePrefix', () => {
  it.each([
    ['/', ''],
    ['/app/', '/app'],
    ['/app', '/app'],
    ['/a/b//', '/a/b'],
  ])('%s -> %j', (prefix, mount) => expect(normalizePrefix(prefix)).toBe(mount));
  it.each(['app', '/a/../b', '/a/./b', '/a//b', '/a*', '/:id', '/a%2F', '/a b', 7])('refuses %j', (prefix) => {
    expect(() => normalizePrefix(prefix)).toThrow(/prefix/);
  });
});

describe('resolveWsgiApps', () => {
  it('resolves modules against the working directory and keeps the export and interface', () => {
    expect(
      resolveWsgiApps(
        [`/app/=${app}#other`, { prefix: '/f', module: 'test/fixtures/wsgi/fetch-named.mjs', interface: 'fetch' }],
        process.cwd(),
      ),
    ).toEqual([
      { prefix: '/app', module: app, export: 'other' },
      { prefix: '/f', module: fixture('fetch-named.mjs'), interface: 'fetch' },
    ]);
  });
  it.each([
    ['not an array', 'x', /must be an array/],
    ['a missing module', ['/a=./nowhere.mjs'], /no module at \.\/nowhere\.mjs/],
    ['a directory', ['/a=test/fixtures'], /no module/],
    ['two at one prefix', [`/a/=${app}`, `/a=${app}`], /two applications at \/a/],
    ['a bad export name', [`/a=${app}#1x`], /export "1x" is not a name/],
    ['a bad interface', [{ prefix: '/a', module: app, interface: 'cgi' }], /interface must be "wsgi" or "fetch"/],
    ['an unknown key', [{ prefix: '/a', module: app, threads: 3 }], /unknown key "threads"/],
  ])('refuses %s', (_, given, reason) => {
    expect(() => resolveWsgiApps(given)).toThrow(reason);
  });
});

describe('resolvePoolOptions', () => {
  it('has Rocket defaults: 10 threads, no maximum', () => {
    expect(resolvePoolOptions(undefined)).toEqual(defaultPoolOptions);
    expect(defaultPoolOptions).toMatchObject({ minThreads: 10, maxThreads: 0 });
  });
  it('takes what is given', () => {
    expect(
      resolvePoolOptions({ minThreads: 0, maxThreads: 4, queueSize: 1, requestTimeout: 1500, idleTimeout: 10, maxRequests: 100 }),
    ).toEqual({
      minThreads: 0,
      maxThreads: 4,
      queueSize: 1,
      requestTimeout: 1500,
      idleTimeout: 10,
      maxRequests: 100,
      executorQueue: 64,
      executorConcurrency: 4,
    });
    expect(resolvePoolOptions({ executorQueue: 0, executorConcurrency: 1 })).toMatchObject({ executorQueue: 0, executorConcurrency: 1 });
  });
  it.each([
    [{ minThreads: -1 }, /pool\.minThreads" must be a whole number/],
    [{ maxThreads: 1.5 }, /pool\.maxThreads" must be a whole number/],
    [{ requestTimeout: 0 }, /pool\.requestTimeout" must be a positive number/],
    [{ threads: 2 }, /unknown option "pool\.threads"/],
    [{ executorConcurrency: 0 }, /pool\.executorConcurrency" must be 1 or more/],
    [{ minThreads: 4, maxThreads: 2 }, /below pool\.minThreads/],
    [{ minThreads: 0, queueSize: 0 }, /cannot both be 0/],
  ])('refuses %j', (given, reason) => {
    expect(() => resolvePoolOptions(given)).toThrow(reason);
  });
  it('is checked by createServer too', () => {
    expect(() => resolveOptions({ pool: { minThreads: 'two' as never } })).toThrow(/pool\.minThreads/);
  });
});

describe('the command line', () => {
  it('builds the options from the flags', () => {
    const { options } = parseArgs(
      [
        '--wsgi',
        `/app/=${app}`,
        `--wsgi=/x=${app}#other`,
        '--min-threads',
        '2',
        '--max-threads=8',
        '--queue-size',
        '50',
        '--app-timeout',
        '2.5',
        '--max-requests',
        '1000',
      ],
      flags,
    );
    expect(options).toMatchObject({
      wsgi: [`/app/=${app}`, `/x=${app}#other`],
      pool: { minThreads: 2, maxThreads: 8, queueSize: 50, requestTimeout: 2500, maxRequests: 1000 },
    });
    expect(resolveOptions(options).wsgi.map((a) => a.prefix)).toEqual(['/app', '/x']);
  });
  it("serves no application unless one is named (the demo is npm start's), and none with --wsgi off", () => {
    expect(parseArgs([], flags).options.wsgi).toBeUndefined();
    expect(resolveOptions(parseArgs([], flags).options).wsgi).toEqual([]);
    // An empty list, so that it wins over a configuration file's applications.
    expect(parseArgs(['--wsgi', 'off'], flags).options.wsgi).toEqual([]);
    expect(parseArgs(['--executor-queue', '8'], flags).options.pool).toEqual({ executorQueue: 8 });
  });
  it.each([
    [['--wsgi', 'app.mjs'], /--wsgi needs PREFIX=MODULE/],
    [['--wsgi', 'off', '--wsgi', `/a=${app}`], /--wsgi off cannot be given with applications/],
    [['--min-threads', 'many'], /--min-threads needs a whole number/],
    [['--app-timeout', '0'], /--app-timeout needs a positive number of seconds/],
  ])('refuses %j', (argv, reason) => {
    expect(() => parseArgs(argv, flags)).toThrow(reason);
  });
});
