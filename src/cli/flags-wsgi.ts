/**
 * The command line of the WSGI path: applications (`--wsgi`, repeatable)
 * and their thread pool. There is none unless one is named (`npm start`'s
 * demo names its own, in examples/demo.config.mjs); `--wsgi off` serves none
 * even when the configuration file names some.
 */
import { CliError, integer, seconds, type Flag, type OptionsDraft } from './args.js';

const pool = (o: OptionsDraft) => (o.pool ??= {});
const apps = (o: OptionsDraft): (string | object)[] => (o.wsgi ??= []) as (string | object)[];

/** `--wsgi off` was given: no application (the list stays empty, and wins over the file's). */
const off = Symbol('no WSGI applications');

export const wsgiFlags: readonly Flag[] = [
  {
    name: '--wsgi',
    value: 'PREFIX=MODULE[#EXPORT]',
    help: 'serve a WSGI or fetch-style application at PREFIX, e.g. /app/=./app.mjs, or a Python one, /py/=python:MODULE:CALLABLE; off for none, whatever the configuration file says',
    repeatable: true,
    apply: (o, v) => {
      const list = apps(o);
      if (v === 'off') {
        if (list.length > 0) throw new CliError('--wsgi off cannot be given with applications');
        (o as Record<symbol, boolean>)[off] = true;
        return;
      }
      if ((o as Record<symbol, boolean>)[off]) throw new CliError('--wsgi off cannot be given with applications');
      if (!/^\/[^=]*=./.test(v)) throw new CliError(`--wsgi needs PREFIX=MODULE[#EXPORT], such as /app/=./app.mjs, not "${v}"`);
      list.push(v);
    },
  },
  {
    name: '--min-threads',
    value: 'N',
    help: 'threads always running for applications (default 10)',
    apply: (o, v) => void (pool(o).minThreads = integer('--min-threads', v)),
  },
  {
    name: '--max-threads',
    value: 'N',
    help: 'most threads; 0 for no limit (default 0)',
    apply: (o, v) => void (pool(o).maxThreads = integer('--max-threads', v)),
  },
  {
    name: '--queue-size',
    value: 'N',
    help: 'requests that may wait for a thread; more get 503 (default 256)',
    apply: (o, v) => void (pool(o).queueSize = integer('--queue-size', v)),
  },
  {
    name: '--app-timeout',
    value: 'SECONDS',
    help: 'time an application may run without progress; then 504 and a new thread (default 60)',
    apply: (o, v) => void (pool(o).requestTimeout = seconds('--app-timeout', v)),
  },
  {
    name: '--executor-queue',
    value: 'N',
    help: "functions that may wait in each thread's (and Python process's) wsgiorg.executor; submitting more raises (default 64)",
    apply: (o, v) => void (pool(o).executorQueue = integer('--executor-queue', v)),
  },
  {
    name: '--max-requests',
    value: 'N',
    help: 'requests a thread serves before it is replaced; 0 for never (default 0)',
    apply: (o, v) => void (pool(o).maxRequests = integer('--max-requests', v)),
  },
];
