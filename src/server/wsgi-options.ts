/**
 * The options of the WSGI path, checked once when the server is made: which
 * applications are mounted where (`wsgi`), and the thread pool they run on
 * (`pool`). An application is named as on the command line,
 * "PREFIX=./app.mjs#exportName", or as an object; its module must exist.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPoolOptions, type PoolOptions } from '../../components/wsgi/pool.js';
import type { WsgiApp } from '../../components/wsgi/routes.js';
import { fail, isPythonEntry, normalizePrefix, parseWsgiSpec, type WsgiAppOption } from './app-entries.js';

const knownAppKeys = new Set(['prefix', 'module', 'export', 'interface']);

/** The JavaScript applications of `wsgi` (Python ones are resolved by python-options.ts). */
export function resolveWsgiApps(given: unknown, cwd = process.cwd()): WsgiApp[] {
  if (given === undefined) return [];
  if (!Array.isArray(given))
    return fail('option "wsgi" must be an array of "PREFIX=MODULE[#EXPORT]" strings or { prefix, module } objects');
  const seen = new Set<string>();
  return given.flatMap((entry: unknown) => {
    const option = typeof entry === 'string' ? parseWsgiSpec(entry) : (entry as WsgiAppOption);
    if (typeof option !== 'object' || option === null) return fail(`option "wsgi": ${JSON.stringify(entry)} is not an application`);
    const python = isPythonEntry(entry);
    if (!python) for (const key of Object.keys(option)) if (!knownAppKeys.has(key)) fail(`option "wsgi": unknown key "${key}"`);
    const prefix = normalizePrefix(option.prefix);
    if (seen.has(prefix)) fail(`option "wsgi": two applications at ${prefix || '/'}`);
    seen.add(prefix);
    if (python) return [];
    const name = option.export;
    if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(name))) {
      fail(`option "wsgi": export ${JSON.stringify(name)} is not a name`);
    }
    const kind = option.interface;
    if (kind !== undefined && kind !== 'wsgi' && kind !== 'fetch')
      fail(`option "wsgi": interface must be "wsgi" or "fetch" (got ${JSON.stringify(kind)})`);
    const app: WsgiApp = { prefix, module: modulePath(option.module, cwd) };
    return { ...app, ...(name !== undefined ? { export: name } : {}), ...(kind !== undefined ? { interface: kind } : {}) };
  });
}

function modulePath(module: unknown, cwd: string): string {
  if (typeof module !== 'string' || module === '') return fail(`option "wsgi": module must be a path (got ${JSON.stringify(module)})`);
  const path = module.startsWith('file:') ? fileURLToPath(module) : isAbsolute(module) ? module : resolve(cwd, module);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // Reported below.
  }
  if (!isFile) fail(`option "wsgi": no module at ${module} (${path})`);
  return path;
}

export function resolvePoolOptions(given: unknown): PoolOptions {
  if (given === undefined) return defaultPoolOptions;
  if (typeof given !== 'object' || given === null) return fail('option "pool" must be an object');
  const out: Record<string, number> = { ...defaultPoolOptions };
  for (const [key, value] of Object.entries(given)) {
    if (!(key in defaultPoolOptions)) fail(`unknown option "pool.${key}" (known: ${Object.keys(defaultPoolOptions).join(', ')})`);
    if (value === undefined) continue;
    const timeout = key === 'idleTimeout' || key === 'requestTimeout';
    const ok = typeof value === 'number' && (timeout ? value > 0 && Number.isFinite(value) : Number.isInteger(value) && value >= 0);
    if (!ok)
      fail(
        `option "pool.${key}" must be ${timeout ? 'a positive number of milliseconds' : 'a whole number, 0 or more'} (got ${JSON.stringify(value)})`,
      );
    out[key] = value as number;
  }
  const options = out as unknown as PoolOptions;
  if (options.maxThreads > 0 && options.maxThreads < options.minThreads) {
    fail(`option "pool.maxThreads" (${options.maxThreads}) is below pool.minThreads (${options.minThreads}); 0 means no limit`);
  }
  if (options.executorConcurrency < 1) fail('option "pool.executorConcurrency" must be 1 or more');
  // The pool grows for requests that wait: with no thread to start with and no queue, nothing could ever run.
  if (options.minThreads === 0 && options.queueSize === 0) fail('option "pool": minThreads and queueSize cannot both be 0');
  return options;
}
