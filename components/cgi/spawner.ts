/**
 * Starting a CGI script: the native spawner when it is built, Node's
 * child_process.spawn otherwise.
 *
 * child_process.spawn forks the whole Node process (libuv), costing the
 * main thread about a millisecond per script (more as the heap grows), and
 * waits on the event loop until the child has exec'ed; each pipe is then a
 * net.Socket. The native spawner (native/spawn.c, built by node-gyp at
 * `npm install`) runs posix_spawn (a vfork-style clone) on a thread of
 * libuv's pool, watches the exit on a pidfd, and reads and writes the pipes
 * itself. Both give a ScriptChild: its stdio (`data` and `end` from stdout
 * and stderr, which pause and resume; stdin with write, `drain`, end and
 * `close`, or none and /dev/null for a script given no input), `spawn` once it runs (its pid is set from then on), `error` when
 * it could not be started (child_process's error, "spawn FILE CODE", and no
 * pid), and `exit` (code, signal). The script runs in a session and process
 * group of its own, in its directory, with exactly the environment given,
 * signals at their defaults.
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';
import { signalGroup } from '../process-group.js';

/** A script's stdout or stderr: `data` (a Buffer) until `end`; pause() holds the script up (its pipe fills). */
export interface ScriptOutput extends NodeJS.EventEmitter {
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
}

/** A script's stdin: write() is false when it should wait for `drain`; `close` when it takes no more. */
export interface ScriptInput extends NodeJS.EventEmitter {
  readonly writable: boolean;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  destroy(): unknown;
}

/** A running script, as either spawner gives it. */
export interface ScriptChild extends NodeJS.EventEmitter {
  /** Set once it runs; undefined until then (native) and when it could not be started (an `error` event). */
  readonly pid?: number | undefined;
  /** Null when it was started without input: its stdin is /dev/null. */
  readonly stdin: ScriptInput | null;
  readonly stdout: ScriptOutput;
  readonly stderr: ScriptOutput;
}

/** Which spawner runs scripts: the native one when it loads ('auto'), or the one named. */
export type SpawnerChoice = 'auto' | 'native' | 'node';

export interface ScriptSpawnOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Whether there is input to write to its stdin (a request body); without, its stdin is /dev/null. Default true. */
  readonly input?: boolean;
}

/** What native/spawn.c exports (see there). */
interface Binding {
  spawn(
    file: string,
    argv: readonly string[],
    env: readonly string[],
    cwd: string,
    onEvent: (kind: NativeEvent, a: unknown, b: unknown) => void,
    input: boolean,
  ): number;
  write(id: number, bytes: Uint8Array): number;
  endInput(id: number): void;
  pauseOutput(id: number, pipe: Pipe): void;
  resumeOutput(id: number, pipe: Pipe): void;
  close(id: number, pipe: Pipe | -1): void;
  signalGroup(pgid: number, signal: number): number;
  live(): number;
  supported(): boolean;
}

const enum NativeEvent {
  Started,
  Failed,
  Stdout,
  Stderr,
  Drain,
  StdinClosed,
  Exited,
}

const enum Pipe {
  Stdin,
  Stdout,
  Stderr,
}

let binding: Binding | undefined;
/** Why the native spawner is not there; undefined when it is, or has not been looked for. */
let missing: string | undefined;

/** Where node-gyp puts the addon: the package root's build/, from src (components/cgi) or from dist (dist/components/cgi). */
const candidates = ['../../build/Release/boxwire_spawn.node', '../../../build/Release/boxwire_spawn.node'].map((path) =>
  fileURLToPath(new URL(path, import.meta.url)),
);

/** The native spawner, loaded once; undefined when it is not built or cannot work here (see nativeSpawnerMissing). */
function loadBinding(): Binding | undefined {
  if (binding || missing !== undefined) return binding;
  if (process.platform !== 'linux') {
    missing = `it is for Linux only (this is ${process.platform})`;
    return undefined;
  }
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) {
    missing = 'it is not built (npm install builds it with node-gyp, which needs python3, make and a C compiler)';
    return undefined;
  }
  try {
    const loaded = createRequire(import.meta.url)(path) as Binding;
    if (!loaded.supported()) {
      missing = 'this kernel has no pidfd_open (Linux 5.3 or later is needed)';
      return undefined;
    }
    binding = loaded;
  } catch (error) {
    missing = `${path} does not load: ${error instanceof Error ? error.message : String(error)}`;
  }
  return binding;
}

/** Why the native spawner cannot be used, or undefined when it can. */
export function nativeSpawnerMissing(): string | undefined {
  loadBinding();
  return missing;
}

/** Children the native spawner still knows (not yet exited and reaped, or a pipe still open); 0 without it. For leak checks. */
export function nativeChildrenWatched(): number {
  return binding?.live() ?? 0;
}

/** The spawner a choice comes to: 'native' or 'node'. */
export function resolveSpawner(choice: SpawnerChoice): 'native' | 'node' {
  if (choice === 'node') return 'node';
  if (choice === 'native' || nativeSpawnerMissing() === undefined) return 'native';
  return 'node';
}

/** Starts `command args` with child_process.spawn: a session of its own, stdio through Unix socket pairs (libuv's pipes). */
export function spawnWithNode(command: string, args: readonly string[], options: ScriptSpawnOptions): ScriptChild {
  const child = nodeSpawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    // A session and process group of its own (setsid): the group can be killed as one.
    detached: true,
    stdio: [options.input === false ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  // stdout and stderr are pipes, so never null; stdin is null when ignored.
  return child as ChildProcess & ScriptChild;
}

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

class NativeOutput extends EventEmitter implements ScriptOutput {
  private closed = false;

  constructor(
    private readonly native: Binding,
    private readonly id: number,
    private readonly pipe: Pipe.Stdout | Pipe.Stderr,
  ) {
    super();
  }

  pause(): void {
    if (!this.closed) this.native.pauseOutput(this.id, this.pipe);
  }

  resume(): void {
    if (!this.closed) this.native.resumeOutput(this.id, this.pipe);
  }

  destroy(): void {
    if (this.closed) return;
    this.native.close(this.id, this.pipe);
    this.close();
  }

  /** Bytes read, and whether they were the last. */
  read(bytes: Buffer | undefined, last: boolean): void {
    if (bytes) this.emit('data', bytes);
    if (!last) return;
    this.emit('end');
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

class NativeInput extends EventEmitter implements ScriptInput {
  writable = true;
  private closed = false;

  constructor(
    private readonly native: Binding,
    private readonly id: number,
  ) {
    super();
  }

  write(chunk: Uint8Array): boolean {
    if (!this.writable) return false;
    const taken = this.native.write(this.id, chunk);
    // Negative: the script has closed its stdin (EPIPE); the pipe is closed.
    if (taken < 0) this.close();
    return taken === 1;
  }

  end(): void {
    if (!this.writable) return;
    this.writable = false;
    this.native.endInput(this.id);
  }

  destroy(): void {
    if (this.closed) return;
    this.native.close(this.id, Pipe.Stdin);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writable = false;
    this.emit('close');
  }
}

class NativeChild extends EventEmitter implements ScriptChild {
  pid: number | undefined;
  readonly stdin: NativeInput | null;
  readonly stdout: NativeOutput;
  readonly stderr: NativeOutput;

  constructor(
    native: Binding,
    id: number,
    private readonly command: string,
    private readonly args: readonly string[],
    input: boolean,
  ) {
    super();
    this.stdin = input ? new NativeInput(native, id) : null;
    this.stdout = new NativeOutput(native, id, Pipe.Stdout);
    this.stderr = new NativeOutput(native, id, Pipe.Stderr);
  }

  /** What the native side reports, from the event loop. */
  event(kind: NativeEvent, a: unknown, b: unknown): void {
    switch (kind) {
      case NativeEvent.Started:
        this.pid = a as number;
        this.emit('spawn');
        return;
      case NativeEvent.Failed:
        // No process; the native side has closed its pipes.
        this.stdin?.close();
        this.stdout.close();
        this.stderr.close();
        this.emit('error', spawnError(this.command, this.args, a as number));
        return;
      case NativeEvent.Stdout:
        return this.stdout.read(a as Buffer | undefined, b === 1);
      case NativeEvent.Stderr:
        return this.stderr.read(a as Buffer | undefined, b === 1);
      case NativeEvent.Drain:
        this.stdin?.emit('drain');
        return;
      case NativeEvent.StdinClosed:
        return this.stdin?.close();
      case NativeEvent.Exited: {
        const signal = b as number;
        this.emit('exit', signal ? null : a, signal ? (signalNames.get(signal) ?? null) : null);
        return;
      }
    }
  }
}

/**
 * Starts `command args` with the native spawner. Throws only when not even
 * its pipes could be made (too many open files); a script that cannot be
 * run is an `error` event, as with child_process.
 */
export function spawnNative(command: string, args: readonly string[], options: ScriptSpawnOptions): ScriptChild {
  const native = loadBinding();
  if (!native) throw new Error(`the native spawner is not available: ${missing}`);
  const env: string[] = [];
  for (const name in options.env) env.push(`${name}=${options.env[name]}`);
  // Events come from the event loop, so never before `child` is set.
  let child: NativeChild | undefined;
  const input = options.input !== false;
  const id = native.spawn(command, [command, ...args], env, options.cwd, (kind, a, b) => child!.event(kind, a, b), input);
  if (id < 0) throw spawnError(command, args, id);
  child = new NativeChild(native, id, command, args, input);
  return child;
}

/**
 * Signals a process group without the exception process.kill throws when
 * it is gone (a CGI script's group usually is, by the time its request
 * ends): natively when the native spawner is loaded. False when there is no
 * such group.
 */
export function signalGroupQuietly(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!binding) return signalGroup(pgid, signal);
  return binding.signalGroup(pgid, signal === 0 ? 0 : constants.signals[signal]) === 0;
}

/** The error child_process gives for a script that cannot be started: "spawn FILE CODE". */
function spawnError(command: string, args: readonly string[], errno: number): Error {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`spawn ${command} ${code}`), {
    errno,
    code,
    syscall: `spawn ${command}`,
    path: command,
    spawnargs: [...args],
  });
}
