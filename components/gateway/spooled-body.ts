/**
 * The request body on its way to a gateway program (a CGI script's stdin,
 * a FastCGI application's FCGI_STDIN).
 *
 * A body with a Content-Length streams straight from the socket to the
 * program, with backpressure both ways: the next chunk is read from the
 * request only once the program's side has taken the last, and the parser
 * stops reading the socket while nobody reads the body.
 *
 * A chunked body has no length, and real programs read exactly
 * CONTENT_LENGTH bytes (CGI.pm, PHP, Python's cgi module), so it is read in
 * full before the program starts, as lighttpd and nginx do: kept in memory
 * up to `spillAt` bytes, the rest in an unlinked temporary file, bounded by
 * the server's body limit. Then the program gets CONTENT_LENGTH and the
 * bytes. (Programs that read to end-of-file work either way.)
 */
import { randomUUID } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestBody } from '../../src/http/request-body.js';

const readSize = 64 * 1024;

/** A chunked body read in full: in memory, or partly in a temporary file. */
export class SpooledBody implements AsyncIterable<Uint8Array> {
  length = 0;
  private readonly memory: Uint8Array[] = [];
  private file: FileHandle | undefined;

  private constructor() {}

  /**
   * Reads `body` to its end. `own` is handed the file's release the moment a
   * file is opened, so whoever owns the request closes it on every path.
   */
  static async read(body: RequestBody, spillAt: number, own: (release: () => void) => void): Promise<SpooledBody> {
    const spooled = new SpooledBody();
    for await (const chunk of body) {
      spooled.length += chunk.length;
      if (!spooled.file && spooled.length <= spillAt) {
        spooled.memory.push(chunk);
        continue;
      }
      if (!spooled.file) {
        const file = await openTemporary();
        spooled.file = file;
        own(() => void file.close().catch(() => {}));
        for (const held of spooled.memory.splice(0)) await file.write(held);
      }
      await spooled.file.write(chunk);
    }
    return spooled;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (const chunk of this.memory) yield chunk;
    const file = this.file;
    if (!file) return;
    let position = 0;
    while (position < this.length) {
      const buffer = Buffer.allocUnsafe(Math.min(readSize, this.length - position));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new Error('the spooled request body ended early');
      position += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  }
}

/** A file only this process can reach: created exclusively, mode 0600, and unlinked at once. */
async function openTemporary(): Promise<FileHandle> {
  const path = join(tmpdir(), `boxwire-body-${process.pid}-${randomUUID()}`);
  const file = await open(path, 'wx+', 0o600);
  await unlink(path).catch(() => {});
  return file;
}
