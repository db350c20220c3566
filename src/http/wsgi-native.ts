/**
 * PEP 3333 "native strings" for a Python application's environ: every
 * value is a str whose characters are bytes (latin-1), so what the client
 * sent arrives byte for byte. The one place a boxwire environ (JavaScript
 * strings, see wsgi-environ.ts) becomes Python's.
 *
 * - PATH_INFO and SCRIPT_NAME are the path the parser decoded once, as
 *   Unicode: their UTF-8 bytes, as latin-1 (PEP 3333, "Unicode Issues";
 *   as wsgiref and gunicorn give them). Never decoded again.
 * - Everything else the parser read as latin-1 already (the request line
 *   and header values are bytes as characters): it goes as it is. A value
 *   of the server's own with characters beyond latin-1 (a SERVER_SOFTWARE
 *   in Unicode, say) goes as its UTF-8 bytes.
 *
 * Security: a value holding NUL is refused (`nulField`), because the
 * framing between boxwire and the Python worker separates names and
 * values with NUL: a NUL inside one would shift every pair after it, and a
 * client could then pose as another variable. The parser already refuses
 * NUL in a request; this is the second lock on that door.
 */
import type { CgiVariables } from './wsgi-environ.js';

const beyondAscii = /[^\x00-\x7f]/;
const beyondLatin1 = /[^\x00-\xff]/;

/** Bytes (as a latin-1 string) of a decoded path: its UTF-8 encoding. */
export function nativePath(path: string): string {
  return beyondAscii.test(path) ? Buffer.from(path, 'utf8').toString('latin1') : path;
}

/** A value that is already bytes as characters stays as it is; one with characters beyond latin-1 becomes its UTF-8 bytes. */
export function nativeString(value: string): string {
  return beyondLatin1.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/** One variable's value as a native string: the paths as their UTF-8 bytes, the rest as they are. */
export function nativeValue(name: string, value: string): string {
  return name === 'PATH_INFO' || name === 'SCRIPT_NAME' ? nativePath(value) : nativeString(value);
}

/** The environ's CGI variables as PEP 3333 native strings. */
export function nativeEnviron(env: Readonly<CgiVariables>): CgiVariables {
  const out: CgiVariables = {};
  for (const name in env) out[nativeString(name)] = nativeValue(name, env[name]!);
  return out;
}

/** The first variable whose name or value holds NUL, which the worker's framing cannot carry; undefined when none does. */
export function nulField(env: Readonly<CgiVariables>): string | undefined {
  for (const name in env) if (name.includes('\0') || env[name]!.includes('\0')) return name;
  return undefined;
}
