/**
 * Options of Python applications, as code and as flags: defaults, what the
 * pool takes from the thread pool's options, every refusal, and routes in
 * the order the applications were given.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { flags } from '../../src/cli/flags.js';
import { resolveOptions } from '../../src/server/options.js';
import { resolvePythonOptions } from '../../src/server/python-options.js';
import { createServer } from '../../src/server/server.js';
import { defaultPoolOptions } from '../../components/wsgi/pool.js';
import { pythonFixtures } from '../helpers/python.js';

const cwd = resolve(pythonFixtures);

describe('Python options', () => {
  it('defaults: python3, one process of one thread, the pool settings of the thread pool', () => {
    const o = resolvePythonOptions(['/py/=python:apps:app', '/js/=./x.mjs'], undefined, defaultPoolOptions, cwd);
    expect(o).toEqual({
      apps: [{ prefix: '/py', callable: 'apps:app', cwd, path: [], position: 0 }],
      executable: 'python3',
      processes: 1,
      maxProcesses: 1,
      threads: 1,
      queueSize: defaultPoolOptions.queueSize,
      requestTimeout: defaultPoolOptions.requestTimeout,
      maxRequests: defaultPoolOptions.maxRequests,
      idleTimeout: defaultPoolOptions.idleTimeout,
      killGrace: 2_000,
      executorThreads: 2,
      executorQueue: defaultPoolOptions.executorQueue,
      futureLifespan: 30_000,
    });
  });

  it('takes each setting, and its own over the thread pool’s', () => {
    const o = resolvePythonOptions(
      [{ prefix: '/a/', python: 'pkg.mod:factory()', cwd: '..', path: ['lib'] }, '/=python:apps'],
      {
        executable: '/usr/bin/python3',
        processes: 2,
        maxProcesses: 0,
        threads: 4,
        path: ['vendor'],
        queueSize: 9,
        requestTimeout: 1500,
        maxRequests: 100,
        idleTimeout: 500,
        killGrace: 50,
      },
      { ...defaultPoolOptions, queueSize: 1, requestTimeout: 1 },
      cwd,
    );
    expect(o).toMatchObject({
      executable: '/usr/bin/python3',
      processes: 2,
      maxProcesses: 0,
      threads: 4,
      queueSize: 9,
      requestTimeout: 1500,
      maxRequests: 100,
      idleTimeout: 500,
      killGrace: 50,
    });
    expect(o.apps).toEqual([
      { prefix: '/a', callable: 'pkg.mod:factory()', cwd: resolve(cwd, '..'), path: [resolve(cwd, '..', 'lib')], position: 0 },
      { prefix: '', callable: 'apps:application', cwd, path: [resolve(cwd, 'vendor')], position: 1 },
    ]);
  });

  it.each([
    [{ wsgi: ['/py/=python:'] }, /a Python application is MODULE:CALLABLE/],
    [{ wsgi: ['/py/=python:mod:'] }, /MODULE:CALLABLE/],
    [{ wsgi: ['/py/=python:my-mod:app'] }, /MODULE:CALLABLE/],
    [{ wsgi: ['/py/=python:mod:app; import os'] }, /MODULE:CALLABLE/],
    [{ wsgi: [{ prefix: '/py/', python: 'mod:app', module: 'x' }] }, /unknown key "module" for a Python application/],
    [{ wsgi: [{ prefix: 'py', python: 'mod:app' }] }, /must start with "\/"/],
    [{ wsgi: ['/py/=python:a:b', '/py=python:c:d'] }, /two applications at \/py/],
    [{ wsgi: ['/py/=python:a:b', { prefix: '/py/', module: 'test/fixtures/wsgi/pep3333.mjs' }] }, /two applications at \/py/],
    [{ python: { threads: 0 } }, /"python.threads" must be a whole number, 1 or more/],
    [{ python: { processes: -1 } }, /"python.processes"/],
    [{ python: { processes: 3, maxProcesses: 2 } }, /"python.maxProcesses" \(2\) is below python.processes \(3\)/],
    [{ python: { processes: 0, queueSize: 0 } }, /processes and queueSize cannot both be 0/],
    [{ python: { requestTimeout: 0 } }, /"python.requestTimeout" must be a positive number/],
    [{ python: { executable: '' } }, /"python.executable" must be a command or a path/],
    [{ python: { cwd: './no/such/dir' } }, /no directory at/],
    [{ python: { path: ['a:b'] } }, /"python.path" must be a list of directories/],
    [{ python: { colour: 'blue' } }, /unknown option "python.colour"/],
  ])('refuses %j', (options, message) => {
    expect(() =>
      resolveOptions({ wsgi: ['/ok/=python:apps'], ...options, python: { cwd, ...(options as { python?: object }).python } } as never),
    ).toThrow(message);
  });

  it('refuses a python option that is not an object', () => {
    expect(() => resolveOptions({ python: 'yes' } as never)).toThrow(/option "python" must be an object/);
  });

  it('mounts Python and JavaScript applications in the order given (the first that matches serves)', () => {
    const server = createServer({
      port: 0,
      root: false,
      cgi: false,
      wsgi: ['/a/b/=python:apps', '/a/=./test/fixtures/wsgi/pep3333.mjs', '/=python:demo'],
      python: { cwd },
    });
    expect(server.routes.routes.map((r) => r.route.name).filter((n) => /^(wsgi|python) /.test(n!))).toEqual([
      'python /a/b',
      'wsgi /a',
      'python /',
    ]);
    expect(server.pythonPools.map((p) => p.app.callable)).toEqual(['apps:application', 'demo:application']);
    expect(server.pool).toBeDefined();
  });

  it('flags', () => {
    const argv = [
      '--wsgi',
      '/py/=python:apps:app',
      '--python',
      'python3.11',
      '--python-processes',
      '2',
      '--python-max-processes',
      '4',
      '--python-threads',
      '8',
      '--python-cwd',
      'site',
      '--python-path',
      'lib',
      '--python-path',
      'vendor',
    ];
    expect(parseArgs(argv, flags).options).toEqual({
      wsgi: ['/py/=python:apps:app'],
      python: { executable: 'python3.11', processes: 2, maxProcesses: 4, threads: 8, cwd: 'site', path: ['lib', 'vendor'] },
    });
    expect(() => parseArgs(['--python-threads', '0'], flags)).toThrow(/--python-threads must be from 1/);
    expect(() => parseArgs(['--python-processes', 'two'], flags)).toThrow(/--python-processes needs a whole number/);
  });
});
