/**
 * Every known way of reading outside the document root, over a real socket:
 * none may return a byte of what lies outside, of a dotfile, or of an
 * excluded (CGI) directory. Each attempt also has its expected status, so a
 * change of behaviour is noticed.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTree } from '../helpers/fixture-tree.js';
import { raw, startServer } from '../helpers/http.js';

const secret = 'TOP SECRET outside the root';
const dotSecret = 'DOTFILE SECRET';
const cgiSource = '#!/bin/sh\necho CGI SOURCE';

function fixture() {
  // base/outside/secret.txt lies next to the root, base/www.
  const base = makeTree({
    outside: { 'secret.txt': secret, dir: { 'secret.txt': secret } },
    www: {
      'index.html': 'home',
      'public.txt': 'public',
      dir: { 'file.txt': 'in dir' },
      '.git': { config: dotSecret },
      '.env': dotSecret,
      cgi: { 'script.sh': cgiSource },
      'link-out': { symlink: '../outside' },
      'file-link': { symlink: '../outside/secret.txt' },
      'passwd-link': { symlink: '/etc/passwd' },
      'cgi-link': { symlink: 'cgi' },
      'script-link.txt': { symlink: 'cgi/script.sh' },
      'dot-link': { symlink: '.git' },
      'loop-a': { symlink: 'loop-b' },
      'loop-b': { symlink: 'loop-a' },
    },
  });
  // An absolute symlink out of the root.
  symlinkSync(path.join(base, 'outside', 'secret.txt'), path.join(base, 'www', 'abs-link'));
  return base;
}

/**
 * [what is tried, the request-target as sent, the status expected]. Encoded
 * slashes and encoded dot segments are refused (400) by the parser before any
 * file is looked up: they are ambiguous (see src/http/target.ts).
 */
const attempts: readonly (readonly [string, string, number])[] = [
  ['plain dot-dot', '/../outside/secret.txt', 404],
  ['dot-dot twice, to /etc', '/../../../../etc/passwd', 404],
  ['dot-dot after a directory', '/dir/../../outside/secret.txt', 404],
  ['dot segment then dot-dot', '/./../outside/secret.txt', 404],
  ['encoded dots', '/%2e%2e/outside/secret.txt', 400],
  ['encoded dots, upper case', '/%2E%2E/%2E%2E/outside/secret.txt', 400],
  ['one dot encoded', '/.%2e/outside/secret.txt', 400],
  ['the other dot encoded', '/%2e./outside/secret.txt', 400],
  ['encoded slash', '/..%2foutside%2fsecret.txt', 400],
  ['all encoded', '/%2e%2e%2foutside%2fsecret.txt', 400],
  ['double-encoded dots', '/%252e%252e/outside/secret.txt', 404],
  ['double-encoded slash', '/..%252foutside%252fsecret.txt', 404],
  ['double-encoded everything', '/%252e%252e%252f%252e%252e%252foutside%252fsecret.txt', 404],
  ['backslashes', '/..\\outside\\secret.txt', 400],
  ['encoded backslashes', '/..%5coutside%5csecret.txt', 400],
  ['encoded backslash first', '/%5c..%5c..%5coutside%5csecret.txt', 400],
  ['mixed slashes', '/dir/..%5c..%5coutside/secret.txt', 400],
  ['overlong UTF-8 dots (2 bytes)', '/%c0%ae%c0%ae/outside/secret.txt', 400],
  ['overlong UTF-8 slash', '/..%c0%afoutside%c0%afsecret.txt', 400],
  ['overlong UTF-8 dots (3 bytes)', '/%e0%80%ae%e0%80%ae/outside/secret.txt', 400],
  ['overlong UTF-8 backslash', '/..%c1%9coutside%c1%9csecret.txt', 400],
  ['IIS %u encoding', '/%u002e%u002e/outside/secret.txt', 400],
  ['fullwidth dots', '/%ef%bc%8e%ef%bc%8e/outside/secret.txt', 404],
  ['NUL byte', '/../outside/secret.txt%00.html', 400],
  ['NUL byte after a real name', '/public.txt%00/../../outside/secret.txt', 400],
  ['malformed escape', '/%2g%2e/outside/secret.txt', 400],
  ['truncated escape', '/..%2', 400],
  ['Tomcat path parameter', '/..;/outside/secret.txt', 404],
  ['double slash to an absolute path', '//etc/passwd', 404],
  ['absolute-form target with dot-dot', 'http://localhost/../outside/secret.txt', 404],
  ['symlinked directory leaving the root', '/link-out/secret.txt', 403],
  ['symlinked directory, nested', '/link-out/dir/secret.txt', 403],
  ['symlinked file leaving the root', '/file-link', 403],
  ['absolute symlink leaving the root', '/abs-link', 403],
  ['symlink to /etc/passwd', '/passwd-link', 403],
  ['symlink loop', '/loop-a', 403],
  ['dotfile', '/.env', 404],
  ['dot-directory', '/.git/config', 404],
  ['encoded dot-directory', '/%2egit/config', 404],
  ['symlink into a dot-directory', '/dot-link/config', 404],
  ['excluded (CGI) directory', '/cgi/script.sh', 404],
  ['excluded directory, listed', '/cgi/', 404],
  ['symlink into the excluded directory', '/cgi-link/script.sh', 404],
  ['symlinked file in the excluded directory', '/script-link.txt', 404],
  ['excluded directory via dot-dot', '/dir/../cgi/script.sh', 404],
];

describe('no request reads outside the document root', () => {
  it(`refuses all ${attempts.length} traversal attempts`, async () => {
    expect(attempts.length).toBeGreaterThanOrEqual(30);
    const base = fixture();
    const root = path.join(base, 'www');
    const { port } = await startServer({ root, accessLog: false, static: { exclude: [path.join(root, 'cgi')], listing: true } });
    const results: string[] = [];
    for (const [what, target, status] of attempts) {
      const { bytes, responses } = await raw(port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, {
        responses: 1,
      });
      const text = bytes.toString('latin1');
      for (const forbidden of [secret, dotSecret, 'CGI SOURCE', 'root:x:0:0']) expect(text, `${what}: leaked`).not.toContain(forbidden);
      results.push(`${what}: ${responses[0]?.status}`);
      expect(responses[0]?.status, `${what} (${target})`).toBe(status);
    }
    expect(results).toHaveLength(attempts.length);
  });

  it('lists no way out: listings hide symlinks that leave, dotfiles and excluded directories', async () => {
    const base = fixture();
    const root = path.join(base, 'www');
    const { port } = await startServer({ root, accessLog: false, static: { exclude: [path.join(root, 'cgi')], listing: true, index: [] } });
    const { responses } = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { responses: 1 });
    const names = [...responses[0]!.text.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]);
    expect(names.sort()).toEqual(['dir/', 'index.html', 'public.txt']);
  });

  it('follows symlinks out of the root only when told to, and refuses all symlinks when told to', async () => {
    const base = fixture();
    const root = path.join(base, 'www');
    writeFileSync(path.join(root, 'real.txt'), 'real');
    symlinkSync('real.txt', path.join(root, 'inside-link.txt'));
    const get = async (port: number, p: string) =>
      (await raw(port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { responses: 1 })).responses[0]!;
    const inside = await startServer({ root, accessLog: false });
    expect((await get(inside.port, '/inside-link.txt')).text).toBe('real');
    const follow = await startServer({ root, accessLog: false, static: { symlinks: 'follow', exclude: [path.join(root, 'cgi')] } });
    expect((await get(follow.port, '/file-link')).text).toBe(secret);
    expect((await get(follow.port, '/cgi-link/script.sh')).status).toBe(404); // excluded still wins
    const refuse = await startServer({ root, accessLog: false, static: { symlinks: 'refuse' } });
    expect((await get(refuse.port, '/inside-link.txt')).status).toBe(403);
    expect((await get(refuse.port, '/real.txt')).text).toBe('real');
  });

  it.runIf(process.platform === 'linux')(
    'never opens what is not a regular file: a FIFO would hang, a device never ends (403)',
    async () => {
      const root = makeTree({ zero: { symlink: '/dev/zero' } });
      execFileSync('mkfifo', [path.join(root, 'pipe')]);
      const { port } = await startServer({ root, accessLog: false, static: { symlinks: 'follow' } });
      for (const p of ['/pipe', '/zero']) {
        const { responses } = await raw(port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, {
          responses: 1,
          timeout: 2_000,
        });
        expect(responses[0]?.status, p).toBe(403);
      }
    },
  );
});
