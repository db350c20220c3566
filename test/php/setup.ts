/**
 * PHP tests: the test application (test/fixtures/php) copied to a temporary
 * directory with what git does not keep (a symlink, a precompressed sibling
 * of a script, a sessions directory), and php-fpm started on a Unix socket
 * under its own temporary directory with a pool configuration of its own
 * (`-n`: no php.ini; `-R`: the tests may run as root), stopped by its PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import type { LogRecord } from '../../src/core/log.js';
import type { ServerOptions } from '../../src/server/options.js';
import { createServer } from '../../src/server/server.js';
import type { TestServer } from '../helpers/http.js';
import { childProcesses } from '../helpers/processes.js';

export const fixture = fileURLToPath(new URL('../fixtures/php/', import.meta.url));
export const phpFpm = '/usr/sbin/php-fpm8.2';

export interface PhpApp {
  /** The document root. */
  readonly root: string;
  /** Where session.php keeps its sessions. */
  readonly sessions: string;
  remove(): void;
}

/** The test application in a directory of its own. */
export function phpApp(): PhpApp {
  const dir = mkdtempSync(join(tmpdir(), 'boxwire-php-app-'));
  const root = join(dir, 'root');
  cpSync(fixture, root, { recursive: true });
  const sessions = join(dir, 'sessions');
  mkdirSync(sessions);
  // A precompressed sibling of a script holds its source: never sent.
  writeFileSync(join(root, 'source.php.gz'), gzipSync(readFileSync(join(root, 'source.php'))));
  // A document name leading to a script: never sent either.
  symlinkSync('source.php', join(root, 'notes.txt'));
  // A script name leading to a document: not run.
  symlinkSync('static/hello.txt', join(root, 'fake.php'));
  return { root, sessions, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface PhpFpm {
  readonly socket: string;
  /** The directory of its socket, configuration and log. */
  readonly dir: string;
  readonly pid: number;
  readonly log: () => string;
  /** SIGTERM (or the signal given) to its master, by PID; resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts php-fpm with a static pool of `children` workers on a Unix socket;
 * `pool` adds lines to the pool section; `dir` (a directory of the caller's,
 * which it removes) puts the socket where an earlier php-fpm had it.
 */
export async function startPhpFpm(children = 4, pool: readonly string[] = [], given?: string): Promise<PhpFpm> {
  const dir = given ?? mkdtempSync(join(tmpdir(), 'boxwire-php-fpm-'));
  const socket = join(dir, 'fpm.sock');
  const conf = join(dir, 'fpm.conf');
  writeFileSync(
    conf,
    [
      '[global]',
      `pid = ${join(dir, 'fpm.pid')}`,
      `error_log = ${join(dir, 'fpm.log')}`,
      'daemonize = no',
      '[test]',
      `listen = ${socket}`,
      'pm = static',
      `pm.max_children = ${children}`,
      ...pool,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(phpFpm, ['-F', '-n', '-R', '-y', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`php-fpm did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    socket,
    dir,
    pid: child.pid!,
    log: () => {
      try {
        return readFileSync(join(dir, 'fpm.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
      const late = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(late);
      if (!given) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * A server for a whole describe block (test/helpers/http.ts's startServer
 * stops its servers after each test): started on an ephemeral port, stopped
 * by the caller.
 */
export async function startKeptServer(options: ServerOptions): Promise<TestServer> {
  const server = createServer({ port: 0, log: { print: false }, cgi: false, ...options });
  const logs: Record<string, LogRecord[]> = { server: [], errors: [], requests: [], monitor: [] };
  for (const [name, channel] of Object.entries(server.channels)) channel.subscribe((r) => logs[name]!.push(r));
  const [address] = await server.listen();
  return { server, port: address!.port, url: `http://127.0.0.1:${address!.port}`, logs };
}

/** Waits (a little) for every php-cgi child to have gone: php-fpm, started by the tests, is a child too and stays. */
export async function expectNoPhpCgi(waitMs = 3_000): Promise<void> {
  const scripts = () => childProcesses().filter((p) => p.command.startsWith('php-cgi'));
  const deadline = Date.now() + waitMs;
  while (scripts().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(scripts()).toEqual([]);
}
