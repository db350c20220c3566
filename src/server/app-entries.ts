/**
 * The entries of the `wsgi` option, as the command line and the options
 * object give them: "PREFIX=./app.mjs#export" or "PREFIX=python:module:callable",
 * or the same as objects. wsgi-options.ts resolves the JavaScript ones,
 * python-options.ts the Python ones; both read entries through these.
 */
import type { AppInterface } from '../../components/wsgi/messages.js';

export const fail = (message: string): never => {
  throw new TypeError(`boxwire: ${message}`);
};

export interface WsgiAppOption {
  /** Where it is mounted: "/" or "/app/"; requests below it go to the application, the prefix as SCRIPT_NAME. */
  readonly prefix: string;
  /** The module's path (relative to the working directory), or a file: URL. */
  readonly module: string;
  /** The export to use; by default `default`, then `application`, `app`, or the module's `fetch`. */
  readonly export?: string;
  /** "wsgi" or "fetch"; by default a function is WSGI and an object with fetch() is fetch-style. */
  readonly interface?: AppInterface;
}

/** "PREFIX=./app.mjs#exportName", or the same as an object; or a Python application ("PREFIX=python:module:callable", python-options.ts). */
export type WsgiOption = string | WsgiAppOption | PythonAppOption;

/** Splits "PREFIX=MODULE[#EXPORT]". */
export function parseWsgiSpec(spec: string): WsgiAppOption {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1)
    fail(`a WSGI application is PREFIX=MODULE[#EXPORT], such as /app/=./app.mjs (got ${JSON.stringify(spec)})`);
  const prefix = spec.slice(0, eq);
  const rest = spec.slice(eq + 1);
  const hash = rest.lastIndexOf('#');
  return hash < 0 ? { prefix, module: rest } : { prefix, module: rest.slice(0, hash), export: rest.slice(hash + 1) };
}

/** The mount of a prefix: "/app/" and "/app" are "/app"; "/" is "". */
export function normalizePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/'))
    return fail(`a WSGI prefix must start with "/" (got ${JSON.stringify(prefix)})`);
  const mount = prefix.replace(/\/+$/, '');
  if (/[*:?#%\\\s]/.test(mount) || mount.includes('//') || mount.split('/').some((s) => s === '.' || s === '..')) {
    fail(`a WSGI prefix is a plain path such as /app/ (got ${JSON.stringify(prefix)})`);
  }
  return mount;
}

/** A Python application as an entry of `wsgi`, in the object form. */
export interface PythonAppOption {
  readonly prefix: string;
  /** "MODULE:CALLABLE" ("MODULE" alone means MODULE:application; "MODULE:NAME()" calls a factory). */
  readonly python: string;
  /** Its own working directory, instead of python.cwd. */
  readonly cwd?: string;
  /** Its own PYTHONPATH entries, instead of python.path. */
  readonly path?: readonly string[];
}

/**
 * Whether an entry of `wsgi` is a Python application ("PREFIX=python:MODULE:CALLABLE",
 * or an object with `python`): python-options.ts resolves those; here they only claim their prefix.
 */
export function isPythonEntry(entry: unknown): boolean {
  if (typeof entry === 'string') return /^[^=]+=python:/.test(entry);
  return typeof entry === 'object' && entry !== null && 'python' in entry;
}
