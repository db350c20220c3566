import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, parseArgs, serverFlags } from '../../src/cli/args.js';
import { staticFlags } from '../../src/cli/flags-static.js';
import { resolveOptions, type ServerOptions } from '../../src/server/options.js';
import { defaultStaticCache } from '../../components/static-file/options.js';
import { defaultCompress } from '../../components/compress-options.js';

const flags = [...serverFlags, ...staticFlags];

describe('static options', () => {
  it('defaults: no document root (the command gives the current directory), safe policies, cache on, compression off', () => {
    const o = resolveOptions({});
    expect(o.root).toBe(false);
    expect(resolveOptions({ root: '.' }).root).toBe(path.resolve('.'));
    expect(o.static).toMatchObject({
      index: ['index.html'],
      listing: false,
      dotfiles: 'ignore',
      symlinks: 'inside',
      precompressed: [],
      exclude: [],
      cache: defaultStaticCache,
      cachePolicy: { maxAge: 0, immutable: undefined },
    });
    expect(o.compress).toBe(false);
    expect(resolveOptions({ compress: true }).compress).toEqual(defaultCompress);
    expect(resolveOptions({ root: false }).root).toBe(false);
    expect(resolveOptions({ root: 'static' }).root).toBe(path.resolve('static'));
    expect(resolveOptions({ static: { exclude: ['cgi'] } }).static.exclude).toEqual([path.resolve('cgi')]);
    expect(resolveOptions({ static: { precompressed: true } }).static.precompressed).toEqual(['br', 'gzip']);
  });

  it.each<[string, ServerOptions, RegExp]>([
    ['root', { root: '' }, /"root"/],
    ['root that is not a directory', { root: 'package.json' }, /"root": no directory at package\.json/],
    ['root type', { root: 42 as never }, /"root"/],
    ['unknown static key', { static: { indexes: [] } as never }, /unknown option "static.indexes"/],
    ['index with a slash', { static: { index: ['a/b.html'] } }, /"static.index"/],
    ['index dot-dot', { static: { index: ['..'] } }, /"static.index"/],
    ['listing', { static: { listing: 'yes' as never } }, /"static.listing"/],
    ['dotfiles', { static: { dotfiles: 'show' as never } }, /"static.dotfiles"/],
    ['symlinks', { static: { symlinks: 'yes' as never } }, /"static.symlinks"/],
    ['mime type', { static: { mime: { '.md': 'markdown' } } }, /"static.mime"/],
    ['mime extension', { static: { mime: { 'a/b': 'text/plain' } } }, /"static.mime"/],
    ['maxAge', { static: { maxAge: -1 } }, /"static.maxAge"/],
    ['maxAge fraction', { static: { maxAge: 1.5 } }, /"static.maxAge"/],
    ['immutable', { static: { immutable: '\\.x' as never } }, /"static.immutable"/],
    ['precompressed', { static: { precompressed: ['zstd'] as never } }, /"static.precompressed"/],
    ['exclude', { static: { exclude: [''] } }, /"static.exclude"/],
    ['cache key', { static: { cache: { size: 1 } as never } }, /unknown option "static.cache.size"/],
    ['cache value', { static: { cache: { bytes: -1 } } }, /"static.cache.bytes"/],
    ['maxRanges', { static: { maxRanges: 0 } }, /"static.maxRanges"/],
    ['compress type', { compress: 'yes' as never }, /"compress"/],
    ['compress key', { compress: { level: 1 } as never }, /unknown option "compress.level"/],
    ['compress encodings', { compress: { encodings: [] } }, /"compress.encodings"/],
    ['compress gzipLevel', { compress: { gzipLevel: 10 } }, /"compress.gzipLevel"/],
    ['compress brotliQuality', { compress: { brotliQuality: 12 } }, /"compress.brotliQuality"/],
    ['compress minSize', { compress: { minSize: -5 } }, /"compress.minSize"/],
  ])('refuses a bad %s with a TypeError naming it', (_, options, message) => {
    expect(() => resolveOptions(options)).toThrow(TypeError);
    expect(() => resolveOptions(options)).toThrow(message);
  });
});

describe('static flags', () => {
  const resolved = (...argv: string[]) => resolveOptions(parseArgs(argv, flags).options as ServerOptions);

  it('set every option', () => {
    const o = resolved(
      '--root',
      'static',
      '--index',
      'index.htm',
      '--index',
      'default.html',
      '--listing',
      '--dotfiles',
      'deny',
      '--symlinks',
      'refuse',
      '--mime',
      '.md=text/markdown',
      '--mime',
      '.log=text/plain',
      '--max-age',
      '600',
      '--immutable',
      '\\.[0-9a-f]{8}\\.',
      '--precompressed',
      '--exclude',
      'cgi',
      '--exclude',
      '/srv/private',
      '--no-file-cache',
      '--compress',
    );
    expect(o.root).toBe(path.resolve('static'));
    expect(o.static.index).toEqual(['index.htm', 'default.html']);
    expect(o.static.listing).toBe(true);
    expect(o.static.dotfiles).toBe('deny');
    expect(o.static.symlinks).toBe('refuse');
    expect([...o.static.mime]).toEqual([
      ['.md', 'text/markdown; charset=utf-8'],
      ['.log', 'text/plain; charset=utf-8'],
    ]);
    expect(o.static.cachePolicy.maxAge).toBe(600);
    expect(o.static.cachePolicy.immutable?.test('app.0123abcd.js')).toBe(true);
    expect(o.static.precompressed).toEqual(['br', 'gzip']);
    expect(o.static.exclude).toEqual([path.resolve('cgi'), '/srv/private']);
    expect(o.static.cache).toBe(false);
    expect(o.compress).toEqual(defaultCompress);
  });

  it('turn things off', () => {
    expect(resolved('--root', 'off').root).toBe(false);
    expect(resolved('--index', 'off').static.index).toEqual([]);
  });

  it.each<[string[], RegExp]>([
    [['--dotfiles', 'show'], /--dotfiles takes ignore, deny, allow/],
    [['--symlinks', 'maybe'], /--symlinks takes inside, follow, refuse/],
    [['--mime', 'md'], /--mime needs NAME=VALUE/],
    [['--max-age', '-1'], /--max-age needs a whole number/],
    [['--immutable', '('], /--immutable: /],
    [['--listing=yes'], /--listing takes no value/],
  ])('refuse %j', (argv, message) => {
    expect(() => parseArgs(argv, flags)).toThrow(CliError);
    expect(() => parseArgs(argv, flags)).toThrow(message);
  });

  it('refuse a bad media type through resolveOptions', () => {
    expect(() => resolved('--mime', '.md=markdown')).toThrow(/"static.mime"/);
  });
});
