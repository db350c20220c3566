/**
 * WebSocket frames (RFC 6455 §5.2), decoded incrementally and encoded: the
 * bytes of an upgraded connection, after the handshake. Pure: bytes go in
 * as they arrive, in pieces of any size, and whole frames come out, their
 * payloads unmasked. The pieces are handed over, not lent: a payload that
 * lies whole in one piece is unmasked where it lies and given out as a view
 * of it (no copy: bench/scenarios/websocket.mjs); one spread over pieces is
 * gathered into a buffer of its own. Strict, as a server must be with what
 * clients send:
 *
 * - every client frame is masked (§5.1), and no server frame is;
 * - RSV2 and RSV3 are never set, and RSV1 only on the first frame of a
 *   data message when permessage-deflate was negotiated (RFC 7692 §6);
 * - opcodes 3-7 and 11-15 are reserved (§5.2): refused;
 * - control frames are never fragmented and carry at most 125 bytes (§5.5);
 * - the 64-bit length has its top bit clear (§5.2);
 * - a frame longer than the frame limit is refused from its header, before
 *   any of its payload is buffered (1009, §7.4.1).
 *
 * Every refusal is a violation with its close code; after one the decoder
 * reads nothing more (the connection is then failed, §7.1.7).
 */

export const opcodes = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface Frame {
  readonly fin: boolean;
  /** RSV1: on a message's first frame, the message is compressed (RFC 7692 §6). */
  readonly compressed: boolean;
  readonly opcode: number;
  /** The payload, unmasked. */
  readonly payload: Buffer;
}

/** Why the bytes cannot be read on: the close code to fail the connection with (RFC 6455 §7.4.1), and the reason. */
export interface Violation {
  readonly code: number;
  readonly reason: string;
}

export interface FrameLimits {
  /** Largest payload of one frame, in bytes: 1009 beyond. */
  readonly maxFrame: number;
  /** permessage-deflate was negotiated: RSV1 may be set on a data message's first frame. */
  readonly compression: boolean;
}

/** Payload buffers start at most this big and double as bytes come: a header's claimed length costs nothing until the bytes arrive. */
const firstCapacity = 1024 * 1024;
const empty = Buffer.alloc(0);

export class FrameDecoder {
  /** A header that arrived split across pieces, gathered: 14 bytes at most (made when first needed). */
  private head: Buffer | undefined = undefined;
  private headLength = 0;
  /** The frame last read: its header's fields, then its payload as it arrives. */
  private fin = false;
  private rsv1 = false;
  private opcode = 0;
  private mask: Uint8Array | undefined = undefined;
  private length = 0;
  private payload: Buffer | undefined = undefined;
  private filled = 0;
  private inPayload = false;
  /** Set once the bytes have broken a rule; nothing more is read. */
  failure: Violation | undefined = undefined;

  constructor(private readonly limits: FrameLimits) {}

  /**
   * Reads `bytes`, calling `onFrame` for each frame completed, in order.
   * Returns the violation that stopped it, if the bytes broke a rule (the
   * frames before it were delivered).
   */
  push(bytes: Uint8Array, onFrame: (frame: Frame) => void): Violation | undefined {
    if (this.failure) return this.failure;
    let at = 0;
    const end = bytes.length;
    while (at < end) {
      if (this.inPayload) {
        at = this.fill(bytes, at);
        if (this.filled === this.length) {
          this.inPayload = false;
          const payload = this.payload!;
          this.payload = undefined;
          this.emit(onFrame, payload.length === this.length ? payload : payload.subarray(0, this.length));
        }
        continue;
      }
      if (this.headLength === 0) {
        // The usual case: the whole header is in this piece, read where it lies.
        const size = this.readHeader(bytes, at, end - at);
        if (size < 0) return this.failure;
        if (size === 0) {
          (this.head ??= Buffer.alloc(14)).set(bytes.subarray(at, end), 0);
          this.headLength = end - at;
          return undefined;
        }
        at += size;
      } else {
        // A header split across pieces: gathered in `head` (14 bytes at most).
        const take = Math.min(14 - this.headLength, end - at);
        const head = this.head!;
        head.set(bytes.subarray(at, at + take), this.headLength);
        const available = this.headLength + take;
        const size = this.readHeader(head, 0, available);
        if (size < 0) return this.failure;
        if (size === 0) {
          this.headLength = available;
          return undefined;
        }
        // Bytes copied into `head` past the header belong to the payload: step back over them.
        at += size - this.headLength;
        this.headLength = 0;
      }
      const length = this.length;
      if (length === 0) this.emit(onFrame, empty);
      else if (end - at >= length) {
        // The whole payload is in this piece: unmasked where it lies, no copy (the piece is handed over).
        const payload = Buffer.from(bytes.buffer, bytes.byteOffset + at, length);
        unmask(payload, 0, length, this.mask!);
        at += length;
        this.emit(onFrame, payload);
      } else {
        this.payload = Buffer.allocUnsafe(Math.min(length, firstCapacity));
        this.filled = 0;
        this.inPayload = true;
      }
    }
    return undefined;
  }

  /**
   * Reads a header from `source[from, from + available)`: its size in bytes
   * once it is complete (and checked), 0 when more bytes are needed, -1 on
   * a violation (then `failure` says which).
   */
  private readHeader(source: Uint8Array, from: number, available: number): number {
    if (available < 2) return 0;
    const b0 = source[from]!;
    const b1 = source[from + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const short = b1 & 0x7f;
    const control = opcode >= 0x8;
    if ((b0 & 0x30) !== 0) return this.fail(1002, 'RSV2 or RSV3 set: no extension defines them');
    if (opcode !== 0x0 && opcode !== 0x1 && opcode !== 0x2 && opcode !== 0x8 && opcode !== 0x9 && opcode !== 0xa) {
      return this.fail(1002, `reserved opcode ${opcode}`);
    }
    if (rsv1 && (!this.limits.compression || control || opcode === 0x0)) {
      return this.fail(1002, this.limits.compression ? 'RSV1 set on a control or continuation frame' : 'RSV1 set: no extension negotiated');
    }
    if (control && !fin) return this.fail(1002, 'a fragmented control frame');
    if (control && short > 125) return this.fail(1002, 'a control frame longer than 125 bytes');
    if (!masked) return this.fail(1002, 'an unmasked client frame');
    const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
    const size = 2 + extended + 4;
    if (available < size) return 0;
    let length = short;
    if (extended === 2) length = (source[from + 2]! << 8) | source[from + 3]!;
    else if (extended === 8) {
      const high = ((source[from + 2]! << 24) | (source[from + 3]! << 16) | (source[from + 4]! << 8) | source[from + 5]!) >>> 0;
      const low = ((source[from + 6]! << 24) | (source[from + 7]! << 16) | (source[from + 8]! << 8) | source[from + 9]!) >>> 0;
      if (high & 0x80000000) return this.fail(1002, 'the most significant bit of a 64-bit length is set');
      length = high * 2 ** 32 + low;
    }
    if (length > this.limits.maxFrame) return this.fail(1009, `a frame of ${length} bytes, over the limit of ${this.limits.maxFrame}`);
    const m = from + 2 + extended;
    const mask = (this.mask ??= new Uint8Array(4));
    mask[0] = source[m]!;
    mask[1] = source[m + 1]!;
    mask[2] = source[m + 2]!;
    mask[3] = source[m + 3]!;
    this.fin = fin;
    this.rsv1 = rsv1;
    this.opcode = opcode;
    this.length = length;
    return size;
  }

  /** Copies (and unmasks) payload bytes from `bytes[at]` on; returns where it stopped. */
  private fill(bytes: Uint8Array, at: number): number {
    const n = Math.min(this.length - this.filled, bytes.length - at);
    let payload = this.payload!;
    if (this.filled + n > payload.length) {
      // Grow by doubling, up to the frame's length: the bytes held are the bytes that came.
      const grown = Buffer.allocUnsafe(Math.min(this.length, Math.max(payload.length * 2, this.filled + n)));
      payload.copy(grown, 0, 0, this.filled);
      payload = this.payload = grown;
    }
    unmaskInto(payload, this.filled, bytes, at, n, this.mask!);
    this.filled += n;
    return at + n;
  }

  private emit(onFrame: (frame: Frame) => void, payload: Buffer): void {
    onFrame({ fin: this.fin, compressed: this.rsv1, opcode: this.opcode, payload });
  }

  private fail(code: number, reason: string): -1 {
    this.failure = { code, reason };
    return -1;
  }
}

const maskBytes = new Uint8Array(4);
const maskWord = new Int32Array(maskBytes.buffer);

/**
 * Copies `n` bytes of `source` from `from` into `target` at `to`, XOR-ed
 * with the mask (RFC 6455 §5.3). `to` is the payload offset, so the mask
 * lines up across pieces.
 *
 * Speed (bench/scenarios/websocket.mjs, 16 KiB echo): a native copy, then
 * the XOR four bytes at a time over the target's aligned words, where a
 * byte loop spent a quarter of the server's time.
 */
export function unmaskInto(target: Buffer, to: number, source: Uint8Array, from: number, n: number, mask: Uint8Array): void {
  target.set(source.subarray(from, from + n), to);
  unmask(target, to, n, mask);
}

/** XORs `n` bytes of `target` from `to` with the mask, in place (`to` is the payload offset). */
export function unmask(target: Uint8Array, to: number, n: number, mask: Uint8Array): void {
  let i = to;
  const end = to + n;
  // Bytes up to the first whole word of the target.
  while (i < end && ((target.byteOffset + i) & 3) !== 0) {
    target[i] ^= mask[i & 3]!;
    i++;
  }
  const words = (end - i) >> 2;
  if (words > 0) {
    // The mask turned to line up with position i, read as a word in the machine's own byte order.
    for (let k = 0; k < 4; k++) maskBytes[k] = mask[(i + k) & 3]!;
    const m = maskWord[0]!;
    const view = new Int32Array(target.buffer, target.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w]! ^= m;
    i += words << 2;
  }
  for (; i < end; i++) target[i] ^= mask[i & 3]!;
}

/** The size of a frame header for a payload of `length` bytes, unmasked (a server's). */
function headerSize(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** Writes an unmasked frame header into `target` at 0 (it has room); returns its size. */
function writeHeader(target: Buffer, opcode: number, length: number, fin: boolean, compressed: boolean): number {
  target[0] = (fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | opcode;
  if (length < 126) {
    target[1] = length;
    return 2;
  }
  if (length < 0x10000) {
    target[1] = 126;
    target.writeUInt16BE(length, 2);
    return 4;
  }
  target[1] = 127;
  target.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  target.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/** Payloads up to this size are copied behind their header, so a frame is one write; larger ones are written after it. */
const joinLimit = 64 * 1024;

/**
 * A server frame (unmasked, §5.1): one buffer for a small payload, the
 * header and then the payload itself (no copy) for a large one.
 */
export function encodeFrame(opcode: number, payload: Uint8Array, fin = true, compressed = false): Buffer | readonly [Buffer, Uint8Array] {
  const length = payload.length;
  if (length > joinLimit) {
    const header = Buffer.allocUnsafe(headerSize(length));
    writeHeader(header, opcode, length, fin, compressed);
    return [header, payload];
  }
  const frame = Buffer.allocUnsafe(headerSize(length) + length);
  const at = writeHeader(frame, opcode, length, fin, compressed);
  frame.set(payload, at);
  return frame;
}

/** A text frame, the string encoded straight behind its header: one buffer, no copy of the UTF-8 in between. */
export function encodeText(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(headerSize(length) + length);
  const at = writeHeader(frame, opcodes.text, length, true, false);
  frame.write(text, at, 'utf8');
  return frame;
}

/** The payload of a close frame (§5.5.1): the code, then the reason in UTF-8, cut (at a character) to fit 125 bytes. */
export function closePayload(code: number | undefined, reason = ''): Buffer {
  if (code === undefined) return empty;
  let bytes = Buffer.from(reason, 'utf8');
  if (bytes.length > 123) {
    let cut = 123;
    // Back up over continuation bytes (10xxxxxx) so no character is split.
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  const payload = Buffer.allocUnsafe(2 + bytes.length);
  payload.writeUInt16BE(code, 0);
  payload.set(bytes, 2);
  return payload;
}
