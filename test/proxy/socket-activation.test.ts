/**
 * Socket activation: the command started the way systemd starts a service
 * from a .socket unit (test/fixtures/socket-activation/launch.py binds the
 * sockets, puts them at descriptors 3, 4, ..., sets LISTEN_FDS,
 * LISTEN_FDNAMES and LISTEN_PID, and execs boxwire in its place), serving
 * on sockets it never bound itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { raw, request } from '../helpers/http.js';
import { cli } from '../helpers/cli.js';
import { listenFds } from '../../src/server/socket-activation.js';

const launcher = fileURLToPath(new URL('../fixtures/socket-activation/launch.py', import.meta.url));
const running: ChildProcess[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

interface Activated {
  readonly child: ChildProcess;
  readonly ports: number[];
  /** Resolves with what was printed once `pattern` shows up (or the command exits). */
  until(pattern: RegExp): Promise<string>;
  readonly exited: Promise<number | null>;
}

/** boxwire with sockets named `names` passed to it, as systemd does. */
function activated(names: string[], args: string[], env: NodeJS.ProcessEnv = {}): Promise<Activated> {
  const child = spawn('/usr/bin/python3', [launcher, names.join(','), '--', process.execPath, cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.push(child);
  let output = '';
  const listeners = new Set<() => void>();
  const hear = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', hear);
  child.stderr!.on('data', hear);
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const until = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(output)) return (listeners.delete(check), resolve(output));
      };
      listeners.add(check);
      void exited.then(() => (pattern.test(output) ? resolve(output) : reject(new Error(`exited without ${pattern}:\n${output}`))));
      check();
    });
  return until(/ports [\d ]+\n/).then((text) => ({
    child,
    ports: /ports ([\d ]+)\n/.exec(text)![1]!.trim().split(' ').map(Number),
    until,
    exited,
  }));
}

describe('socket activation', () => {
  it('reads LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID, and only for its own process', () => {
    const env = { LISTEN_FDS: '2', LISTEN_PID: '42', LISTEN_FDNAMES: 'web:lb' };
    expect(listenFds(env, 42)).toEqual([
      { fd: 3, name: 'web' },
      { fd: 4, name: 'lb' },
    ]);
    expect(listenFds(env, 43)).toEqual([]);
    expect(listenFds({ LISTEN_FDS: '1', LISTEN_PID: '42' }, 42)).toEqual([{ fd: 3, name: 'unknown' }]);
    expect(listenFds({ LISTEN_FDS: 'x', LISTEN_PID: '42' }, 42)).toEqual([]);
  });

  it('serves on the socket systemd passed', async () => {
    const run = await activated(['http'], ['--listen', 'systemd', '--root', 'static', '--cgi', 'off', '--status', '/status']);
    const text = await run.until(/listening on/);
    expect(text).toContain(`http://127.0.0.1:${run.ports[0]}`);
    expect((await request(run.ports[0]!, { path: '/status?format=json' })).status).toBe(200);
  });

  it('takes sockets by name: one plain, one behind a PROXY protocol relay', async () => {
    const run = await activated(
      ['web', 'lb'],
      ['--listen', 'systemd:web', '--listen', 'proxy://systemd:lb', '--cgi', 'off', '--status', '/status'],
    );
    await run.until(/listening on/);
    const [web, lb] = run.ports as [number, number];
    expect((await request(web, { path: '/status?format=json' })).status).toBe(200);
    // The relayed one needs its header: without it, the connection is closed.
    expect((await raw(lb, 'GET /status HTTP/1.1\r\nHost: x\r\n\r\n', { timeout: 3_000 })).bytes.length).toBe(0);
    const relayed = await raw(
      lb,
      'PROXY TCP4 198.51.100.7 10.0.0.1 1234 80\r\nGET /status?format=json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(relayed.responses[0]?.status).toBe(200);
  });

  it('the sockets are shared by --workers', async () => {
    const run = await activated(['http'], ['--listen', 'systemd', '--workers', '2', '--cgi', 'off', '--status', '/status']);
    await run.until(/listening on .*\(2 workers\)/);
    const answers = await Promise.all(Array.from({ length: 6 }, () => request(run.ports[0]!, { path: '/status?format=json' })));
    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200));
  });

  it('sockets meant for another process are not taken, and the command says so', async () => {
    const run = await activated(['http'], ['--listen', 'systemd'], { LISTEN_PID: 'other' });
    expect(await run.exited).toBe(2);
    await run.until(/no sockets were passed/);
  });
});
