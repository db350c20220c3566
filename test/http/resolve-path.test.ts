import { describe, expect, it } from 'vitest';
import {
  checkRealPath,
  fsRefusal,
  isWithin,
  mapUrlPath,
  resolveInRoot,
  type MappedPath,
  type RootPolicy,
} from '../../src/http/resolve-path.js';

const policy: RootPolicy = { root: '/srv/www', dotfiles: 'ignore', symlinks: 'inside', exclude: ['/srv/www/cgi-bin'] };

describe('mapUrlPath: the lexical checks', () => {
  it.each<[string, string | number]>([
    ['/', '/srv/www'],
    ['/a.txt', '/srv/www/a.txt'],
    ['/dir/', '/srv/www/dir'],
    ['/a/b/c.html', '/srv/www/a/b/c.html'],
    ['/%2e%2e/etc/passwd', '/srv/www/%2e%2e/etc/passwd'], // never decoded again: a literal name
    ['/..%2f..%2fetc', 404], // a dotfile by its literal name (starts with ".")
    ['/a//b', '/srv/www/a/b'],
    ['/../etc/passwd', 400],
    ['/a/../../etc', 400],
    ['/./a', 400],
    ['/a\\..\\..\\etc\\passwd', 400],
    ['/..\\etc', 400],
    ['/a\0b', 400],
    ['/a\nb', 400],
    ['/a\x7fb', 400],
    ['a.txt', 400],
    ['', 400],
    ['/.env', 404],
    ['/.git/config', 404],
    ['/a/.hidden/b', 404],
    ['/cgi-bin/script.sh', 404],
    ['/cgi-bin', 404],
    ['/cgi-binary/x', '/srv/www/cgi-binary/x'],
  ])('%j -> %j', (urlPath, expected) => {
    const mapped = mapUrlPath(urlPath, policy);
    if (typeof expected === 'number') expect(mapped).toMatchObject({ ok: false, status: expected });
    else expect(mapped).toMatchObject({ ok: true, fsPath: expected });
  });

  it('applies the dotfiles policy', () => {
    expect(mapUrlPath('/.well-known/x', { ...policy, dotfiles: 'deny' })).toMatchObject({ ok: false, status: 403 });
    expect(mapUrlPath('/.well-known/x', { ...policy, dotfiles: 'allow' })).toMatchObject({ ok: true, fsPath: '/srv/www/.well-known/x' });
  });

  it('marks directory paths', () => {
    expect(mapUrlPath('/dir/', policy)).toMatchObject({ directory: true, segments: ['dir'] });
    expect(mapUrlPath('/dir', policy)).toMatchObject({ directory: false });
  });
});

describe('checkRealPath: where the path really leads', () => {
  const mapped = mapUrlPath('/docs/a.txt', policy) as MappedPath;
  const root = '/data/www';
  it.each<[RootPolicy['symlinks'], string, number | undefined]>([
    ['inside', '/data/www/docs/a.txt', undefined],
    ['inside', '/data/www/other/a.txt', undefined],
    ['inside', '/etc/passwd', 403],
    ['inside', '/data/www-evil/a.txt', 403],
    ['inside', '/data/www/.git/config', 404],
    ['inside', '/data/www/cgi-bin/a.txt', 404],
    ['refuse', '/data/www/docs/a.txt', undefined],
    ['refuse', '/data/www/other/a.txt', 403],
    ['follow', '/etc/passwd', undefined],
    ['follow', '/data/www/cgi-bin/a.txt', 404],
  ])('%s: %s -> %j', (symlinks, real, status) => {
    const refused = checkRealPath(mapped, real, root, ['/data/www/cgi-bin'], { ...policy, symlinks });
    if (status === undefined) expect(refused).toBeUndefined();
    else expect(refused).toMatchObject({ ok: false, status });
  });
});

describe('resolveInRoot', () => {
  const roots = { rootReal: '/srv/www', excludeReal: ['/srv/www/cgi-bin'] };
  const fs = (links: Record<string, string>) => ({
    realpath: async (p: string) => {
      if (p in links) return links[p]!;
      if (p.includes('missing')) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return p;
    },
  });
  it('resolves, and refuses what leads out or is missing', async () => {
    expect(await resolveInRoot('/a.txt', policy, roots, fs({}))).toMatchObject({ ok: true, realPath: '/srv/www/a.txt' });
    expect(await resolveInRoot('/link', policy, roots, fs({ '/srv/www/link': '/etc/passwd' }))).toMatchObject({ ok: false, status: 403 });
    expect(await resolveInRoot('/link', policy, roots, fs({ '/srv/www/link': '/srv/www/cgi-bin/x.sh' }))).toMatchObject({
      ok: false,
      status: 404,
    });
    expect(await resolveInRoot('/missing', policy, roots, fs({}))).toMatchObject({ ok: false, status: 404 });
    expect(await resolveInRoot('/../x', policy, roots, fs({}))).toMatchObject({ ok: false, status: 400 });
  });

  it('maps file-system errors to statuses, and throws the unexpected', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(fsRefusal(err('ENOENT')).status).toBe(404);
    expect(fsRefusal(err('ENOTDIR')).status).toBe(404);
    expect(fsRefusal(err('EACCES')).status).toBe(403);
    expect(fsRefusal(err('ELOOP')).status).toBe(403);
    expect(() => fsRefusal(err('EIO'))).toThrow('EIO');
  });

  it('isWithin compares whole segments', () => {
    expect(isWithin('/a/b', '/a')).toBe(true);
    expect(isWithin('/a', '/a')).toBe(true);
    expect(isWithin('/ab', '/a')).toBe(false);
    expect(isWithin('/a/b', '/')).toBe(true);
  });
});
