/**
 * The entries of a directory, for a listing. Each name is put through the
 * same resolution as a request for it would be (resolve-path.ts), so a
 * listing shows exactly what can be fetched: no dotfiles unless they are
 * served, no excluded directories, no symlinks that lead where requests may
 * not go. At most `limit` entries are read.
 */
import { opendir, stat } from 'node:fs/promises';
import type { ListingEntry } from '../../src/http/listing.js';
import type { FileCache, RealRoots } from './file-cache.js';

export interface DirectoryListing {
  readonly entries: ListingEntry[];
  /** Entries beyond the limit, not read. */
  readonly omitted: number;
}

export async function readDirectory(
  cache: FileCache,
  urlPath: string,
  realPath: string,
  roots: RealRoots,
  limit = 10_000,
): Promise<DirectoryListing> {
  const names: string[] = [];
  let omitted = 0;
  const dir = await opendir(realPath);
  for await (const dirent of dir) {
    if (names.length < limit) names.push(dirent.name);
    else omitted++;
  }
  const entries: ListingEntry[] = [];
  // A few at a time: a huge directory must not start thousands of stats at once.
  for (let i = 0; i < names.length; i += 32) {
    const batch = await Promise.all(names.slice(i, i + 32).map((name) => entry(cache, urlPath, name, roots)));
    for (const e of batch) if (e) entries.push(e);
  }
  return { entries, omitted };
}

async function entry(cache: FileCache, urlPath: string, name: string, roots: RealRoots): Promise<ListingEntry | undefined> {
  const resolved = await cache.resolvePath(urlPath + name, roots).catch(() => undefined);
  if (!resolved?.ok) return undefined;
  try {
    const stats = await stat(resolved.realPath);
    if (!stats.isFile() && !stats.isDirectory()) return undefined;
    return { name, directory: stats.isDirectory(), size: stats.size, modified: stats.mtimeMs };
  } catch {
    return undefined;
  }
}
