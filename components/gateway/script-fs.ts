/**
 * The file system as the script walk (cgi-script-path.ts) sees it, with a short memory.
 *
 * Every request walks its path (a stat per segment, a realpath at the end).
 * Through the thread pool that is several round trips per request; on a
 * local disk the same calls made synchronously take microseconds. So they
 * are made synchronously, and their answers are remembered for `ttl` ms
 * (lighttpd keeps a stat cache the same way; see `npm run bench -- cgi`,
 * server CPU per request): a script that appears,
 * disappears or changes its mode is seen within that time. The walk's
 * checks are unchanged; only how often the disk is asked is.
 */
import { realpathSync, statSync } from 'node:fs';
import type { ScriptFs, ScriptStat } from '../../src/http/cgi-script-path.js';

interface Remembered<T> {
  readonly value: T;
  readonly until: number;
}

export class CachedScriptFs implements ScriptFs {
  private readonly stats = new Map<string, Remembered<ScriptStat | undefined>>();
  private readonly reals = new Map<string, Remembered<string | Error>>();

  constructor(
    private readonly ttl = 1_000,
    /** Entries kept at most, per kind; the oldest half goes when it is reached. */
    private readonly limit = 4_096,
  ) {}

  stat(path: string): Promise<ScriptStat | undefined> {
    return Promise.resolve(
      this.remember(this.stats, path, () => {
        try {
          const s = statSync(path);
          return { kind: s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other', mode: s.mode } as const;
        } catch {
          return undefined;
        }
      }),
    );
  }

  realpath(path: string): Promise<string> {
    const real = this.remember(this.reals, path, () => {
      try {
        return realpathSync(path);
      } catch (error) {
        return error as Error;
      }
    });
    return real instanceof Error ? Promise.reject(real) : Promise.resolve(real);
  }

  private remember<T>(map: Map<string, Remembered<T>>, key: string, read: () => T): T {
    const now = performance.now();
    const known = map.get(key);
    if (known && known.until > now) return known.value;
    const value = read();
    if (map.size >= this.limit) {
      let drop = map.size >> 1;
      for (const k of map.keys()) {
        if (drop-- <= 0) break;
        map.delete(k);
      }
    }
    map.set(key, { value, until: now + this.ttl });
    return value;
  }
}

/** Script lookups, shared by every gateway handler of the process: a short memory of the disk. */
export const scriptFs = new CachedScriptFs();
