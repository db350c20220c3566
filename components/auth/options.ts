/**
 * Options of Basic authentication (`basicAuth(options)`, the server's
 * `auth` option, `--auth PREFIX=FILE`): their type, defaults and checks,
 * resolved once, when the stage is made.
 */
import path from 'node:path';
import { isValidRealm } from '../../src/http/basic-credentials.js';
import { badOption } from '../../src/http/option-checks.js';

export interface BasicAuthOptions {
  /** The htpasswd file of users (htpasswd -B, -m or -s); relative to the working directory. */
  readonly file: string;
  /** The realm the browser shows when it asks for a password. Default "Restricted". */
  readonly realm?: string;
  /** Only paths at or under this prefix need a password ("/admin/" takes "/admin" and "/admin/..."). Default "/": every path. */
  readonly prefix?: string;
  /** Milliseconds between looks at whether the file changed. Default 1000; 0 looks on every request. */
  readonly recheck?: number;
  /** Successful checks remembered (so bcrypt runs once per user and password, not per request). Default 1000; 0 for none. */
  readonly cacheSize?: number;
}

export interface ResolvedBasicAuthOptions {
  /** Absolute path. */
  readonly file: string;
  readonly realm: string;
  /** The prefix without its trailing slash; '' for every path. */
  readonly prefix: string;
  readonly recheck: number;
  readonly cacheSize: number;
}

const keys = new Set(['file', 'realm', 'prefix', 'recheck', 'cacheSize']);

export function resolveBasicAuthOptions(options: BasicAuthOptions, name = 'auth'): ResolvedBasicAuthOptions {
  if (typeof options !== 'object' || options === null) throw badOption(name, 'an object such as { file, realm, prefix }', options);
  for (const key of Object.keys(options))
    if (!keys.has(key)) throw new TypeError(`boxwire: unknown option "${name}.${key}" (known: ${[...keys].join(', ')})`);
  if (typeof options.file !== 'string' || options.file === '' || options.file.includes('\0'))
    throw badOption(`${name}.file`, 'the path of an htpasswd file', options.file);
  const realm = options.realm ?? 'Restricted';
  if (!isValidRealm(realm)) throw badOption(`${name}.realm`, 'a one-line string', realm);
  const prefix = options.prefix ?? '/';
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || /[\s*?#]/.test(prefix))
    throw badOption(`${name}.prefix`, 'a path such as "/admin/"', prefix);
  const recheck = options.recheck ?? 1000;
  if (typeof recheck !== 'number' || !Number.isFinite(recheck) || recheck < 0)
    throw badOption(`${name}.recheck`, 'a number of milliseconds', recheck);
  const cacheSize = options.cacheSize ?? 1000;
  if (!Number.isInteger(cacheSize) || cacheSize < 0) throw badOption(`${name}.cacheSize`, 'a whole number', cacheSize);
  return { file: path.resolve(options.file), realm, prefix: prefix.replace(/\/+$/, ''), recheck, cacheSize };
}
