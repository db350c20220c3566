/**
 * UsersFile: an htpasswd file as the authentication stage reads it, shared
 * by every connection of a server. It is read when it is made (a file that
 * cannot be read is refused then, with the server), and read again when it
 * changes: at most once per `recheck` ms a request finds it due, and the
 * file's stat (inode, size, times) is compared with the last one; only a
 * change reads and parses it again. Editors that write a new file and
 * rename it over the old one are seen as well as those that write in
 * place. It holds no handle or watch between checks.
 *
 * A file that can no longer be read fails closed: requests under the stage
 * get a 500, and the errors log says why, until it can be read again.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { parseHtpasswd, type UsersTable } from '../../src/http/htpasswd.js';

interface FileKey {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

const keyOf = (s: Stats): FileKey => ({ ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs });
const sameKey = (a: FileKey, b: FileKey) => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

export class UsersFile {
  /** The users as last read. A new object each time the file is read again. */
  table: UsersTable;
  /** Why the file cannot be read now; undefined while it can. */
  failure: string | undefined = undefined;
  /** What the last reading had to say (lines skipped), until a stage takes it to log. */
  private news: string[];
  private key: FileKey;
  private checkedAt: number;
  private checking: Promise<void> | undefined = undefined;

  constructor(
    readonly path: string,
    private readonly recheck: number,
  ) {
    let text: string;
    let stats: Stats;
    try {
      stats = statSync(path);
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new TypeError(`cannot read the users file ${path}: ${(error as Error).message}`);
    }
    if (!stats.isFile()) throw new TypeError(`the users file ${path} is not a file`);
    this.key = keyOf(stats);
    this.table = parseHtpasswd(text);
    this.news = this.table.problems.map((p) => `${path}: ${p}`);
    this.checkedAt = performance.now();
  }

  /** Whether the file is due a look, `now` being performance.now() (a request's `received`). */
  due(now: number): boolean {
    return now - this.checkedAt >= this.recheck;
  }

  /** Looks at the file and reads it again if it changed; one look at a time, whoever asks. */
  refresh(): Promise<void> {
    this.checking ??= this.look().finally(() => {
      this.checking = undefined;
      this.checkedAt = performance.now();
    });
    return this.checking;
  }

  /** What the file's readings have had to say since last asked. */
  takeNews(): string[] {
    const news = this.news;
    this.news = [];
    return news;
  }

  private async look(): Promise<void> {
    try {
      const stats = await stat(this.path);
      if (this.failure === undefined && sameKey(keyOf(stats), this.key)) return;
      const text = await readFile(this.path, 'utf8');
      this.key = keyOf(stats);
      this.table = parseHtpasswd(text);
      if (this.failure !== undefined) this.news.push(`${this.path} can be read again`);
      this.failure = undefined;
      this.news.push(`${this.path} read again: ${this.table.users.size} user(s)`, ...this.table.problems.map((p) => `${this.path}: ${p}`));
    } catch (error) {
      if (this.failure === undefined) this.news.push(`cannot read the users file ${this.path}: ${(error as Error).message}`);
      this.failure = `cannot read the users file: ${(error as Error).message}`;
    }
  }
}
