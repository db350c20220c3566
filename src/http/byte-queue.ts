/**
 * Unparsed bytes between socket reads. While one chunk holds everything, the
 * queue is a view of that chunk (no copy); a head split across reads is
 * copied into a store that grows by doubling, so feeding a head one byte at a
 * time costs linear work. Bytes handed out (`take`) are views that are never
 * written over afterwards: the store is only ever appended to, and a new
 * store is made when it fills.
 */
export class ByteQueue {
  private buf: Buffer | undefined = undefined;
  private start = 0;
  private end = 0;
  private owned = false;

  get length(): number {
    return this.end - this.start;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.length === 0) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    const size = this.length + chunk.length;
    if (!this.owned || this.end + chunk.length > this.buf!.length) {
      const store = Buffer.allocUnsafe(Math.max(size * 2, 4096));
      this.buf!.copy(store, 0, this.start, this.end);
      this.buf = store;
      this.end = this.length;
      this.start = 0;
      this.owned = true;
    }
    chunk.copy(this.buf!, this.end);
    this.end += chunk.length;
  }

  /** The unparsed bytes, as a view. */
  view(): Buffer {
    return this.buf ? this.buf.subarray(this.start, this.end) : empty;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start >= this.end) this.clear();
  }

  /** The next `n` bytes, as a view that stays valid, and consumes them. */
  take(n: number): Buffer {
    const bytes = this.buf!.subarray(this.start, this.start + n);
    this.consume(n);
    return bytes;
  }

  clear(): void {
    this.buf = undefined;
    this.start = this.end = 0;
    this.owned = false;
  }
}

const empty = Buffer.alloc(0);
