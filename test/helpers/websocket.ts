/**
 * WebSocket bytes for tests: client frames built by hand (masked unless
 * told otherwise, with any bit or length a test wants to lie about), the
 * handshake request, and a raw client over a real socket that reads the
 * server's frames back.
 */
import net from 'node:net';
import { once } from 'node:events';

export interface ClientFrame {
  readonly opcode: number;
  readonly payload?: Uint8Array | string;
  readonly fin?: boolean;
  /** RSV bits as a number, 0-7 (RSV1 = 4). */
  readonly rsv?: number;
  /** Send it unmasked (a violation). */
  readonly unmasked?: boolean;
  readonly mask?: readonly [number, number, number, number];
  /** Claim this length in the header, whatever the payload. */
  readonly length?: number;
}

/** One client frame's bytes (RFC 6455 §5.2). */
export function clientFrame(frame: ClientFrame): Buffer {
  const payload = typeof frame.payload === 'string' ? Buffer.from(frame.payload) : Buffer.from(frame.payload ?? []);
  const length = frame.length ?? payload.length;
  const b0 = ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | frame.opcode;
  const maskBit = frame.unmasked ? 0 : 0x80;
  let header: Buffer;
  if (length < 126) header = Buffer.from([b0, maskBit | length]);
  else if (length < 0x10000) header = Buffer.from([b0, maskBit | 126, length >> 8, length & 0xff]);
  else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = maskBit | 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (frame.unmasked) return Buffer.concat([header, payload]);
  const mask = Buffer.from(frame.mask ?? [0x37, 0xfa, 0x21, 0x3d]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i & 3]!));
  return Buffer.concat([header, mask, masked]);
}

export const text = (payload: string | Uint8Array, fin = true): Buffer => clientFrame({ opcode: 0x1, payload, fin });
export const binary = (payload: Uint8Array, fin = true): Buffer => clientFrame({ opcode: 0x2, payload, fin });
export const continuation = (payload: string | Uint8Array, fin = true): Buffer => clientFrame({ opcode: 0x0, payload, fin });
export const ping = (payload: string | Uint8Array = ''): Buffer => clientFrame({ opcode: 0x9, payload });
export const close = (code?: number, reason = ''): Buffer => {
  if (code === undefined) return clientFrame({ opcode: 0x8 });
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return clientFrame({ opcode: 0x8, payload });
};

/** The RFC's sample key and the accept value it must get (RFC 6455 §1.3). */
export const sampleKey = 'dGhlIHNhbXBsZSBub25jZQ==';
export const sampleAccept = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

export function handshake(path = '/ws', headers: Record<string, string> = {}): string {
  const fields: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': sampleKey,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(fields)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\r\n`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

/** A frame the server sent. */
export interface ServerFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

/** Splits the server's bytes (after the 101's head) into frames; what is left over is an incomplete frame. */
export function serverFrames(bytes: Buffer): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let at = 0;
  for (;;) {
    if (bytes.length - at < 2) break;
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let length = b1 & 0x7f;
    let head = 2;
    if (length === 126) {
      if (bytes.length - at < 4) break;
      length = bytes.readUInt16BE(at + 2);
      head = 4;
    } else if (length === 127) {
      if (bytes.length - at < 10) break;
      length = bytes.readUInt32BE(at + 2) * 2 ** 32 + bytes.readUInt32BE(at + 6);
      head = 10;
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked) head += 4;
    if (bytes.length - at < head + length) break;
    frames.push({
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >> 4) & 7,
      opcode: b0 & 0x0f,
      masked,
      payload: bytes.subarray(at + head, at + head + length),
    });
    at += head + length;
  }
  return { frames, rest: bytes.subarray(at) };
}

/** The code and reason of a close frame's payload. */
export function closeOf(frame: ServerFrame): { code: number | undefined; reason: string } {
  if (frame.payload.length < 2) return { code: undefined, reason: '' };
  return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') };
}

/**
 * A raw WebSocket client on a real socket: it sends the handshake, and
 * gathers the head of the answer and every frame after it, until the
 * server closes (or `timeout`).
 */
export class RawClient {
  readonly socket: net.Socket;
  /** Bytes not yet parsed: the head until it is complete, then at most one frame's worth. */
  private received: Buffer = Buffer.alloc(0);
  private parsed: ServerFrame[] = [];
  head = '';
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
      if (this.head) this.parse();
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async open(port: number, request = handshake(), extra?: Buffer): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const client = new RawClient(socket);
    socket.write(extra ? Buffer.concat([Buffer.from(request, 'latin1'), extra]) : request);
    await client.until(() => client.headEnd() >= 0 || client.closed);
    const end = client.headEnd();
    if (end >= 0) {
      client.head = client.received.subarray(0, end).toString('latin1');
      client.received = client.received.subarray(end + 4);
      client.parse();
    }
    return client;
  }

  private parse(): void {
    const { frames, rest } = serverFrames(this.received);
    for (const frame of frames) this.parsed.push(frame);
    this.received = rest;
  }

  private headEnd(): number {
    return this.received.indexOf('\r\n\r\n');
  }

  get status(): number {
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.head)?.[1] ?? 0);
  }

  /** The frames received so far. */
  get frames(): ServerFrame[] {
    return this.parsed;
  }

  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** Waits until `test()` holds (checked as bytes come and when the socket closes), or fails after `timeout` ms. */
  async until(test: () => boolean, timeout = 5_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!test()) {
      if (Date.now() > deadline) throw new Error('RawClient: timed out waiting');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the n-th frame (counting from 1) and returns it. */
  async frame(n: number, timeout?: number): Promise<ServerFrame> {
    await this.until(() => this.frames.length >= n || this.closed, timeout);
    const frame = this.frames[n - 1];
    if (!frame) throw new Error(`RawClient: the connection closed after ${this.frames.length} frames`);
    return frame;
  }

  /** Waits for the server to close the TCP connection. */
  async closedByServer(timeout?: number): Promise<void> {
    await this.until(() => this.closed, timeout);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
