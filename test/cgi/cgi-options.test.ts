import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandFor } from '../../components/cgi/cgi-handler.js';
import { findOnPath, resolveCgiOptions } from '../../components/cgi/options.js';
import { CliError, parseArgs } from '../../src/cli/args.js';
import { cgiFlags as flags } from '../../src/cli/flags-cgi.js';
import { resolveOptions } from '../../src/server/options.js';
import { request, startServer } from '../helpers/http.js';
import { fixtures } from './setup.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'boxwire-cgi-options-'));
  mkdirSync(join(dir, 'cgi'));
  writeFileSync(join(dir, 'prog.cgi'), '#!/bin/sh\n');
  chmodSync(join(dir, 'prog.cgi'), 0o755);
  writeFileSync(join(dir, 'data.bin'), 'x');
  writeFileSync(join(dir, 'app.py'), 'print()');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveCgiOptions', () => {
  it('maps nothing unless told to, even where ./cgi exists', () => {
    expect(resolveCgiOptions(undefined, {}, dir).mappings).toEqual([]);
    expect(resolveCgiOptions(false, {}, dir).mappings).toEqual([]);
    const resolved = resolveCgiOptions([{ prefix: '/cgi-bin/', path: './cgi' }], {}, dir);
    expect(resolved.mappings).toEqual([{ mount: '/cgi-bin', route: '/cgi-bin/*', path: join(dir, 'cgi'), kind: 'directory' }]);
  });

  it('has the documented defaults', () => {
    const r = resolveCgiOptions(false, {}, dir, { PATH: '' });
    expect(r).toMatchObject({
      timeLimit: 60_000,
      killGrace: 2_000,
      concurrency: 32,
      queue: 128,
      spillAt: 65_536,
      headerLimit: 65_536,
      passAuthorization: false,
      documentRoot: dir,
    });
    expect([...r.interpreters]).toEqual([
      ['.py', ['python3']],
      ['.pl', ['perl']],
      ['.sh', ['sh']],
    ]);
    expect(r.inherit).toEqual(['PATH', 'LANG', 'LANGUAGE', 'LC_*', 'TZ', 'TMPDIR']);
  });

  it("keeps the allow-listed part of the server's environment, read once", () => {
    const env: Record<string, string> = { PATH: '/bin', LC_ALL: 'C', LANGUAGE: 'fr', HOME: '/root', LANGUAGES: 'no', SECRET: 'no' };
    const r = resolveCgiOptions(false, { passEnv: ['HOME'] }, dir, env);
    expect(r.serverEnv).toEqual({ PATH: '/bin', LC_ALL: 'C', LANGUAGE: 'fr', HOME: '/root' });
    env.TZ = 'UTC';
    expect(r.serverEnv).not.toHaveProperty('TZ');
  });

  it('maps .php to php-cgi only when php-cgi is on the PATH', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    expect(resolveCgiOptions(false, {}, dir, { PATH: bin }).interpreters.has('.php')).toBe(false);
    writeFileSync(join(bin, 'php-cgi'), '#!/bin/sh\n');
    chmodSync(join(bin, 'php-cgi'), 0o755);
    expect(resolveCgiOptions(false, {}, dir, { PATH: bin }).interpreters.get('.php')).toEqual(['php-cgi']);
    expect(findOnPath('php-cgi', `/nonexistent:${bin}`)).toBe(join(bin, 'php-cgi'));
  });

  it('takes prefixes with or without a trailing slash, directories and programs', () => {
    const r = resolveCgiOptions(
      [
        { prefix: '/scripts', path: 'cgi' },
        { prefix: '/app/', path: join(dir, 'prog.cgi') },
        { prefix: '/', path: 'cgi' },
      ],
      {},
      dir,
    );
    expect(r.mappings.map((m) => [m.mount, m.route, m.kind])).toEqual([
      ['/scripts', '/scripts/*', 'directory'],
      ['/app', '/app/*', 'program'],
      ['', '/*', 'directory'],
    ]);
  });

  const refusals: [string, Parameters<typeof resolveCgiOptions>[0], Parameters<typeof resolveCgiOptions>[1], RegExp][] = [
    ['a missing path', [{ prefix: '/x/', path: 'nowhere' }], {}, /does not exist/],
    ['a relative prefix', [{ prefix: 'x/', path: 'cgi' }], {}, /prefix "x\/"/],
    ['a prefix with dot segments', [{ prefix: '/a/../b/', path: 'cgi' }], {}, /prefix/],
    ['a prefix with a route wildcard', [{ prefix: '/a/*', path: 'cgi' }], {}, /prefix/],
    [
      'a prefix mapped twice',
      [
        { prefix: '/a/', path: 'cgi' },
        { prefix: '/a', path: 'cgi' },
      ],
      {},
      /mapped twice/,
    ],
    ['a program that cannot run', [{ prefix: '/a/', path: 'data.bin' }], {}, /neither executable/],
    ['an unknown option', false, { timelimit: 5 } as never, /unknown option "cgiOptions.timelimit"/],
    ['a bad time limit', false, { timeLimit: -1 }, /timeLimit/],
    ['a fractional concurrency', false, { concurrency: 1.5 }, /concurrency/],
    ['a bad variable name', false, { env: { 'A-B': '1' } }, /not a variable name/],
    ['a NUL in a variable', false, { env: { A: 'x\0y' } }, /without NUL/],
    ['a bad passEnv', false, { passEnv: ['$HOME'] }, /passEnv/],
    ['a bad extension', false, { interpreters: { py: 'python3' } }, /not an extension/],
    ['an empty interpreter', false, { interpreters: { '.rb': [] } }, /interpreters\.\.rb/],
    ['a bad authenticate', false, { authenticate: 'yes' } as never, /authenticate/],
  ];
  for (const [name, mappings, options, message] of refusals) {
    it(`refuses ${name}`, () => expect(() => resolveCgiOptions(mappings, options, dir)).toThrow(message));
  }

  it('runs a program mapping through its interpreter when it is not executable', () => {
    const r = resolveCgiOptions([{ prefix: '/py', path: join(dir, 'app.py') }], {}, dir);
    expect(r.mappings[0]!.kind).toBe('program');
    expect(commandFor(join(dir, 'app.py'), false, r.interpreters)).toEqual(['python3', join(dir, 'app.py')]);
    expect(commandFor('/x/run.sh', true, r.interpreters)).toEqual(['/x/run.sh']);
    expect(commandFor('/x/run.RB', false, r.interpreters)).toBeUndefined();
  });

  it('merges interpreters over the defaults, removing with false', () => {
    const r = resolveCgiOptions(false, { interpreters: { '.RB': 'ruby', '.py': ['python3', '-u'], '.pl': false } }, dir);
    expect(r.interpreters.get('.rb')).toEqual(['ruby']);
    expect(r.interpreters.get('.py')).toEqual(['python3', '-u']);
    expect(r.interpreters.has('.pl')).toBe(false);
  });

  it('is part of resolveOptions, which refuses a bad cgi option with a TypeError', () => {
    expect(() => resolveOptions({ cgi: 'yes' as never })).toThrow(TypeError);
    expect(() => resolveOptions({ cgi: [{ prefix: '/x/', path: '/definitely/not/here' }] })).toThrow(/does not exist/);
    expect(resolveOptions({ cgi: false }).cgi.mappings).toEqual([]);
  });
});

describe('CGI command-line flags', () => {
  const parse = (...argv: string[]) => parseArgs(argv, flags).options;

  it('--cgi PREFIX=PATH, repeatable, replacing the default', () => {
    expect(parse('--cgi', '/cgi-bin/=./cgi', '--cgi=/app=/srv/app.cgi').cgi).toEqual([
      { prefix: '/cgi-bin/', path: './cgi' },
      { prefix: '/app', path: '/srv/app.cgi' },
    ]);
    expect(parse('--cgi', 'off').cgi).toBe(false);
    expect(() => parse('--cgi', 'off', '--cgi', '/a=b')).toThrow(CliError);
    expect(() => parse('--cgi', 'nothing')).toThrow(/NAME=VALUE/);
  });

  it('--cgi-env NAME=VALUE and NAME, --cgi-interpreter, --cgi-pass-authorization', () => {
    const o = parse(
      '--cgi-env',
      'A=1',
      '--cgi-env',
      'B=x=y',
      '--cgi-env',
      'HOME',
      '--cgi-interpreter',
      '.rb=ruby -w',
      '--cgi-interpreter',
      '.php=off',
      '--cgi-pass-authorization',
    );
    expect(o.cgiOptions).toEqual({
      env: { A: '1', B: 'x=y' },
      passEnv: ['HOME'],
      interpreters: { '.rb': ['ruby', '-w'], '.php': false },
      passAuthorization: true,
    });
  });

  it('--cgi-timeout, --cgi-max, --cgi-queue', () => {
    expect(parse('--cgi-timeout', '2.5', '--cgi-max', '4', '--cgi-queue', '0').cgiOptions).toEqual({
      timeLimit: 2500,
      concurrency: 4,
      queue: 0,
    });
    expect(() => parse('--cgi-max', '0')).toThrow(CliError);
    expect(() => parse('--cgi-timeout', 'soon')).toThrow(CliError);
  });

  it('flags resolve into options', () => {
    const resolved = resolveOptions(parse('--cgi', `/t/=${fixtures}`, '--cgi-max', '3', '--cgi-env', 'X=1') as never);
    expect(resolved.cgi.mappings[0]!.path).toBe(resolve(fixtures));
    expect(resolved.cgi.concurrency).toBe(3);
    expect(resolved.cgi.env).toEqual({ X: '1' });
  });
});

describe('createServer with cgi: false', () => {
  it('serves no CGI at all', async () => {
    const { port } = await startServer({ cgi: false });
    // No route at all: the router says it implements no GET (501).
    const response = await request(port, { path: '/cgi-bin/hello.sh' });
    expect([404, 501]).toContain(response.status);
    expect(response.text).not.toContain('Hello');
  });
});
