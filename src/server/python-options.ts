/**
 * The options of Python WSGI applications, checked once when the server is
 * made. An application is an entry of the `wsgi` list like any other:
 * "PREFIX=python:MODULE[:CALLABLE]", or { prefix, python: "MODULE:CALLABLE",
 * cwd?, path? }. `python` says how their processes run; the queue, time
 * limit, recycling and idle time are the thread pool's (`pool`) unless
 * `python` says otherwise.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PythonApp, PythonPoolOptions } from '../../components/wsgi/python-pool.js';
import type { PoolOptions } from '../../components/wsgi/pool.js';
import { fail, isPythonEntry, normalizePrefix, parseWsgiSpec, type PythonAppOption } from './app-entries.js';

export interface PythonOptions {
  /** The Python to run, a command on PATH or a path. Default "python3". */
  readonly executable?: string;
  /** Processes always alive. Default 1. */
  readonly processes?: number;
  /** Most processes, the pool growing while requests wait; 0 for no limit. Default: `processes` (a fixed pool). */
  readonly maxProcesses?: number;
  /** Requests each process serves at once, on as many threads. Default 1. */
  readonly threads?: number;
  /** The working directory of the processes, where modules are looked for first. Default: the server's. */
  readonly cwd?: string;
  /** More directories to import from (PYTHONPATH), relative to `cwd`. */
  readonly path?: readonly string[];
  /** Requests that may wait for a process; more get 503. Default: pool.queueSize. */
  readonly queueSize?: number;
  /** Milliseconds a request may run without progress; then 504 and a new process. Default: pool.requestTimeout. */
  readonly requestTimeout?: number;
  /** Requests a process serves before it is replaced; 0 for never. Default: pool.maxRequests. */
  readonly maxRequests?: number;
  /** Milliseconds a process beyond `processes` may stay idle before it stops. Default: pool.idleTimeout. */
  readonly idleTimeout?: number;
  /** Milliseconds a stopping process gets before SIGKILL (its wsgiorg.executor drains meanwhile). Default 2000. */
  readonly killGrace?: number;
  /** Threads of each process's wsgiorg.executor, made at its first use. Default 2. */
  readonly executorThreads?: number;
  /** Functions that may wait in a process's wsgiorg.executor; more raise ExecutorFull. Default: pool.executorQueue. */
  readonly executorQueue?: number;
  /** Milliseconds a future remembered in wsgiorg.futures is kept once finished. Default 30000, as Rocket. */
  readonly futureLifespan?: number;
}

/** A Python application, with its place in the `wsgi` list (routes keep that order). */
export interface PlacedPythonApp extends PythonApp {
  readonly position: number;
}

export interface ResolvedPythonOptions extends PythonPoolOptions {
  readonly apps: readonly PlacedPythonApp[];
}

const knownKeys = new Set([
  'executable',
  'processes',
  'maxProcesses',
  'threads',
  'cwd',
  'path',
  'queueSize',
  'requestTimeout',
  'maxRequests',
  'idleTimeout',
  'killGrace',
  'executorThreads',
  'executorQueue',
  'futureLifespan',
]);
const knownAppKeys = new Set(['prefix', 'python', 'cwd', 'path']);
/** module.sub:attribute.path, or module:factory(). */
const callablePattern = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(\(\))?)?$/;

export function resolvePythonOptions(
  wsgi: unknown,
  given: PythonOptions | undefined,
  pool: PoolOptions,
  cwd = process.cwd(),
): ResolvedPythonOptions {
  if (given !== undefined && (typeof given !== 'object' || given === null)) fail('option "python" must be an object');
  const python: PythonOptions = given ?? {};
  for (const key of Object.keys(python))
    if (!knownKeys.has(key)) fail(`unknown option "python.${key}" (known: ${[...knownKeys].join(', ')})`);
  const executable = python.executable ?? 'python3';
  if (typeof executable !== 'string' || executable === '' || executable.includes('\0'))
    fail('option "python.executable" must be a command or a path');
  const processes = whole('processes', python.processes, 1, 0);
  const maxProcesses = whole('maxProcesses', python.maxProcesses, Math.max(processes, 1), 0);
  if (maxProcesses > 0 && maxProcesses < processes)
    fail(`option "python.maxProcesses" (${maxProcesses}) is below python.processes (${processes}); 0 means no limit`);
  const threads = whole('threads', python.threads, 1, 1);
  const queueSize = whole('queueSize', python.queueSize, pool.queueSize, 0);
  if (processes === 0 && queueSize === 0) fail('option "python": processes and queueSize cannot both be 0');
  const baseCwd = directory('python.cwd', python.cwd ?? '.', cwd);
  const apps: PlacedPythonApp[] = [];
  if (Array.isArray(wsgi)) {
    wsgi.forEach((entry: unknown, position) => {
      if (isPythonEntry(entry)) apps.push({ ...pythonApp(entry as string | PythonAppOption, python, baseCwd), position });
    });
  }
  return {
    apps,
    executable,
    processes,
    maxProcesses,
    threads,
    queueSize,
    requestTimeout: milliseconds('requestTimeout', python.requestTimeout, pool.requestTimeout),
    maxRequests: whole('maxRequests', python.maxRequests, pool.maxRequests, 0),
    idleTimeout: milliseconds('idleTimeout', python.idleTimeout, pool.idleTimeout),
    killGrace: milliseconds('killGrace', python.killGrace, 2_000),
    executorThreads: whole('executorThreads', python.executorThreads, 2, 1),
    executorQueue: whole('executorQueue', python.executorQueue, pool.executorQueue, 0),
    futureLifespan: milliseconds('futureLifespan', python.futureLifespan, 30_000),
  };
}

function pythonApp(entry: string | PythonAppOption, python: PythonOptions, baseCwd: string): PythonApp {
  let option: PythonAppOption;
  if (typeof entry === 'string') {
    const { prefix, module } = parseWsgiSpec(entry);
    option = { prefix, python: module.slice('python:'.length) };
  } else {
    option = entry;
    for (const key of Object.keys(option)) if (!knownAppKeys.has(key)) fail(`option "wsgi": unknown key "${key}" for a Python application`);
  }
  const callable = option.python;
  if (typeof callable !== 'string' || !callablePattern.test(callable)) {
    fail(
      `option "wsgi": a Python application is MODULE:CALLABLE, such as hello:app or mysite.wsgi:application (got ${JSON.stringify(callable)})`,
    );
  }
  const cwd = option.cwd === undefined ? baseCwd : directory(`the working directory of ${callable}`, option.cwd, baseCwd);
  const path = option.path ?? python.path ?? [];
  if (!Array.isArray(path) || path.some((p) => typeof p !== 'string' || p === '' || p.includes(':') || p.includes('\0'))) {
    fail('option "python.path" must be a list of directories (without ":")');
  }
  return {
    prefix: normalizePrefix(option.prefix),
    callable: callable.includes(':') ? callable : `${callable}:application`,
    cwd,
    path: path.map((p) => resolve(cwd, p)),
  };
}

function directory(name: string, value: unknown, base: string): string {
  if (typeof value !== 'string' || value === '') return fail(`option ${JSON.stringify(name)} must be a directory`);
  const path = resolve(base, value);
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // Reported below.
  }
  if (!isDirectory) fail(`option ${JSON.stringify(name)}: no directory at ${value} (${path})`);
  return path;
}

function whole(name: string, value: unknown, fallback: number, least: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least)
    fail(`option "python.${name}" must be a whole number, ${least} or more (got ${JSON.stringify(value)})`);
  return value as number;
}

function milliseconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    fail(`option "python.${name}" must be a positive number of milliseconds (got ${JSON.stringify(value)})`);
  return value as number;
}
