/**
 * The command line of the WSGI path: applications (`--wsgi`, repeatable)
 * and their thread pool. With no `--wsgi`, the command serves the demo
 * application (examples/wsgi/demo-app.mjs) under /app/; `--wsgi off` serves
 * none.
 */
import { fileURLToPath } from 'node:url';
import { CliError, integer, seconds, type Flag, type OptionsDraft } from './args.js';

const pool = (o: OptionsDraft) => (o.pool ??= {});
const apps = (o: OptionsDraft): (string | object)[] => (o.wsgi ??= []) as (string | object)[];

/** `--wsgi off` was given: no application, the demo included. */
const off = Symbol('no WSGI applications');

export const wsgiFlags: readonly Flag[] = [
  {
    name: '--wsgi',
    value: 'PREFIX=MODULE[#EXPORT]',
    help: 'serve a WSGI or fetch-style application at PREFIX, e.g. /app/=./app.mjs, or a Python one, /py/=python:MODULE:CALLABLE; off for none (default: the demo at /app/)',
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
    name: '--max-requests',
    value: 'N',
    help: 'requests a thread serves before it is replaced; 0 for never (default 0)',
    apply: (o, v) => void (pool(o).maxRequests = integer('--max-requests', v)),
  },
];

/** The demo application, from the built command (dist/src/cli) or the sources (src/cli). */
export const demoApp = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../../examples/wsgi/demo-app.mjs' : '../../../examples/wsgi/demo-app.mjs', import.meta.url),
);

/** The options with the command's default application: the demo under /app/, unless --wsgi said otherwise. */
export function withWsgiDefaults(options: OptionsDraft): OptionsDraft {
  if ((options as Record<symbol, boolean>)[off]) return { ...options, wsgi: [] };
  if (options.wsgi !== undefined) return options;
  return { ...options, wsgi: [{ prefix: '/app/', module: demoApp }] };
}
