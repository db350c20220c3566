/**
 * The CGI backend (RFC 3875): a process per request. It waits for a slot
 * (CgiProcesses: the cap on scripts running, its queue, 503 beyond), spawns
 * the script in its own process group with the meta-variables as its
 * environment, streams the request body to its stdin, and reports its
 * stdout, stderr and exit to the GatewayHandler. Stopping a run kills the
 * script's process group (SIGTERM, then SIGKILL after the grace period).
 */
import { dirname } from 'node:path';
import type { GatewayBackend, GatewayJob, GatewayScript, GatewaySettings, Run, RunEvents, RunOutcome } from '../gateway/backend.js';
import { commandFor, type ResolvedCgiOptions } from './options.js';
import type { CgiProcesses, Lease, Ticket } from './processes.js';
import type { ScriptChild, ScriptInput } from './spawner.js';

/** How a script is run: its command and arguments, or undefined when it cannot be. */
export type CgiCommand = (script: GatewayScript) => readonly string[] | undefined;

export class CgiBackend implements GatewayBackend {
  readonly kind = 'cgi';
  readonly settings: GatewaySettings;

  constructor(
    readonly options: ResolvedCgiOptions,
    readonly processes: CgiProcesses,
    serverSoftware: string,
    /** By default: the script itself when executable, else the interpreter for its extension. */
    readonly command: CgiCommand = (script) => commandFor(script.filename, script.executable, options.interpreters),
  ) {
    this.settings = {
      env: {
        serverSoftware,
        documentRoot: options.documentRoot,
        passAuthorization: options.passAuthorization,
        inherit: options.inherit,
        extra: options.env,
      },
      serverEnv: options.serverEnv,
      authenticate: options.authenticate,
      spillAt: options.spillAt,
      headerLimit: options.headerLimit,
      timeLimit: options.timeLimit,
      nph: true,
    };
  }

  /** Never shown as text: a file that cannot be run is refused. */
  refusal(script: GatewayScript): string | undefined {
    return this.command(script) ? undefined : `${script.filename} is not executable and no interpreter is set for its extension`;
  }

  start(job: GatewayJob, events: RunEvents): Run {
    return new CgiRun(this, job, events);
  }
}

class CgiRun implements Run {
  private ticket: Ticket | undefined;
  private lease: Lease | undefined;
  private child: ScriptChild | undefined;
  private stopped = false;
  private over = false;

  constructor(
    private readonly backend: CgiBackend,
    private readonly job: GatewayJob,
    private readonly events: RunEvents,
  ) {
    const processes = backend.processes;
    const ticket = processes.acquire((lease) => this.launch(lease));
    if (!ticket) {
      events.log('monitor', 'warn', `${processes.running} scripts running and ${processes.queued} waiting: refused`);
      this.end({ kind: 'refused', status: 503, reason: 'too many CGI scripts running and waiting' });
      return;
    }
    this.ticket = ticket;
  }

  private launch(lease: Lease): void {
    this.lease = lease;
    if (this.stopped) return lease.end();
    const { script, env, input } = this.job;
    const argv = this.backend.command(script)!;
    let child: ScriptChild;
    try {
      // RFC 3875 §7.2: run in the script's directory. No arguments from the
      // request (§4.4's "indexed" query): "?-s" once made php-cgi show source.
      child = lease.spawn(argv[0]!, argv.slice(1), {
        cwd: dirname(script.filename),
        env,
        input: input !== undefined,
        spawner: this.backend.options.spawner,
      });
    } catch (error) {
      return this.cannotStart(error);
    }
    this.child = child;
    const events = this.events;
    child.on('spawn', () => events.started({ pid: child.pid }));
    child.on('error', (error: Error) => {
      if (child.pid === undefined) this.cannotStart(error);
    });
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => this.end({ kind: 'exited', code, signal }));
    child.stdout.on('data', (chunk: Buffer) => events.stdout(chunk));
    child.stdout.on('end', () => events.stdoutEnd());
    child.stderr.on('data', (chunk: Buffer) => events.stderr(chunk));
    // No request body: the script's stdin is /dev/null.
    const stdin = child.stdin;
    if (stdin) feedStdin(stdin, input).catch((error: unknown) => events.inputFailed(error));
  }

  pause(): void {
    this.child?.stdout.pause();
  }

  resume(): void {
    this.child?.stdout.resume();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ticket?.cancel();
    // Killed: its exit ends the run. Still waiting for a slot: nothing ran.
    if (this.lease) this.lease.end();
    else this.end({ kind: 'stopped' });
  }

  private cannotStart(error: unknown): void {
    const why = error instanceof Error ? error.message : String(error);
    this.end({ kind: 'refused', status: 500, reason: `could not be started: ${why}` });
    this.lease?.end();
  }

  private end(outcome: RunOutcome): void {
    if (this.over) return;
    this.over = true;
    this.events.ended(outcome);
  }
}

/**
 * Writes `source` to a script's stdin, each chunk once the last has been
 * taken, then closes stdin. Stops early, without error, when stdin closes
 * (the script exited without reading it all, or its run was ended).
 */
export async function feedStdin(stdin: ScriptInput, source: AsyncIterable<Uint8Array> | undefined): Promise<void> {
  try {
    if (!source) return;
    for await (const chunk of source) {
      if (!stdin.writable) return;
      if (!stdin.write(chunk)) await drained(stdin);
    }
  } finally {
    if (stdin.writable) stdin.end();
  }
}

function drained(stream: ScriptInput): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
