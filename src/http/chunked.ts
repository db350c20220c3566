/**
 * The chunked transfer coding, decoded incrementally (RFC 9112 §7.1): bytes
 * go in as they arrive, in pieces of any size, and body data comes out as
 * slices of the input (no copy). Strict, because chunked framing is where
 * requests get smuggled: CRLF exactly where the grammar puts it, hex sizes of
 * at most 16 digits, extensions that follow the grammar, bounded lines.
 */
import { HeaderMap } from './headers.js';
import { splitFieldLine, tokenChars } from './grammar.js';

export interface ChunkedLimits {
  /** Longest chunk-size line, extensions included. */
  readonly maxLine: number;
  /** Largest trailer section, in bytes. */
  readonly maxTrailerBytes: number;
  /** Most trailer fields. */
  readonly maxTrailerFields: number;
}

const token = `[${tokenChars}]+`;
const quoted = '"(?:[^"\\\\\\x00-\\x08\\x0a-\\x1f\\x7f]|\\\\[\\x09\\x20-\\x7e\\x80-\\xff])*"';
const sizeLine = new RegExp(`^([0-9A-Fa-f]{1,16})((?:[ \\t]*;[ \\t]*${token}(?:[ \\t]*=[ \\t]*(?:${token}|${quoted}))?)*)$`);

const enum State {
  Size,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
  Failed,
}

export class ChunkedDecoder {
  private state = State.Size;
  private line = '';
  private remaining = 0;
  private trailerBytes = 0;
  readonly trailers = new HeaderMap();
  failure: { readonly status: number; readonly reason: string } | undefined;

  constructor(private readonly limits: ChunkedLimits) {}

  get done(): boolean {
    return this.state === State.Done;
  }

  get failed(): boolean {
    return this.state === State.Failed;
  }

  /**
   * Decodes from `buf[from]` on, calling `data` with each slice of body
   * data. Returns the index it stopped at: the end of `buf`, or, once the
   * body is complete (or has failed), the first byte after it.
   */
  feed(buf: Buffer, from: number, data: (chunk: Buffer) => void): number {
    let i = from;
    const end = buf.length;
    while (i < end) {
      switch (this.state) {
        case State.Size:
        case State.Trailer: {
          const lf = buf.indexOf(10, i);
          const stop = lf < 0 ? end : lf;
          this.line += buf.toString('latin1', i, stop);
          if (this.state === State.Size && this.line.length > this.limits.maxLine) return this.fail(400, 'chunk-size line too long', end);
          if (this.state === State.Trailer && this.trailerBytes + this.line.length > this.limits.maxTrailerBytes) {
            return this.fail(431, 'trailer section too large', end);
          }
          if (lf < 0) return end;
          i = lf + 1;
          const line = this.line;
          this.line = '';
          if (!line.endsWith('\r')) return this.fail(400, 'bare LF in chunked framing', i);
          const text = line.slice(0, -1);
          if (this.state === State.Size) {
            if (!this.sizeLine(text)) return this.fail(400, 'malformed chunk-size line', i);
          } else {
            if (!this.trailerLine(text)) return i;
            if (this.done) return i;
          }
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, end - i);
          data(buf.subarray(i, i + n));
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (buf[i] !== 13) return this.fail(400, 'chunk data not followed by CRLF', i);
          this.state = State.DataLf;
          i++;
          break;
        case State.DataLf:
          if (buf[i] !== 10) return this.fail(400, 'chunk data not followed by CRLF', i);
          this.state = State.Size;
          i++;
          break;
        case State.Done:
        case State.Failed:
          return i;
      }
    }
    return i;
  }

  private sizeLine(text: string): boolean {
    const m = sizeLine.exec(text);
    if (!m) return false;
    const size = parseInt(m[1]!, 16);
    if (!Number.isSafeInteger(size)) return false;
    if (size === 0) this.state = State.Trailer;
    else {
      this.remaining = size;
      this.state = State.Data;
    }
    return true;
  }

  /** Handles one trailer line; false when it failed the body. */
  private trailerLine(text: string): boolean {
    if (text === '') {
      this.state = State.Done;
      return true;
    }
    this.trailerBytes += text.length + 2;
    const field = splitFieldLine(text);
    if (typeof field === 'string') {
      this.fail(400, 'malformed trailer field', 0);
      return false;
    }
    if (this.trailers.size >= this.limits.maxTrailerFields) {
      this.fail(431, 'too many trailer fields', 0);
      return false;
    }
    this.trailers.appendLower(field.name, field.value);
    return true;
  }

  private fail(status: number, reason: string, at: number): number {
    this.state = State.Failed;
    this.failure = { status, reason };
    return at;
  }
}
