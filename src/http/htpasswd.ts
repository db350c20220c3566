/**
 * Apache's password file, as `htpasswd` writes it: one `user:hash` a line.
 * As Apache's mod_authn_file reads it, blank lines and lines beginning
 * with '#' are skipped, the user-id ends at the first colon, the hash at the
 * next one (anything after is ignored), and the first line for a user is
 * the one that counts.
 *
 * The hashes taken are those htpasswd writes: bcrypt (`-B`, `$2y$`; also
 * `$2a$` and `$2b$`), Apache's MD5 (`-m`, the default, `$apr1$`; and the
 * `$1$` MD5-crypt it is made from) and SHA-1 (`-s`, `{SHA}`). The others
 * (`-d` crypt(3), `-p` plain text, which Apache itself refuses on Unix,
 * `$5$`/`$6$`) are reported and the line is skipped: that user cannot log
 * in, rather than logging in against a hash nobody checked.
 */

export type HashKind = 'bcrypt' | 'md5' | 'sha1';

export interface StoredHash {
  readonly kind: HashKind;
  /** The hash as the file has it. */
  readonly text: string;
}

export interface UsersTable {
  readonly users: ReadonlyMap<string, StoredHash>;
  /** Lines skipped, and why: for the log. */
  readonly problems: readonly string[];
}

/** What kind of hash a stored value is; undefined for one we do not check. */
export function hashKind(hash: string): HashKind | undefined {
  if (/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) return 'bcrypt';
  if (/^\$(apr1|1)\$[^$]{0,8}\$[./0-9A-Za-z]{22}$/.test(hash)) return 'md5';
  if (/^\{SHA\}[A-Za-z0-9+/]{27}=$/.test(hash)) return 'sha1';
  return undefined;
}

/** Reads a password file's text. */
export function parseHtpasswd(text: string): UsersTable {
  const users = new Map<string, StoredHash>();
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      problems.push(`line ${i + 1}: no user-id and colon`);
      continue;
    }
    const user = line.slice(0, colon);
    const rest = line.slice(colon + 1);
    const end = rest.indexOf(':');
    const hash = (end < 0 ? rest : rest.slice(0, end)).trim();
    if (users.has(user)) {
      problems.push(`line ${i + 1}: ${JSON.stringify(user)} again (the first line for a user counts)`);
      continue;
    }
    const kind = hashKind(hash);
    if (kind === undefined) {
      problems.push(`line ${i + 1}: ${JSON.stringify(user)} has a hash of a kind not taken (${describe(hash)}); use htpasswd -B`);
      continue;
    }
    users.set(user, { kind, text: hash });
  }
  return { users, problems };
}

function describe(hash: string): string {
  if (/^\$[56]\$/.test(hash)) return 'SHA-crypt';
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return 'crypt(3) DES';
  if (hash.startsWith('$')) return 'unknown';
  return 'plain text or unknown';
}
