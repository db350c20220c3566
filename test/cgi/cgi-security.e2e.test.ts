/**
 * Attacks on the CGI mapping, each a regression test: path traversal in its
 * encodings, dotfiles, symlinks leaving the CGI directory, and files in a
 * CGI directory that must never be served as their source text.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, request } from '../helpers/http.js';
import { fixtures, startCgi } from './setup.js';

let root: string;
let cgiDir: string;

beforeAll(() => {
  // root/outside.sh, root/secret.txt, root/cgi/ (the mapped directory) with symlinks in and out.
  root = mkdtempSync(join(tmpdir(), 'boxwire-cgi-security-'));
  cgiDir = join(root, 'cgi');
  mkdirSync(cgiDir);
  mkdirSync(join(root, 'cgi-evil'));
  copyFileSync(join(fixtures, 'sub/deep.sh'), join(root, 'outside.sh'));
  copyFileSync(join(fixtures, 'sub/deep.sh'), join(root, 'cgi-evil/run.sh'));
  copyFileSync(join(fixtures, 'sub/deep.sh'), join(cgiDir, 'inside.sh'));
  writeFileSync(join(root, 'secret.txt'), 'TOP SECRET\n');
  writeFileSync(join(cgiDir, 'page.php'), '<?php echo "PHP SOURCE"; ?>\n');
  chmodSync(join(root, 'outside.sh'), 0o755);
  chmodSync(join(root, 'cgi-evil/run.sh'), 0o755);
  chmodSync(join(cgiDir, 'inside.sh'), 0o755);
  symlinkSync(join(cgiDir, 'inside.sh'), join(cgiDir, 'alias.sh')); // inside: fine
  symlinkSync(join(root, 'outside.sh'), join(cgiDir, 'escape.sh')); // a script outside
  symlinkSync('../outside.sh', join(cgiDir, 'relative.sh')); // the same, relative
  symlinkSync('/bin/sh', join(cgiDir, 'shell')); // a program outside
  symlinkSync(root, join(cgiDir, 'up')); // a directory outside
  symlinkSync(join(root, 'cgi-evil'), join(cgiDir, 'evil')); // a sibling whose name starts like ours
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const startMapped = () =>
  startCgi(
    { interpreters: { '.php': false } },
    {
      cgi: [
        { prefix: '/cgi-bin/', path: fixtures },
        { prefix: '/x/', path: cgiDir },
      ],
    },
  );

describe('CGI security', () => {
  const traversals = [
    '/cgi-bin/../../../../etc/passwd',
    '/cgi-bin/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/cgi-bin/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/cgi-bin/%2E%2E%2F%2E%2E%2Fetc/passwd',
    '/cgi-bin/.%2e/.%2e/etc/passwd',
    '/cgi-bin/%252e%252e/%252e%252e/etc/passwd',
    '/cgi-bin/..\\..\\..\\etc\\passwd',
    '/cgi-bin/..%5c..%5c..%5cetc%5cpasswd',
    '/cgi-bin/env.py/../../../etc/passwd',
    '/cgi-bin/sub/../../fixtures/cgi/env.py',
    '/cgi-bin//..//..//etc/passwd',
    '/cgi-bin/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '/cgi-bin/%00/../env.py',
    '/cgi-bin/env.py%00.txt',
    '/x/up/secret.txt',
    '/x/up/outside.sh',
  ];
  for (const target of traversals) {
    it(`refuses traversal ${target}`, async () => {
      const { port } = await startMapped();
      const { responses } = await raw(port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      const response = responses[0]!;
      expect([400, 403, 404]).toContain(response.status);
      expect(response.text).not.toMatch(/root:|TOP SECRET|"env":|\.sh\|/);
    });
  }

  it('refuses traversal in an absolute-form target', async () => {
    const { port } = await startMapped();
    const { responses } = await raw(port, 'GET http://x/cgi-bin/../../../etc/passwd HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(responses[0]!.status).toBe(404);
  });

  it('refuses dotfiles, however they are reached', async () => {
    const { port } = await startMapped();
    for (const path of ['/cgi-bin/.hidden.sh', '/cgi-bin/sub/../.hidden.sh', '/cgi-bin/%2ehidden.sh', '/cgi-bin/.hidden.sh/path/info']) {
      const response = await request(port, { path });
      expect(response.status, path).toBe(403);
      expect(response.text).not.toContain('secret');
    }
  });

  it('runs a symlink that stays inside; refuses every one that leaves', async () => {
    const { port, logs } = await startMapped();
    expect((await request(port, { path: '/x/alias.sh/p' })).text).toBe('/x/alias.sh|/p\n');
    expect((await request(port, { path: '/x/inside.sh' })).status).toBe(200);
    for (const path of ['/x/escape.sh', '/x/relative.sh', '/x/shell', '/x/up/outside.sh', '/x/evil/run.sh']) {
      const response = await request(port, { path });
      expect(response.status, path).toBe(403);
      expect(response.text).not.toContain('|');
    }
    expect(logs.errors.some((r) => r.message.includes('outside'))).toBe(true);
  });

  it('never serves a file in a CGI directory as text', async () => {
    const { port } = await startMapped();
    // Neither executable nor mapped to an interpreter.
    const notes = await request(port, { path: '/cgi-bin/notes.txt' });
    expect(notes.status).toBe(403);
    expect(notes.text).not.toContain('SOURCE TEXT');
    // .php with its interpreter switched off (or php-cgi not installed).
    const php = await request(port, { path: '/x/page.php' });
    expect(php.status).toBe(403);
    expect(php.text).not.toContain('PHP SOURCE');
    // Without the executable bit but with an interpreter: run, not shown.
    expect((await request(port, { path: '/cgi-bin/plain.py' })).text).toBe('run by an interpreter\n');
    expect((await request(port, { path: '/cgi-bin/source.sh' })).text).toBe('ran, not shown\n');
    // The directory itself is not listed.
    for (const path of ['/cgi-bin', '/cgi-bin/', '/cgi-bin/sub/']) expect((await request(port, { path })).status, path).toBe(403);
  });

  it('refuses a script whose interpreter was switched off', async () => {
    const { port } = await startCgi({ interpreters: { '.py': false } });
    const response = await request(port, { path: '/cgi-bin/plain.py' });
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('sys.stdout');
  });

  it('refuses control characters and encoded newlines in the path before any script runs', async () => {
    const { port } = await startMapped();
    for (const target of ['/cgi-bin/env.py/%0d%0aX-Injected:%20yes', '/cgi-bin/env.py%0a']) {
      const { responses } = await raw(port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      expect(responses[0]!.status, target).toBe(400);
    }
  });
});
