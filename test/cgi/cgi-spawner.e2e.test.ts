/**
 * The two ways scripts start (components/cgi/spawner.ts): the native
 * spawner (posix_spawn on a pool thread, pidfd, its own pipes), which the
 * other CGI tests use, and child_process.spawn, the fallback. Both must
 * start scripts the same way, fail the same way, and leave nothing behind.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCgiOptions } from '../../components/cgi/options.js';
import { CgiProcesses } from '../../components/cgi/processes.js';
import { nativeChildrenWatched, nativeSpawnerMissing, spawnNative, type ScriptChild } from '../../components/cgi/spawner.js';
import { raw, request, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { childProcesses, groupAlive } from '../helpers/processes.js';
import { fixtures, startCgi } from './setup.js';

const spawners = ['native', 'node'] as const;

/**
 * Interpreters for the fixtures that cannot be run: one not on PATH, one
 * that is not executable, one found on PATH (the fixtures first) but not
 * executable.
 */
const broken = { '.nope': 'boxwire-no-such-interpreter', '.nope2': join(fixtures, 'notes.txt'), '.nope3': 'notes.txt' };
const brokenPath = { PATH: `${fixtures}:${process.env.PATH}` };

describe('the native spawner', () => {
  it('is built and loads here (npm install builds it), and is what "auto" picks', () => {
    expect(nativeSpawnerMissing()).toBeUndefined();
    expect(resolveCgiOptions(false).spawner).toBe('native');
    expect(resolveCgiOptions(false, { spawner: 'node' }).spawner).toBe('node');
    expect(resolveCgiOptions(false, {}, process.cwd(), { BOXWIRE_CGI_SPAWNER: 'node' }).spawner).toBe('node');
    expect(() => resolveCgiOptions(false, { spawner: 'fork' as 'node' })).toThrow(/cgiOptions.spawner/);
    expect(() => resolveCgiOptions(false, {}, process.cwd(), { BOXWIRE_CGI_SPAWNER: 'fork' })).toThrow(/BOXWIRE_CGI_SPAWNER/);
  });

  it('a start still on its way when the request ends: the script is killed as soon as it runs, and nothing is left', async () => {
    const processes = new CgiProcesses({ concurrency: 4, queue: 0, killGrace: 300 });
    let child: ScriptChild | undefined;
    processes.acquire((lease) => {
      child = lease.spawn(join(fixtures, 'sleeper.sh'), [], { cwd: fixtures, env: { PATH: process.env.PATH! }, spawner: 'native' });
      // Ended at once: posix_spawn is still running on its thread.
      expect(child.pid).toBeUndefined();
      lease.end();
    });
    const pid = await new Promise<number>((resolve) => child!.once('spawn', () => resolve(child!.pid!)));
    await waitFor(() => processes.running === 0 && !groupAlive(pid) && nativeChildrenWatched() === 0);
    expect(childProcesses()).toEqual([]);
  });

  it('a script that exits while its stdin is still open (more body to come): once its output has ended, no descriptor is left', async () => {
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const before = openFds();
    const child = spawnNative('/bin/sh', ['-c', 'exit 0'], { cwd: fixtures, env: { PATH: process.env.PATH! } });
    expect(child.stdin!.write(Buffer.from('some of the body'))).toBe(true);
    const ended = (stream: NodeJS.EventEmitter): Promise<unknown> => new Promise((resolve) => stream.once('end', resolve));
    await Promise.all([ended(child.stdout), ended(child.stderr), new Promise((resolve) => child.once('exit', resolve))]);
    await waitFor(() => nativeChildrenWatched() === 0);
    // Its request ends only now, and closes what is left.
    child.stdin!.destroy();
    expect(openFds()).toBe(before);
  });
});

describe.each(spawners)('scripts started by the %s spawner', (spawner) => {
  it('run in their own session and process group, in their directory, with no signal ignored; stdin is /dev/null without a body', async () => {
    const { port } = await startCgi({ spawner });
    const response = await request(port, { path: '/cgi-bin/started.sh' });
    expect(response.status).toBe(200);
    expect(response.text).toContain('SigIgn:\t0000000000000000\n');
    expect(response.text).toContain('own process group\nown session\n');
    expect(response.text).toContain(`cwd ${fixtures.replace(/\/$/, '')}\n`);
    expect(response.text).toContain('stdin /dev/null 0\n');
    const posted = await request(port, { method: 'POST', path: '/cgi-bin/started.sh', body: 'twelve bytes' });
    // A pipe from the native spawner, a Unix socket from libuv.
    expect(posted.text).toMatch(spawner === 'native' ? /\nstdin pipe 12\n/ : /\nstdin socket 12\n/);
  });

  it('stream a large body in and out, report stderr lines and exit statuses', async () => {
    const { port, logs } = await startCgi({ spawner });
    const body = Buffer.alloc(3 * 1024 * 1024, 'boxwire ');
    const posted = await request(port, { method: 'POST', path: '/cgi-bin/checksum.py', body });
    expect(posted.status).toBe(200);
    expect(posted.text).toBe(`${body.length} ${(await import('node:crypto')).createHash('sha256').update(body).digest('hex')}\n`);
    const big = await request(port, { path: '/cgi-bin/big.py?3' });
    expect(big.status).toBe(200);
    expect(big.body.equals(Buffer.alloc(3 * 1024 * 1024).map((_, i) => i % 256))).toBe(true);
    await request(port, { path: '/cgi-bin/stderr.sh' });
    await request(port, { path: '/cgi-bin/silent.sh' });
    const complaints = (): string[] => logs.errors.map((r) => r.message).filter((m) => m.includes('/cgi-bin/stderr.sh: '));
    await waitFor(() => logs.errors.some((r) => r.message.includes('silent.sh exited with status 3')) && complaints().length === 3);
    expect(complaints()).toEqual([
      'cgi GET /cgi-bin/stderr.sh HTTP/1.1: /cgi-bin/stderr.sh: first complaint',
      'cgi GET /cgi-bin/stderr.sh HTTP/1.1: /cgi-bin/stderr.sh: second complaint',
      'cgi GET /cgi-bin/stderr.sh HTTP/1.1: /cgi-bin/stderr.sh: third, without a newline',
    ]);
  });

  it('run an executable without a #! line through /bin/sh, as execvp does', async () => {
    const { port } = await startCgi({ spawner });
    const response = await request(port, { path: '/cgi-bin/noshebang.cgi' });
    expect(response.status).toBe(200);
    expect(response.text).toBe('no #! line: run by /bin/sh\n');
  });

  it('leave nothing behind: handles, watched children, processes', async () => {
    const before = snapshot();
    const { server, port } = await startCgi({ spawner, timeLimit: 800 });
    await Promise.all([
      request(port, { path: '/samples/hello.sh' }),
      request(port, { path: '/cgi-bin/sleeper.sh' }),
      request(port, { method: 'POST', path: '/cgi-bin/noread.sh', body: 'x'.repeat(300_000) }),
      request(port, { path: '/cgi-bin/missing.nope' }),
      raw(port, 'GET /samples/nph-hello.sh HTTP/1.1\r\nhost: x\r\n\r\n'),
    ]);
    await server.stop(200);
    await expectNoLeaks(before, 3_000);
    await waitFor(() => nativeChildrenWatched() === 0);
  });
});

describe('scripts that cannot be started', () => {
  /** Status and errors log of a request, for each spawner. */
  async function outcome(path: string): Promise<{ status: number; errors: string[] }[]> {
    const results = [];
    for (const spawner of spawners) {
      const { port, logs } = await startCgi({ spawner, interpreters: broken, env: brokenPath });
      const response = await request(port, { path });
      await waitFor(() => logs.errors.length > 0);
      results.push({ status: response.status, errors: logs.errors.map((r) => r.message) });
    }
    return results;
  }

  it.each([
    ['an interpreter that is not on PATH', '/cgi-bin/missing.nope', 'spawn boxwire-no-such-interpreter ENOENT'],
    ['an interpreter that is not executable', '/cgi-bin/denied.nope2', `spawn ${join(fixtures, 'notes.txt')} EACCES`],
    ['an interpreter found on PATH that is not executable', '/cgi-bin/denied.nope3', 'spawn notes.txt EACCES'],
    ['a #! line naming no file', '/cgi-bin/badbang.cgi', `spawn ${join(fixtures, 'badbang.cgi')} ENOENT`],
  ])('%s: 500, and the same log line from both spawners', async (_, path, why) => {
    const [native, node] = await outcome(path);
    expect(native!.status).toBe(500);
    expect(native!.errors.some((m) => m.includes(`could not be started: ${why}`))).toBe(true);
    expect(native).toEqual(node);
  });
});
