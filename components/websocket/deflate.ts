/**
 * permessage-deflate's two halves (RFC 7692 §7.2) on zlib: the inflater the
 * reading side of a connection uses, and the deflater the writing side
 * uses. Each keeps one zlib stream for as long as the agreed context
 * takeover lets it carry its window from message to message, and none at
 * all otherwise (a connection that is not exchanging messages then holds no
 * zlib memory). One message is worked on at a time: the component waits for
 * `done` before it hands over the next, so output stays in order and never
 * piles up here.
 *
 * The inflater counts what it produces: past `maxOutput` bytes it stops the
 * stream at once and says 1009, so a small message that inflates to
 * gigabytes (a deflate bomb) costs one chunk of zlib's output, not memory.
 * Data zlib cannot inflate is 1007 (invalid payload data, RFC 6455 §7.4.1).
 */
import zlib from 'node:zlib';
import type { Violation } from '../../src/http/websocket-frames.js';

/** §7.2.2: a message's compressed data, with the empty stored block zlib's sync flush ends with put back. */
const syncTail = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export class Inflater {
  private stream: zlib.InflateRaw | undefined = undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private done: ((result: Buffer | Violation) => void) | undefined = undefined;

  constructor(
    private readonly windowBits: number,
    private readonly noContextTakeover: boolean,
    private readonly maxOutput: number,
  ) {}

  /** Inflates one message; `done` gets it, or the violation that ends the connection. */
  inflate(data: Buffer, done: (result: Buffer | Violation) => void): void {
    const stream = (this.stream ??= this.open());
    this.done = done;
    this.chunks = [];
    this.size = 0;
    stream.write(data);
    stream.write(syncTail);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => this.flushed());
  }

  /** Lets go of the zlib stream (the component stops, or the message was refused). */
  close(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.chunks = [];
    if (stream) stream.close();
  }

  private open(): zlib.InflateRaw {
    const stream = zlib.createInflateRaw({ windowBits: this.windowBits });
    stream.on('data', (chunk: Buffer) => this.onData(stream, chunk));
    stream.on('error', (error: Error) => this.onError(stream, error));
    return stream;
  }

  private onData(stream: zlib.InflateRaw, chunk: Buffer): void {
    if (stream !== this.stream || !this.done) return;
    this.size += chunk.length;
    if (this.size > this.maxOutput) {
      this.close();
      return this.answer({ code: 1009, reason: `a compressed message inflating past the limit of ${this.maxOutput} bytes` });
    }
    this.chunks.push(chunk);
  }

  private onError(stream: zlib.InflateRaw, error: Error): void {
    if (stream !== this.stream) return;
    this.close();
    this.answer({ code: 1007, reason: `a compressed message zlib cannot inflate: ${error.message}` });
  }

  private flushed(): void {
    if (!this.done) return;
    const chunks = this.chunks;
    const message = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size);
    this.chunks = [];
    // §7.2.1: without context takeover, every message starts afresh: nothing need be kept.
    if (this.noContextTakeover) this.close();
    this.answer(message);
  }

  private answer(result: Buffer | Violation): void {
    const done = this.done;
    this.done = undefined;
    done?.(result);
  }
}

export interface DeflaterSettings {
  readonly windowBits: number;
  readonly noContextTakeover: boolean;
  readonly level: number;
  readonly memLevel: number;
}

export class Deflater {
  private stream: zlib.DeflateRaw | undefined = undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private done: ((result: Buffer | Error) => void) | undefined = undefined;

  constructor(private readonly settings: DeflaterSettings) {}

  /** Compresses one message: `done` gets its payload, the sync flush's empty block taken off (§7.2.1). */
  deflate(data: Uint8Array, done: (result: Buffer | Error) => void): void {
    const stream = (this.stream ??= this.open());
    this.done = done;
    this.chunks = [];
    this.size = 0;
    stream.write(data);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => this.flushed());
  }

  close(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.chunks = [];
    if (stream) stream.close();
  }

  private open(): zlib.DeflateRaw {
    const { windowBits, level, memLevel } = this.settings;
    const stream = zlib.createDeflateRaw({ windowBits, level, memLevel });
    stream.on('data', (chunk: Buffer) => {
      if (stream !== this.stream) return;
      this.chunks.push(chunk);
      this.size += chunk.length;
    });
    stream.on('error', (error: Error) => {
      if (stream !== this.stream) return;
      this.close();
      this.answer(error);
    });
    return stream;
  }

  private flushed(): void {
    if (!this.done) return;
    let payload = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    if (payload.length >= 4 && payload.subarray(payload.length - 4).equals(syncTail)) payload = payload.subarray(0, payload.length - 4);
    // An empty message compresses to nothing once the tail is off; §7.2.3.6 sends one empty block then.
    if (payload.length === 0) payload = Buffer.from([0x00]);
    if (this.settings.noContextTakeover) this.close();
    this.answer(payload);
  }

  private answer(result: Buffer | Error): void {
    const done = this.done;
    this.done = undefined;
    done?.(result);
  }
}
