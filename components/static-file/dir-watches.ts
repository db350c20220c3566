/**
 * Directory watches for the file cache: which cached answers depend on
 * which directories, and a file-system watch (inotify on Linux) on each such
 * directory. Any event in a directory (a file in it written, created,
 * removed, renamed; the directory itself moved or removed) drops every
 * answer that depends on it, and the watch with them: the next answer that
 * needs the directory watches it afresh. So a changed file costs its
 * answer, and an unchanged one costs no system call at all.
 *
 * A directory that cannot be watched (no inotify, the watch limit reached,
 * a file system that sends no events) is reported, and the cache checks the
 * answers that depend on it by stat instead.
 */
import { watch, type FSWatcher } from 'node:fs';

interface Watched {
  readonly watcher: FSWatcher;
  /** Keys of the answers that depend on this directory. */
  readonly keys: Set<string>;
}

export class DirWatches {
  private readonly dirs = new Map<string, Watched>();
  private closed = false;

  /** `changed` is called with the keys that depended on a directory in which something happened. */
  constructor(private readonly changed: (keys: readonly string[]) => void) {}

  /** Directories watched now. */
  get size(): number {
    return this.dirs.size;
  }

  /** Records that `key` depends on `dir`; false when the directory could not be watched. */
  add(dir: string, key: string): boolean {
    if (this.closed) return false;
    let watched = this.dirs.get(dir);
    if (!watched) {
      let watcher: FSWatcher;
      try {
        // Not persistent: a watch never keeps the process alive.
        watcher = watch(dir, { persistent: false }, () => this.fire(dir));
      } catch {
        return false;
      }
      watcher.on('error', () => this.fire(dir));
      watched = { watcher, keys: new Set() };
      this.dirs.set(dir, watched);
    }
    watched.keys.add(key);
    return true;
  }

  /** Forgets that `key` depends on `dir`; the watch goes when nothing depends on it. */
  remove(dir: string, key: string): void {
    const watched = this.dirs.get(dir);
    if (!watched) return;
    watched.keys.delete(key);
    if (watched.keys.size === 0) this.unwatch(dir, watched);
  }

  /** Closes every watch. */
  close(): void {
    this.closed = true;
    for (const [dir, watched] of this.dirs) this.unwatch(dir, watched);
  }

  private fire(dir: string): void {
    const watched = this.dirs.get(dir);
    if (!watched) return;
    // The watch goes too: after some events (the directory removed) it would hear nothing more.
    this.unwatch(dir, watched);
    this.changed([...watched.keys]);
  }

  private unwatch(dir: string, watched: Watched): void {
    this.dirs.delete(dir);
    watched.watcher.close();
  }
}
