import { describe, expect, it } from 'vitest';
import { findScript, resolveScript, type ScriptFs, type ScriptStat } from '../../src/http/cgi-script-path.js';

/**
 * A file system as a table: path -> what is there. Symlinks are entries whose
 * `link` is where they point; stat follows them, realpath resolves them.
 */
type Entry = ScriptStat | { readonly link: string };
function fakeFs(entries: Record<string, Entry>): ScriptFs & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (path: string, depth = 0): string | undefined => {
    if (depth > 8) return undefined;
    // Resolve each leading part, so a link to a directory applies below it.
    const parts = path.split('/').slice(1);
    let at = '';
    for (const part of parts) {
      at = `${at}/${part}`;
      const entry = entries[at];
      if (entry && 'link' in entry) {
        const target = resolve(entry.link, depth + 1);
        if (target === undefined) return undefined;
        at = target;
      } else if (!entry) return undefined;
    }
    return at;
  };
  return {
    calls,
    async stat(path) {
      calls.push(`stat ${path}`);
      const real = resolve(path);
      if (real === undefined) return undefined;
      return entries[real] as ScriptStat;
    },
    async realpath(path) {
      calls.push(`realpath ${path}`);
      const real = resolve(path);
      if (real === undefined) throw new Error('ENOENT');
      return real;
    },
  };
}

const dir: ScriptStat = { kind: 'directory', mode: 0o755 };
const exe: ScriptStat = { kind: 'file', mode: 0o755 };
const text: ScriptStat = { kind: 'file', mode: 0o644 };

const tree: Record<string, Entry> = {
  '/srv': dir,
  '/srv/cgi': dir,
  '/srv/cgi/hello.sh': exe,
  '/srv/cgi/env.py': text,
  '/srv/cgi/sub': dir,
  '/srv/cgi/sub/deep.pl': exe,
  '/srv/cgi/.secret': exe,
  '/srv/cgi/.hidden': dir,
  '/srv/cgi/.hidden/x.sh': exe,
  '/srv/cgi/fifo': { kind: 'other', mode: 0o644 },
  '/srv/cgi/alias.sh': { link: '/srv/cgi/hello.sh' },
  '/srv/cgi/escape.sh': { link: '/bin/sh' },
  '/srv/cgi/updir': { link: '/srv' },
  '/srv/cgi/outside': { link: '/srv/cgi-evil' },
  '/srv/cgi-evil': dir,
  '/srv/cgi-evil/run.sh': exe,
  '/srv/other.sh': exe,
  '/bin': dir,
  '/bin/sh': exe,
};

describe('resolveScript', () => {
  const cases: [string, string, Record<string, unknown>][] = [
    [
      '/hello.sh',
      'a script',
      { ok: true, scriptName: '/cgi-bin/hello.sh', pathInfo: '', filename: '/srv/cgi/hello.sh', name: 'hello.sh', executable: true },
    ],
    [
      '/hello.sh/a/b',
      'a script with PATH_INFO',
      { ok: true, scriptName: '/cgi-bin/hello.sh', pathInfo: '/a/b', filename: '/srv/cgi/hello.sh' },
    ],
    ['/hello.sh/', 'a trailing slash is PATH_INFO', { ok: true, scriptName: '/cgi-bin/hello.sh', pathInfo: '/' }],
    ['/hello.sh/.x/..y', 'dotted PATH_INFO segments are data, not files', { ok: true, pathInfo: '/.x/..y' }],
    ['/env.py', 'a script without the executable bit', { ok: true, executable: false }],
    [
      '/sub/deep.pl/x',
      'a script in a subdirectory',
      { ok: true, scriptName: '/cgi-bin/sub/deep.pl', pathInfo: '/x', filename: '/srv/cgi/sub/deep.pl' },
    ],
    [
      '/alias.sh',
      'a symlink to a script inside the directory',
      { ok: true, scriptName: '/cgi-bin/alias.sh', filename: '/srv/cgi/hello.sh', name: 'alias.sh' },
    ],
    ['/nothing.sh', 'a missing script', { ok: false, status: 404 }],
    ['/sub/nothing/x', 'a missing script in a subdirectory', { ok: false, status: 404 }],
    ['', 'the directory itself', { ok: false, status: 403 }],
    ['/', 'the directory with a slash', { ok: false, status: 403 }],
    ['/sub', 'a subdirectory', { ok: false, status: 403 }],
    ['/sub/', 'a subdirectory with a slash', { ok: false, status: 403 }],
    ['/.secret', 'a dotfile', { ok: false, status: 403 }],
    ['/.hidden/x.sh', 'a script in a dot-directory', { ok: false, status: 403 }],
    ['/..', 'a dot-dot segment (the parser removes them; refused here anyway)', { ok: false, status: 403 }],
    ['/../other.sh', 'climbing out', { ok: false, status: 403 }],
    ['/sub/../../other.sh', 'climbing out from below', { ok: false, status: 403 }],
    ['/.', 'a dot segment', { ok: false, status: 403 }],
    ['/fifo', 'not a regular file', { ok: false, status: 403 }],
    ['/escape.sh', 'a symlink to a program outside', { ok: false, status: 403 }],
    ['/updir/other.sh', 'a symlinked directory leading outside', { ok: false, status: 403 }],
    ['/outside/run.sh', 'a sibling directory whose name starts with the root', { ok: false, status: 403 }],
    ['/hello.sh\0.txt', 'a NUL', { ok: false, status: 404 }],
  ];
  for (const [rest, name, expected] of cases) {
    it(`${name}: ${JSON.stringify(rest)}`, async () => {
      const found = await resolveScript('/srv/cgi', '/cgi-bin', rest, fakeFs(tree));
      expect(found).toMatchObject(expected);
    });
  }

  it('never looks at the disk for a refused segment', async () => {
    const fs = fakeFs(tree);
    await resolveScript('/srv/cgi', '/cgi-bin', '/../../etc/passwd', fs);
    await resolveScript('/srv/cgi', '/cgi-bin', '/.secret', fs);
    expect(fs.calls).toEqual([]);
  });

  it('works with a root given with a trailing slash', async () => {
    expect(await resolveScript('/srv/cgi/', '/x', '/hello.sh', fakeFs(tree))).toMatchObject({ ok: true, scriptName: '/x/hello.sh' });
  });
});

describe('findScript in a document root (scripts by extension)', () => {
  const docroot: Record<string, Entry> = {
    '/www': dir,
    '/www/index.php': text,
    '/www/info.php': text,
    '/www/wiki': dir,
    '/www/wiki/doku.php': text,
    '/www/style.css': text,
    '/www/dir.php': dir,
    '/www/dir.php/inside.txt': text,
    '/www/dir.php/inside.php': text,
    '/www/docs': dir,
    '/www/docs/index.html': text,
    '/www/both': dir,
    '/www/both/index.html': text,
    '/www/both/index.php': text,
    '/www/.hidden': dir,
    '/www/.hidden/x.php': text,
    '/www/.env.php': text,
    '/www/fake.php': { link: '/www/style.css' },
    '/www/alias.php': { link: '/www/info.php' },
    '/www/escape.php': { link: '/srv/other.php' },
    '/www/Upper.PHP': text,
    '/www/fifo.php': { kind: 'other', mode: 0o644 },
    '/srv': dir,
    '/srv/other.php': text,
  };
  const policy = {
    root: '/www',
    rootReal: '/www',
    dotfiles: 'ignore' as const,
    symlinks: 'inside' as const,
    excludeReal: [],
    runs: (name: string) => /\.php$/i.test(name),
    index: ['index.php', 'index.html'],
  };
  const cases: [string, string, Record<string, unknown>][] = [
    ['/info.php', 'a script', { ok: true, scriptName: '/info.php', pathInfo: '', filename: '/www/info.php' }],
    [
      '/wiki/doku.php/some/page',
      'PATH_INFO split where the script is',
      { ok: true, scriptName: '/wiki/doku.php', pathInfo: '/some/page', filename: '/www/wiki/doku.php' },
    ],
    ['/info.php/', 'a trailing slash is PATH_INFO', { ok: true, pathInfo: '/' }],
    ['/info.php/.x/../y', 'dotted PATH_INFO is data', { ok: true, pathInfo: '/.x/../y' }],
    ['/', 'the root: its index script', { ok: true, scriptName: '/index.php', pathInfo: '', filename: '/www/index.php' }],
    ['', 'the root without a slash', { ok: true, scriptName: '/index.php' }],
    ['/both/', 'the first index file that exists wins (a script)', { ok: true, scriptName: '/both/index.php' }],
    ['/docs/', 'an index file that is a document', { ok: 'document' }],
    ['/docs', 'a directory without its slash', { ok: 'document' }],
    ['/style.css', 'a document', { ok: 'document' }],
    ['/style.css/x', 'a document with more after it (the document root answers 404)', { ok: 'document' }],
    ['/dir.php', 'a directory named like a script is a directory', { ok: 'document' }],
    ['/dir.php/inside.txt', 'a document inside it', { ok: 'document' }],
    ['/dir.php/inside.php', 'a script inside it', { ok: true, scriptName: '/dir.php/inside.php', filename: '/www/dir.php/inside.php' }],
    ['/Upper.PHP', 'the extension in another case', { ok: true, filename: '/www/Upper.PHP' }],
    ['/alias.php', 'a symlink to a script inside the root', { ok: true, name: 'alias.php', filename: '/www/info.php' }],
    ['/missing.php', 'no such script', { ok: false, status: 404 }],
    ['/missing.php/x', 'no such script, with PATH_INFO', { ok: false, status: 404 }],
    ['/.env.php', 'a dotfile (ignored: 404)', { ok: false, status: 404 }],
    ['/.hidden/x.php', 'in a dot-directory', { ok: false, status: 404 }],
    ['/fake.php', 'a script name leading to a document', { ok: false, status: 403 }],
    ['/escape.php', 'a symlink leading out of the root', { ok: false, status: 403 }],
    ['/fifo.php', 'not a regular file', { ok: false, status: 403 }],
    ['/info.php\0.txt', 'a NUL', { ok: false, status: 404 }],
    ['/a\\..\\info.php', 'a backslash', { ok: false, status: 400 }],
  ];
  for (const [rest, name, expected] of cases) {
    it(`${name}: ${JSON.stringify(rest)}`, async () => {
      expect(await findScript(policy, '', rest, fakeFs(docroot))).toMatchObject(expected);
    });
  }

  it('dotfiles "deny" refuses with 403, "allow" runs them', async () => {
    expect(await findScript({ ...policy, dotfiles: 'deny' }, '', '/.env.php', fakeFs(docroot))).toMatchObject({ ok: false, status: 403 });
    expect(await findScript({ ...policy, dotfiles: 'allow' }, '', '/.env.php', fakeFs(docroot))).toMatchObject({ ok: true });
  });

  it('symlinks "refuse" refuses a script reached through one; "follow" runs one outside', async () => {
    expect(await findScript({ ...policy, symlinks: 'refuse' }, '', '/alias.php', fakeFs(docroot))).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(await findScript({ ...policy, symlinks: 'follow' }, '', '/escape.php', fakeFs(docroot))).toMatchObject({
      ok: true,
      filename: '/srv/other.php',
    });
  });

  it('an excluded directory is never run from', async () => {
    const excluded = { ...policy, excludeReal: ['/www/wiki'] };
    expect(await findScript(excluded, '', '/wiki/doku.php', fakeFs(docroot))).toMatchObject({ ok: false, status: 404 });
  });
});
