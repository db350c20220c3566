/**
 * The CGI processes of one server: how many may run at once, who waits for
 * a slot, and the killing of process groups. One is shared by every CGI
 * handler of a server (handlers come and go per request; processes may
 * outlive them by the grace period of a kill, and the count must not).
 *
 * - At most `concurrency` scripts run; up to `queue` requests wait for a
 *   slot in arrival order; beyond that `acquire` says no (the handler
 *   answers 503). A slot comes back when its process has exited.
 * - Each script runs in a session and process group of its own
 *   (`detached`), so it and everything it started can be killed together:
 *   SIGTERM to the group, then SIGKILL after `killGrace` ms to whatever is
 *   left. A lease's `end()` does that, and it is called on every way a
 *   request ends, so nothing a script started outlives its request.
 * - Every child is reaped as soon as it exits (by Node, or by the native
 *   spawner's pidfd watch): no zombies.
 * - Scripts start with the native spawner or child_process.spawn, as the
 *   options say (spawner.ts).
 *
 * Stdio streams get an error listener for their whole life here, because a
 * pipe may fail (EPIPE when a script exits without reading its input) after
 * the handler that used it has gone.
 */
import { signalGroupQuietly, spawnNative, spawnWithNode, type ScriptChild, type ScriptSpawnOptions } from './spawner.js';

export interface ProcessLimits {
  readonly concurrency: number;
  readonly queue: number;
  readonly killGrace: number;
}

export interface SpawnOptions extends ScriptSpawnOptions {
  /** Which spawner starts it (resolveSpawner() in spawner.ts); child_process when not said. */
  readonly spawner?: 'native' | 'node';
}

/** The right to run one script, from `acquire`. */
export interface Lease {
  /**
   * Starts the script, in a new process group. Once per lease. A script that
   * cannot be started is an `error` event on the child, which has no pid;
   * throws only when not even its stdio can be made.
   */
  spawn(command: string, args: readonly string[], options: SpawnOptions): ScriptChild;
  /**
   * The request is over: kill whatever may still run in the script's process
   * group (SIGTERM, then SIGKILL after the grace period) and close its pipes.
   * The slot comes back once the script has exited. Idempotent.
   */
  end(): void;
}

/** A place in the queue; cancel it when the request goes away before its turn. */
export interface Ticket {
  cancel(): void;
}

type Grant = (lease: Lease) => void;

export class CgiProcesses {
  /** Slots in use: leases granted whose process has not exited (or that never started one). */
  running = 0;
  private readonly waiting: Grant[] = [];
  private readonly live = new Set<ProcessLease>();
  private granting = false;

  constructor(readonly limits: ProcessLimits) {}

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Asks for a slot. `granted` is called with a lease now if one is free,
   * or later, in turn; undefined when the queue is full too.
   */
  acquire(granted: Grant): Ticket | undefined {
    if (this.running < this.limits.concurrency && this.waiting.length === 0) {
      this.running++;
      granted(new ProcessLease(this));
      return noTicket;
    }
    if (this.waiting.length >= this.limits.queue) return undefined;
    this.waiting.push(granted);
    return {
      cancel: () => {
        const at = this.waiting.indexOf(granted);
        if (at >= 0) this.waiting.splice(at, 1);
      },
    };
  }

  /** Kills every process group still alive (the server is stopping). */
  endAll(): void {
    this.waiting.length = 0;
    for (const lease of [...this.live]) lease.end();
  }

  /** @internal */
  track(lease: ProcessLease, alive: boolean): void {
    if (alive) this.live.add(lease);
    else this.live.delete(lease);
  }

  /** @internal A slot has come back: give it to whoever waits longest. */
  release(): void {
    this.running--;
    if (this.granting) return;
    this.granting = true;
    try {
      while (this.waiting.length > 0 && this.running < this.limits.concurrency) {
        this.running++;
        this.waiting.shift()!(new ProcessLease(this));
      }
    } finally {
      this.granting = false;
    }
  }
}

const noTicket: Ticket = { cancel() {} };

function noop(): void {}

class ProcessLease implements Lease {
  private child: ScriptChild | undefined;
  private started = false;
  private slotHeld = true;
  private exited = false;
  private ended = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(private readonly owner: CgiProcesses) {}

  spawn(command: string, args: readonly string[], options: SpawnOptions): ScriptChild {
    if (this.started || this.ended) throw new Error('this lease has been used');
    this.started = true;
    let child: ScriptChild;
    try {
      child = (options.spawner === 'native' ? spawnNative : spawnWithNode)(command, args, options);
    } catch (error) {
      // Not even its stdio could be made: there is no process to wait for.
      this.gone();
      throw error;
    }
    this.child = child;
    child.stdin?.on('error', noop);
    child.stdout.on('error', noop);
    child.stderr.on('error', noop);
    child.on('error', () => {
      // Could not be started (ENOENT, EACCES): there is no process to wait for.
      if (child.pid === undefined) this.gone();
    });
    child.once('exit', () => this.gone());
    this.owner.track(this, true);
    return child;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const child = this.child;
    if (!child) return this.gone();
    child.stdin?.destroy();
    child.stdout.destroy();
    child.stderr.destroy();
    if (child.pid !== undefined) return this.killGroup(child.pid);
    // Could not be started: nothing to kill.
    if (this.exited) return this.settle();
    // Still starting (the native spawner): its group goes as soon as it runs (or it fails, and that is the end too).
    child.once('spawn', () => this.killGroup(child.pid!));
  }

  /** SIGTERM to the group, SIGKILL after the grace period to whatever is left. */
  private killGroup(pgid: number): void {
    // After a normal exit the group is usually empty; anything the script left running in it goes too.
    if (!signalGroupQuietly(pgid, 'SIGTERM')) return this.settle();
    this.killTimer = setTimeout(() => {
      this.killTimer = undefined;
      signalGroupQuietly(pgid, 'SIGKILL');
      this.settle();
    }, this.owner.limits.killGrace);
  }

  /** The script has exited (or never started). */
  private gone(): void {
    if (this.exited) return;
    this.exited = true;
    if (this.slotHeld) {
      this.slotHeld = false;
      this.owner.release();
    }
    if (!this.ended) return;
    // Killed: once the leader is gone and nothing else is left in the group, no SIGKILL is needed.
    if (this.killTimer && !signalGroupQuietly(this.child!.pid!, 0)) {
      clearTimeout(this.killTimer);
      this.killTimer = undefined;
    }
    this.settle();
  }

  private settle(): void {
    if (this.exited && !this.killTimer) this.owner.track(this, false);
  }
}
