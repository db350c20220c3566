import { describe, expect, it } from 'vitest';
import { resolveScript, type ScriptFs, type ScriptStat } from '../../src/http/cgi-script-path.js';

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
