/**
 * FastCgiSupervisor: boxwire starts a FastCGI application itself, as
 * lighttpd's `bin-path` and spawn-fcgi do. It runs `processes` copies of the
 * command, each listening on a Unix socket of its own (`{socket}` in the
 * command) in a directory that only this server's user can reach (mode
 * 0700, made when the supervisor starts and removed when it stops).
 *
 * - A process is ready once its socket takes a connection; until then its
 *   pool holds requests for it (`ready(index, false)`), and routes them to
 *   it from then on.
 * - A process that dies is started again, after 0.1 s, doubling up to 5 s
 *   while it keeps dying young (before 10 s); its death is logged (info when
 *   it exited normally, as php-cgi does after PHP_FCGI_MAX_REQUESTS).
 * - Each runs in a process group of its own, with the server's PATH and
 *   locale and the variables given; its stdout and stderr go to the errors
 *   channel, line by line.
 * - Stopping the supervisor (the server stops) sends SIGTERM to every
 *   group, and SIGKILL to what is left after the grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { box } from '../../src/core/box.js';
import { Component, boxes } from '../../src/core/component.js';
import { logRecord, type LogLevel, type LogRecord } from '../../src/core/log.js';
import { defaultInheritedEnv, inheritedVariables } from '../../src/http/cgi-env.js';
import { StderrLines } from '../gateway/stderr-lines.js';
import { signalGroup } from '../process-group.js';
import type { ResolvedFastCgiSpawn } from './options.js';

export const supervisorBoxes = boxes({
  inboxes: {},
  outboxes: { log: box<LogRecord>('processes started, ready, dead and restarted; their stdout and stderr') },
});

/** How long a process has to start listening before it is given up on and started again. */
const startTimeout = 10_000;
/** A process that lived this long had no trouble starting: its next restart is quick again. */
const healthyAfter = 10_000;
const killGrace = 2_000;

interface Slot {
  child: ChildProcess | undefined;
  startedAt: number;
  failures: number;
  restart: NodeJS.Timeout | undefined;
  probe: NodeJS.Timeout | undefined;
}

export class FastCgiSupervisor extends Component<typeof supervisorBoxes> {
  /** Where the sockets are. */
  readonly dir: string;
  /** Each process's socket. */
  readonly sockets: readonly string[];
  private readonly slots: Slot[];
  private stopping = false;

  constructor(
    readonly label: string,
    private readonly spawnOptions: ResolvedFastCgiSpawn,
    /** Told when a process is ready (listening), or not (dead, restarting). */
    private readonly ready: (index: number, ready: boolean) => void,
    private readonly serverEnv: Readonly<Record<string, string | undefined>> = process.env,
  ) {
    super(supervisorBoxes, `FastCgiSupervisor(${label})`);
    this.dir = join(tmpdir(), `boxwire-fastcgi-${process.pid}-${randomUUID().slice(0, 8)}`);
    this.sockets = Array.from({ length: spawnOptions.processes }, (_, i) => join(this.dir, `${i}.sock`));
    this.slots = this.sockets.map(() => ({ child: undefined, startedAt: 0, failures: 0, restart: undefined, probe: undefined }));
  }

  /** The processes' pids, for tests and the status page (undefined where one is between lives). */
  get pids(): readonly (number | undefined)[] {
    return this.slots.map((slot) => slot.child?.pid);
  }

  protected main(): void {
    mkdirSync(this.dir, { mode: 0o700 });
    this.own(() => this.stopAll());
    for (let i = 0; i < this.slots.length; i++) this.startProcess(i);
  }

  private startProcess(index: number): void {
    const slot = this.slots[index]!;
    slot.restart = undefined;
    if (this.stopping) return;
    rmSync(this.sockets[index]!, { force: true });
    const argv = this.spawnOptions.argv.map((arg) => arg.replaceAll('{socket}', this.sockets[index]!));
    const env = { ...inheritedVariables(this.serverEnv, defaultInheritedEnv), ...this.spawnOptions.env };
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { cwd: this.dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      this.note('errors', 'warn', `${index}: ${argv[0]} could not be started: ${(error as Error).message}`);
      return this.scheduleRestart(index);
    }
    slot.child = child;
    slot.startedAt = Date.now();
    const lines = (stream: NodeJS.ReadableStream) => {
      const out = new StderrLines((line) => this.run(() => this.note('errors', 'warn', `${index} (pid ${child.pid}): ${line}`)));
      stream.on('data', (chunk: Buffer) => out.push(chunk));
      stream.on('end', () => out.end());
      stream.on('error', () => {});
    };
    lines(child.stdout!);
    lines(child.stderr!);
    child.on('error', (error) =>
      this.run(() => this.note('errors', 'warn', `${index}: ${argv[0]} could not be started: ${error.message}`)),
    );
    child.on('exit', (code, signal) => this.run(() => this.exited(index, child, code, signal)));
    this.note('server', 'info', `${index}: started ${argv.join(' ')} (pid ${child.pid})`);
    this.waitForSocket(index, child);
  }

  /** Polls the process's socket until it takes a connection. */
  private waitForSocket(index: number, child: ChildProcess): void {
    const slot = this.slots[index]!;
    const deadline = Date.now() + startTimeout;
    const attempt = (): void => {
      slot.probe = undefined;
      if (slot.child !== child || this.stopping) return;
      const socket = net.connect(this.sockets[index]!);
      socket.once('connect', () =>
        this.run(() => {
          socket.destroy();
          if (slot.child !== child) return;
          this.note('server', 'info', `${index} (pid ${child.pid}) is listening on ${this.sockets[index]}`);
          this.ready(index, true);
        }),
      );
      socket.once('error', () =>
        this.run(() => {
          socket.destroy();
          if (slot.child !== child) return;
          if (Date.now() < deadline) slot.probe = setTimeout(attempt, 25);
          else {
            this.note('errors', 'warn', `${index} (pid ${child.pid}) is not listening after ${startTimeout} ms: starting it again`);
            this.kill(child);
          }
        }),
      );
    };
    attempt();
  }

  private exited(index: number, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const slot = this.slots[index]!;
    if (slot.child !== child) return;
    slot.child = undefined;
    if (slot.probe) clearTimeout(slot.probe);
    slot.probe = undefined;
    // Anything it left in its group goes with it.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    if (this.stopping) return;
    this.ready(index, false);
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    this.note('errors', code === 0 ? 'info' : 'warn', `${index} (pid ${child.pid}) ${how}: starting it again`);
    if (Date.now() - slot.startedAt >= healthyAfter) slot.failures = 0;
    this.scheduleRestart(index);
  }

  private scheduleRestart(index: number): void {
    const slot = this.slots[index]!;
    const delay = Math.min(5_000, 100 * 2 ** slot.failures);
    slot.failures++;
    slot.restart = setTimeout(() => this.run(() => this.startProcess(index)), delay);
  }

  private kill(child: ChildProcess): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), killGrace);
    child.once('exit', () => clearTimeout(timer));
  }

  private stopAll(): void {
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.restart) clearTimeout(slot.restart);
      if (slot.probe) clearTimeout(slot.probe);
      if (slot.child) this.kill(slot.child);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private note(channel: 'server' | 'errors', level: LogLevel, message: string): void {
    this.send('log', logRecord(channel, level, `fastcgi ${this.label}: ${message}`));
  }
}
