/**
 * What the command serves when it is told little: the current directory, or
 * the one it is given, and nothing else (no demo application, no thread
 * pool, no CGI from a ./cgi that happens to be there); what it prints once it
 * listens; and `npm start`'s demo, which names everything it mounts.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs, CliError } from '../src/cli/args.js';
import { flags } from '../src/cli/flags.js';
import { runCommand, startCommand } from './helpers/cli.js';
import { makeTree } from './helpers/fixture-tree.js';
import { raw, request } from './helpers/http.js';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** A site with a ./cgi directory holding a script that would run if /cgi-bin/ were mapped to it. */
function site(): string {
  const dir = makeTree({
    'hello.txt': 'hello from the site\n',
    cgi: { 'run.sh': '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nran\\n"\n' },
  });
  chmodSync(join(dir, 'cgi', 'run.sh'), 0o755);
  return dir;
}

/** The threads of a process, as Linux counts them. */
function threadsOf(pid: number): number {
  return Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

describe('the command with no root given', () => {
  it('serves the current directory', async () => {
    const boxwire = await startCommand(['--port', '0'], undefined, site());
    try {
      const file = await request(boxwire.port, { path: '/hello.txt' });
      expect([file.status, file.text]).toEqual([200, 'hello from the site\n']);
    } finally {
      boxwire.kill();
    }
  });

  it('mounts nothing it is not told to: no demo application at /app/, no CGI from a ./cgi that is there', async () => {
    const dir = site();
    const boxwire = await startCommand(['--port', '0', '--root', dir], undefined, dir);
    try {
      expect((await request(boxwire.port, { path: '/app/' })).status).toBe(404);
      expect((await request(boxwire.port, { path: '/cgi-bin/run.sh' })).status).toBe(404);
    } finally {
      boxwire.kill();
    }
  });

  it('starts no thread pool when it has no application to run', async () => {
    const dir = site();
    const boxwire = await startCommand(['--port', '0', '--root', dir, '--status', '/status']);
    try {
      const status = JSON.parse((await request(boxwire.port, { path: '/status?format=json' })).text) as { gauges: Record<string, object> };
      // A pool registers its gauge while it runs: none here, while the CGI process table is there.
      expect(Object.keys(status.gauges).filter((name) => name.startsWith('pool'))).toEqual([]);
      expect(Object.keys(status.gauges)).toContain('cgi processes');
      // Node's own threads (libuv, V8) only: ten WSGI threads would each bring their own on top.
      expect(threadsOf(boxwire.child.pid!)).toBeLessThan(16);
    } finally {
      boxwire.kill();
    }
  });

  it('serves DIR given as its argument, as --root DIR does', async () => {
    const dir = site();
    for (const args of [[dir], ['--root', dir]]) {
      const boxwire = await startCommand(['--port', '0', ...args]);
      try {
        expect((await request(boxwire.port, { path: '/hello.txt' })).text).toBe('hello from the site\n');
      } finally {
        boxwire.kill();
      }
    }
  });

  it('refuses a directory given twice, and one that does not exist', async () => {
    expect(() => parseArgs(['a', 'b'], flags)).toThrow(CliError);
    expect(() => parseArgs(['--root', 'a', 'b'], flags)).toThrow(/DIR given twice/);
    expect(() => parseArgs(['a', '--root', 'b'], flags)).toThrow(/DIR given twice/);
    const missing = runCommand(['--port', '0', '/nonexistent/boxwire-site']);
    expect(await missing.exited).toBe(2);
    expect(missing.err()).toMatch(/option "root": no directory at \/nonexistent\/boxwire-site/);
  });
});

describe('what the command prints', () => {
  it('says once what it serves where, and every address', async () => {
    const dir = site();
    const boxwire = await startCommand(
      [
        dir,
        '--port',
        '0',
        '--listen',
        '127.0.0.1:0',
        '--cgi',
        `/scripts/=${join(dir, 'cgi')}`,
        '--wsgi',
        `/app/=${repo}examples/wsgi/demo-app.mjs`,
      ],
      undefined,
    );
    try {
      await boxwire.until(/listening on http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+\n/);
      const out = boxwire.out();
      expect(out.match(/listening/g)).toHaveLength(1);
      expect(out).toMatch(/^boxwire \d+\.\d+\.\d+ serves:\n/);
      expect(out).toMatch(new RegExp(`\\n  /scripts/ +CGI scripts in ${join(dir, 'cgi')}\\n`));
      expect(out).toMatch(/\n {2}\/app\/ +the application \S+demo-app\.mjs\n/);
      expect(out).toMatch(new RegExp(`\\n  / +files in ${dir} \\(index file index\\.html\\)\\n`));
      expect(out).toMatch(/JavaScript applications on 10 threads/);
    } finally {
      boxwire.kill();
    }
  });

  it('prints status and health paths too, and with --quiet nothing but errors', async () => {
    const dir = site();
    const told = await startCommand([dir, '--port', '0', '--status', '/server-status', '--healthz', '/healthz']);
    told.kill();
    expect(told.out()).toMatch(/\n {2}\/server-status +the status page/);
    expect(told.out()).toMatch(/\n {2}\/healthz +health checks/);
    const quiet = runCommand([dir, '--port', '0', '--quiet', '--status', '/s']);
    try {
      // Quiet: the only way to know it listens is to ask. Nothing at all on stdout, the access log included.
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(quiet.out()).toBe('');
      expect(quiet.err()).toBe('');
    } finally {
      quiet.kill();
    }
  });
});

describe('npm start', () => {
  it('runs the demo configuration: the pages, the sample CGI scripts, the demo application, status and health', async () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const args = /node dist\/src\/cli\/main\.js (.*)$/.exec(pkg.scripts.start)![1]!.split(' ');
    const demo = await startCommand([...args, '--port', '0', '--min-threads', '1'], undefined, repo);
    try {
      expect((await request(demo.port, { path: '/' })).status).toBe(200);
      expect((await request(demo.port, { path: '/cgi-bin/hello.sh' })).text).toMatch(/hello/i);
      expect((await request(demo.port, { path: '/app/' })).text).toMatch(/^Hello world!\n/);
      expect((await request(demo.port, { path: '/healthz' })).status).toBe(200);
      expect((await request(demo.port, { path: '/server-status?format=json' })).status).toBe(200);
      // The chat room: its page, and its socket switching protocols (RFC 6455 §4.2.2: the key's accept value).
      expect((await request(demo.port, { path: '/chat/' })).text).toContain('new WebSocket(');
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      const { bytes } = await raw(
        demo.port,
        `GET /chat/socket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        { timeout: 2000 },
      );
      expect(bytes.toString('latin1')).toMatch(/^HTTP\/1\.1 101 [^]*Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
    } finally {
      demo.kill();
    }
  });
});
