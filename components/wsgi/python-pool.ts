/**
 * PythonPool: runs one Python WSGI application (Flask, Django, Bottle, a
 * plain callable) on a pool of python3 worker processes, each serving
 * `threads` requests at once. It takes the same jobs as the thread pool on
 * its `jobs` inbox and answers them the same way, so WsgiGateway and the
 * WSGI routes serve Python applications unchanged; the scheduling (growth,
 * queue, time limit, crashes, recycling) is JobPool's.
 *
 * Each worker runs python/boxwire_wsgi.py, which imports the application
 * once and speaks the framed protocol of python-frames.ts on a socket pair
 * at its file descriptor 3; its stdout and stderr are read by lines onto the
 * errors channel, tagged with the application. Processes are started
 * without a shell, in a process group of their own, in the application's
 * working directory with its PYTHONPATH. They are stopped by closing their
 * socket (the runner then finishes and exits), with SIGKILL to the group
 * after `killGrace` ms; one that ran over its time limit, or broke the
 * protocol, is killed at once. Node reaps every child: no zombies. A
 * graceful stop waits for its processes to exit (each finishes what its
 * wsgiorg.executor was given, within killGrace), hearing what they say
 * meanwhile.
 *
 * An application that cannot be imported (the runner's FATAL frame, with
 * Python's traceback) or a python that cannot be started is reported once,
 * on the errors channel; the pool then starts no more processes, and its
 * route answers 503 until the configuration is reloaded: a broken
 * application is not restarted in a loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { nulField } from '../../src/http/wsgi-native.js';
import { signalGroup } from '../process-group.js';
import {
  JobPool,
  PoolLease,
  listenTo,
  startingWorker,
  type PoolFigures,
  type PoolWorker,
  type Scheduling,
  type Withdrawal,
} from './job-pool.js';
import type { Box } from '../../src/core/box.js';
import type { Lifecycle } from '../../src/core/signals.js';
import { creditWindow, failure, type Failure, type Job, type JobUpdate, type PoolReply } from './messages.js';
import { FrameReader, requestFrame, updateFrames, withdrawFrame, type FromWorker } from './python-frames.js';

/** A Python application and where it is mounted. */
export interface PythonApp {
  /** The mount: SCRIPT_NAME of its requests. '' at the root, else "/app" (no trailing slash). */
  readonly prefix: string;
  /** "module:callable": the module imported, the callable in it (an attribute path; NAME() calls a factory). */
  readonly callable: string;
  /** The working directory of its processes (absolute); the module is looked for there first. */
  readonly cwd: string;
  /** More directories to import from (PYTHONPATH), absolute. */
  readonly path: readonly string[];
}

export interface PythonPoolOptions extends Omit<Scheduling, 'minWorkers' | 'maxWorkers'> {
  /** The Python to run: a command on PATH or a path. */
  readonly executable: string;
  /** Processes always alive. */
  readonly processes: number;
  /** Most processes; 0 for no limit. */
  readonly maxProcesses: number;
  /** Requests each process serves at once, on as many threads. */
  readonly threads: number;
  /** Milliseconds a stopping process gets to exit before SIGKILL (its wsgiorg.executor drains meanwhile). */
  readonly killGrace: number;
  /** Threads of each process's wsgiorg.executor, made at its first use. */
  readonly executorThreads: number;
  /** Functions that may wait in a process's wsgiorg.executor; submitting more raises ExecutorFull. */
  readonly executorQueue: number;
  /** Milliseconds a future remembered in wsgiorg.futures is kept after it has finished. */
  readonly futureLifespan: number;
}

/** A Python pool's figures: its workers are processes, each running up to `threads` requests. */
export interface PythonPoolState extends Omit<PoolFigures, 'workers'> {
  /** Processes alive, starting ones included. */
  readonly processes: number;
}

interface Process extends PoolWorker {
  readonly child: ChildProcess;
  /** The protocol's socket (the process's fd 3). */
  readonly channel: Socket;
  /** The socket of withdrawals (fd 4), which the process answers even while busy. */
  readonly withdrawals: Socket;
  /** REQUEST frames sent to it so far. */
  sent: number;
  /** Jobs offered ahead are being held (its channel corked) until the end of this turn of the event loop. */
  holding: boolean;
  readonly pid: number | undefined;
  /** How it ended ("exit code 1", "killed by SIGKILL"), once it has. */
  ended: string | undefined;
  /** Its socket has closed: nothing more can come from it. */
  closed: boolean;
  /** The SIGKILL that follows a gentle stop, if it does not exit in time. */
  killTimer: NodeJS.Timeout | undefined;
  /** Stops listening to it. */
  release: () => void;
  /** What the pool owns for it: stops it gently when the pool stops. */
  readonly stop: () => void;
}

class Lease extends PoolLease<Process> {
  /** The job's REQUEST frame, made when it is admitted. */
  frame: Buffer | undefined = undefined;
  /** Which of its process's REQUEST frames it was (counting from 1): how WITHDRAW names it. */
  number = 0;
}

/** Python processes alive in this process (started and not yet exited), across pools: what leak checks read. */
let liveProcesses = 0;
export function pythonProcessCount(): number {
  return liveProcesses;
}

/** The runner: beside this module in the sources, and shipped beside the build (package.json "files"). */
export const runnerScript = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? './python/boxwire_wsgi.py' : '../../../components/wsgi/python/boxwire_wsgi.py',
    import.meta.url,
  ),
);

/** The longest line of a process's stdout or stderr kept whole; longer ones are logged in pieces. */
const maxLine = 16 * 1024;

/**
 * Jobs offered ahead to a busy process: a burst of quick requests then
 * crosses with fewer wake-ups on either side. As many as a quick process
 * starts within the pack window, at a few hundred bytes each.
 */
export const processOffers = 32;

/**
 * Milliseconds within which a busy process is expected to start a job
 * packed onto it (from its pace), rather than wake a process that sleeps:
 * waking one costs more than a small request, on either side, and the
 * machine's other processes (the server, its clients) need the cores more.
 * A process not heard from for as long (a slow request holds it up) has
 * the jobs offered to it taken by the free ones. A few scheduler time
 * slices: a busy machine leaves a process waiting that long to run (see
 * `npm run bench -- python`).
 */
export const processPackWindow = 5;

export class PythonPool extends JobPool<Process, Lease> {
  /** Why the application cannot run (it could not be loaded, python could not be started); its requests get 503. */
  private broken: string | undefined;
  /** Processes told to stop that have not gone yet. */
  private readonly leaving = new Set<Process>();
  /** A graceful stop waits for `leaving` to empty. */
  private stopping = false;

  constructor(
    readonly app: PythonApp,
    readonly options: PythonPoolOptions,
  ) {
    super(
      { ...options, minWorkers: options.processes, maxWorkers: options.maxProcesses },
      { prefix: `python ${app.prefix || '/'}`, noun: 'process', nouns: 'processes' },
    );
  }

  get status(): PythonPoolState {
    const f = this.figures();
    return {
      processes: f.workers,
      busy: f.busy,
      idle: f.idle,
      starting: f.starting,
      running: f.running,
      queued: f.queued,
      served: f.served,
    };
  }

  /**
   * A graceful stop (the server's, once its connections have closed) asks
   * every process to stop and finishes once they have all gone: each drains
   * its wsgiorg.executor first, within killGrace.
   */
  protected override onControl(message: Lifecycle): void {
    if (message.type !== 'shutdown' || !message.graceful || this.stopping) return super.onControl(message);
    this.stopping = true;
    this.holdProcess();
    for (const worker of [...this.workers]) this.retire(worker, 'the server is stopping');
    if (this.leaving.size === 0) this.finish();
  }

  /** Why the application's requests are refused, if they are. */
  get failure(): string | undefined {
    return this.broken;
  }

  protected lease(job: Job, out: Box<PoolReply>): Lease {
    return new Lease(job, out);
  }

  /** A busy process's runner starts the jobs offered to it in order, and gives back any not started. */
  protected readonly maxOffers = processOffers;
  protected override readonly packWindow = processPackWindow;

  protected override admit(lease: Lease): Failure | undefined {
    const id = lease.job.id;
    if (this.broken) return failure(id, 503, this.broken);
    const nul = nulField(lease.job.environ);
    if (nul !== undefined) return failure(id, 400, `the request's ${nul} holds a NUL character`);
    lease.frame = requestFrame(id, lease.job.environ, creditWindow, lease.job.hasBody);
    return undefined;
  }

  protected override canStart(): boolean {
    return this.broken === undefined;
  }

  protected nameOf(worker: Process): string {
    return `process ${worker.number}${worker.pid ? ` (pid ${worker.pid})` : ''}`;
  }

  protected runJob(worker: Process, lease: Lease): void {
    post(worker, lease);
    // A process with a thread free takes its job now (with any held for it).
    sendHeld(worker);
  }

  /** The runner keeps a job sent while its threads are busy, and starts it when one is free. */
  protected postAhead(worker: Process, lease: Lease): void {
    // The process is busy: the jobs offered to it in this turn go in one write, and it wakes once for them.
    if (!worker.holding) {
      worker.holding = true;
      worker.channel.cork();
      setImmediate(() => sendHeld(worker));
    }
    post(worker, lease);
  }

  /**
   * Another process is free: the runner is asked (on its second socket,
   * which it reads on a thread of its own) to give the job back. A job
   * cancelled or due back for recycling is simply left to it: the runner
   * skips a cancelled job, and recycling waits one job more.
   */
  protected withdraw(worker: Process, lease: Lease, why: 'steal' | 'cancel' | 'recycle'): Withdrawal {
    if (why !== 'steal') return 'taken';
    // The job must have reached the runner before it is asked to give it back.
    sendHeld(worker);
    worker.withdrawals.write(withdrawFrame(lease.job.id, lease.number));
    return 'asked';
  }

  protected forward(worker: Process, update: JobUpdate): void {
    sendHeld(worker);
    const frames = updateFrames(update);
    if (!isPair(frames)) {
      worker.channel.write(frames);
      // A call-off goes on the second socket too, which the runner reads at once whatever it is doing: a
      // one-thread process reads its first socket only while the application waits for the client.
      if (update.type === 'cancel') worker.withdrawals.write(frames);
      return;
    }
    // A body chunk: its frame's header and the chunk as it came, in one write.
    worker.channel.cork();
    worker.channel.write(frames[0]);
    worker.channel.write(frames[1]);
    worker.channel.uncork();
  }

  protected startWorker(number: number): Process {
    const { app, options } = this;
    // The server's environment, as gunicorn passes it; the application's directories first on the path.
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
    const path = [...app.path, ...(process.env.PYTHONPATH ? [process.env.PYTHONPATH] : [])];
    if (path.length > 0) env.PYTHONPATH = path.join(':');
    const args = [
      runnerScript,
      app.callable,
      String(options.threads),
      options.maxProcesses === 1 ? '0' : '1',
      String(options.executorThreads),
      String(options.executorQueue),
      String(options.futureLifespan / 1000),
    ];
    const child = spawn(options.executable, args, {
      cwd: app.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      // A process group of its own: what the application starts is stopped with it, and a terminal's ^C is the server's to handle.
      detached: true,
    });
    const channel = child.stdio[3] as Socket;
    const withdrawals = child.stdio[4] as Socket;
    const worker: Process = {
      ...startingWorker(number, options.threads),
      child,
      channel,
      withdrawals,
      sent: 0,
      holding: false,
      pid: child.pid,
      ended: undefined,
      closed: false,
      killTimer: undefined,
      release: () => {},
      stop: () => this.stopWorker(worker, false),
    };
    // Pipes may fail after the pool has stopped listening (EPIPE from a process that has died): never unhandled.
    for (const stream of [channel, withdrawals, child.stdout, child.stderr]) stream?.on('error', () => {});
    const pid = child.pid;
    if (pid !== undefined) {
      liveProcesses++;
      child.once('exit', () => {
        liveProcesses--;
        if (worker.killTimer) clearTimeout(worker.killTimer);
        // Whatever the application left running in its group goes with it.
        signalGroup(pid, 'SIGKILL');
      });
    }
    const reader = new FrameReader();
    const onData = (chunk: Buffer): void =>
      this.run(() => {
        try {
          reader.push(chunk, (message) => this.fromProcess(worker, message));
        } catch (error) {
          this.broke(worker, (error as Error).message);
        }
      });
    const onClose = (): void =>
      this.run(() => {
        worker.closed = true;
        // A process that closed its socket without being asked to can no longer be talked to.
        if (worker.status !== 'stopping') kill(worker);
        this.gone(worker);
      });
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      this.run(() => {
        worker.ended = signal ? `killed by ${signal}` : `exit code ${code}`;
        this.gone(worker);
      });
    const onError = (error: Error): void =>
      this.run(() => {
        if (worker.pid !== undefined) return;
        // It could not be started at all (no such python): nothing will change that until the configuration does.
        worker.ended = 'not started';
        worker.closed = true;
        worker.status = 'stopping';
        this.workers.delete(worker);
        this.gone(worker);
        this.unusable(`${options.executable} could not be started: ${error.message}`);
      });
    const stopLines = [
      lines(child.stdout, (line) => this.printed(worker, 'stdout', line)),
      lines(child.stderr, (line) => this.printed(worker, 'stderr', line)),
    ];
    const stopListening = [listenTo(channel, { data: onData, close: onClose }), listenTo(child, { exit: onExit, error: onError })];
    worker.release = () => {
      for (const stop of [...stopListening, ...stopLines]) stop();
    };
    // Stopping the pool stops its processes: gently (their socket closed), then by force.
    this.own(worker.stop);
    // Neither a forgotten pool nor its pipes keep Node alive; a listening server does that.
    child.unref();
    for (const stream of [channel, withdrawals, child.stdout, child.stderr]) (stream as Partial<Socket> | null)?.unref?.();
    return worker;
  }

  protected stopWorker(worker: Process, now: boolean): void {
    if (worker.ended !== undefined) return;
    this.leaving.add(worker);
    if (now) return kill(worker);
    sendHeld(worker);
    worker.channel.end();
    worker.withdrawals.end();
    worker.killTimer ??= setTimeout(() => kill(worker), this.options.killGrace);
    worker.killTimer.unref();
  }

  private fromProcess(worker: Process, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        return this.ready(worker);
      case 'fatal':
        return this.fatal(message.traceback);
      case 'withdrawn':
        return this.withdrawn(worker, message.id);
      default:
        return this.fromWorker(worker, message);
    }
  }

  /** The application could not be imported: said once, with Python's traceback; its route answers 503 from now on. */
  private fatal(traceback: string): void {
    const last = traceback.trimEnd().split('\n').pop() ?? 'failed';
    const { callable } = this.app;
    this.unusable(
      `the application ${callable} could not be loaded: ${last}`,
      `${callable} could not be loaded (its route answers 503 until the configuration is reloaded):\n${traceback.trimEnd()}`,
    );
  }

  /** Marks the application as unable to run: the workers stop, and every request waiting or to come is answered 503. */
  private unusable(why: string, logged = why): void {
    if (this.broken) return;
    this.broken = why;
    this.log('errors', 'error', logged);
    for (const worker of [...this.workers]) this.retire(worker, why);
    this.refuseWaiting(503, why);
  }

  /** The process broke the protocol: it is killed, and treated as having died. */
  private broke(worker: Process, why: string): void {
    this.log('errors', 'error', `${this.nameOf(worker)} broke the protocol: ${why}`);
    kill(worker);
  }

  /** A line the application printed. */
  private printed(worker: Process, stream: 'stdout' | 'stderr', line: string): void {
    this.log('errors', 'warn', `${this.app.callable} [${this.nameOf(worker)} ${stream}]: ${line}`, {
      app: this.app.callable,
      prefix: this.app.prefix || '/',
      pid: worker.pid,
      stream,
    });
  }

  /** Once a process has both exited and closed its socket (so every frame it sent has been read), it has gone. */
  private gone(worker: Process): void {
    if (worker.ended === undefined || !worker.closed) return;
    this.leaving.delete(worker);
    worker.release();
    for (const stream of [worker.channel, worker.withdrawals, worker.child.stdout, worker.child.stderr]) stream?.destroy();
    this.disown(worker.stop, false);
    this.exited(worker, worker.ended);
    if (this.stopping && this.leaving.size === 0) this.finish();
  }
}

function isPair(frames: Buffer | readonly [Buffer, Uint8Array]): frames is readonly [Buffer, Uint8Array] {
  return Array.isArray(frames);
}

/** SIGKILL to the process's group: it and whatever it started. */
function kill(worker: Process): void {
  if (worker.pid !== undefined && worker.ended === undefined) signalGroup(worker.pid, 'SIGKILL');
}

/** Calls `line` for each non-empty line a stream gives (a long one in pieces of maxLine); returns a function that stops listening. */
function lines(stream: Readable | null, line: (text: string) => void): () => void {
  if (!stream) return () => {};
  stream.setEncoding('utf8');
  let partial = '';
  const emit = (text: string): void => {
    for (let at = 0; at < text.length; at += maxLine) line(text.slice(at, at + maxLine));
  };
  const onData = (chunk: string): void => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const part of parts) emit(part.replace(/\r$/, ''));
    if (partial.length > maxLine) {
      emit(partial);
      partial = '';
    }
  };
  const onEnd = (): void => {
    emit(partial);
    partial = '';
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  return () => {
    stream.off('data', onData);
    stream.off('end', onEnd);
  };
}

/** Writes a job's REQUEST frame to a process. The frame is kept: a job taken back from one process is sent to another. */
function post(worker: Process, lease: Lease): void {
  lease.number = ++worker.sent;
  worker.channel.write(lease.frame!);
}

/** Sends the jobs held for a process, if any. */
function sendHeld(worker: Process): void {
  if (!worker.holding) return;
  worker.holding = false;
  worker.channel.uncork();
}
