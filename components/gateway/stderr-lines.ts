/**
 * A script's stderr as lines for the errors channel. Bytes are decoded as
 * UTF-8; a line longer than `maxLine` characters is cut into pieces; after
 * `limit` bytes in all, the rest is dropped with one note, so a script that
 * floods stderr cannot flood the log.
 */
import { StringDecoder } from 'node:string_decoder';

export class StderrLines {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private total = 0;
  private dropping = false;

  constructor(
    private readonly emit: (line: string) => void,
    readonly maxLine = 4096,
    readonly limit = 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    if (this.dropping) return;
    this.total += chunk.length;
    if (this.total > this.limit) {
      this.dropping = true;
      this.end();
      this.emit(`(stderr beyond ${this.limit} bytes dropped)`);
      return;
    }
    const lines = (this.partial + this.decoder.write(chunk)).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line);
    while (this.partial.length > this.maxLine) {
      this.emit(this.partial.slice(0, this.maxLine));
      this.partial = this.partial.slice(this.maxLine);
    }
  }

  /** The stream ended: what is left is the last line. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.line(rest);
  }

  private line(text: string): void {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    for (let at = 0; at < line.length; at += this.maxLine) this.emit(line.slice(at, at + this.maxLine));
  }
}
