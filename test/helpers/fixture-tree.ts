/**
 * Fixture directories for tests: a tree of files, directories and symlinks
 * made in a fresh temporary directory, removed after the test.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

/** A symlink to `target` (relative to the link's directory, or absolute). */
export interface Symlink {
  readonly symlink: string;
}
export type Tree = { readonly [name: string]: string | Buffer | Symlink | Tree };

const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Makes a temporary directory holding `tree`; returns its real path. It is removed after the test. */
export function makeTree(tree: Tree): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'boxwire-test-')));
  made.push(dir);
  write(dir, tree);
  return dir;
}

export function write(dir: string, tree: Tree): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(tree)) {
    const p = path.join(dir, name);
    if (typeof value === 'string' || Buffer.isBuffer(value)) writeFileSync(p, value);
    else if ('symlink' in value && typeof value.symlink === 'string') symlinkSync(value.symlink, p);
    else write(p, value as Tree);
  }
}
