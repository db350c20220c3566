/**
 * `wsgi.file_wrapper` (PEP 3333, "Optional Platform-Specific File
 * Handling"), inside a worker thread. An application that returns
 * `environ['wsgi.file_wrapper'](path)` has the file sent by the responder
 * itself, from the main thread, at the socket's pace: the thread is free as
 * soon as it has said which file. Middleware that iterates the wrapper
 * instead gets the file in blocks, as PEP 3333 requires of the fallback.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { FileSpec } from './messages.js';

/** A path, or a file-like object that names its path (an fs.ReadStream, say) and may have close(). */
export type FileLike = string | { readonly path: string | Buffer; close?(): unknown };

export class FileWrapper implements Iterable<Uint8Array> {
  readonly path: string;

  constructor(
    private readonly file: FileLike,
    readonly blockSize = 64 * 1024,
  ) {
    const path = typeof file === 'string' ? file : file?.path;
    if (typeof path !== 'string' && !Buffer.isBuffer(path)) throw new TypeError('wsgi.file_wrapper takes a path, or an object with a path');
    if (!Number.isInteger(blockSize) || blockSize <= 0) throw new TypeError('wsgi.file_wrapper: blockSize must be a positive integer');
    this.path = String(path);
  }

  /** The whole file, as the responder will send it; throws when it cannot be read. */
  spec(): FileSpec {
    const stats = statSync(this.path);
    if (!stats.isFile()) throw new Error(`wsgi.file_wrapper: ${this.path} is not a regular file`);
    return { path: this.path, start: 0, end: stats.size };
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    const fd = openSync(this.path, 'r');
    try {
      for (;;) {
        const block = Buffer.allocUnsafe(this.blockSize);
        const n = readSync(fd, block, 0, this.blockSize, null);
        if (n === 0) return;
        yield block.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** PEP 3333: closing the wrapper closes the file-like object it wraps. */
  close(): void {
    if (typeof this.file !== 'string') this.file.close?.();
  }
}
