/**
 * The framing between a PythonPool and its worker processes (the runner,
 * python/boxwire_wsgi.py, whose docstring is the protocol's reference):
 * type (1 byte), job id (4), payload length (4), payload, big-endian, over
 * the socket on the worker's file descriptor 3.
 *
 * Outgoing, a job and what the gateway says about it (messages.ts) become
 * frames; incoming frames become the very messages a worker thread posts,
 * so the pool and the gateway treat both kinds of worker alike. Pure: no
 * I/O, only bytes.
 *
 * What a worker may say is checked here (`checkedStatus`, `checkedFile`):
 * the application shares the worker's process and could write to its
 * socket, so a frame the runner never sends is a protocol error, which
 * stops the worker. A FILE frame makes the server send a file by name:
 * the worker runs as the same user as the server, so this reaches nothing
 * the application could not read itself (the runner sends it only for a
 * file the application opened).
 */
import { nativeString, nativeValue } from '../../src/http/wsgi-native.js';
import type { CgiVariables } from '../../src/http/wsgi-environ.js';
import type { Blocked, Chunk, End, ErrorsLine, Failure, FileSpec, Head, JobUpdate, WantInput } from './messages.js';

/** Frame types, to the worker. */
export const toWorker = { request: 1, body: 2, bodyEnd: 3, bodyError: 4, credit: 5, abort: 6, withdraw: 7 } as const;
/** Frame types, from the worker. */
export const fromWorker = {
  ready: 10,
  fatal: 11,
  head: 12,
  data: 13,
  end: 14,
  file: 15,
  fail: 16,
  want: 17,
  blocked: 18,
  log: 19,
  withdrawn: 20,
} as const;

const headerSize = 9;
/** The largest frame a worker may send: a whole small body with its head, a traceback. More is a broken worker. */
export const maxFrame = 16 * 1024 * 1024;

/** What a worker says once it has loaded the application. */
export interface WorkerReady {
  readonly type: 'ready';
  readonly pid: number;
  readonly threads: number;
  readonly python: string;
}

/** The application could not be loaded: Python's traceback. The worker exits. */
export interface WorkerFatal {
  readonly type: 'fatal';
  readonly traceback: string;
}

/** A job posted ahead was taken back before it started: nothing more comes about it. */
export interface WorkerWithdrawn {
  readonly type: 'withdrawn';
  readonly id: number;
}

export type FromWorker = WorkerReady | WorkerFatal | WorkerWithdrawn | Head | Chunk | End | Failure | WantInput | Blocked | ErrorsLine;

/** A frame of `payloadLength` bytes, its header written; `room` bytes after the header for the payload. */
function frame(kind: number, id: number, payloadLength: number, room = payloadLength): Buffer {
  const buffer = Buffer.allocUnsafe(headerSize + room);
  buffer[0] = kind;
  buffer.writeUInt32BE(id >>> 0, 1);
  buffer.writeUInt32BE(payloadLength, 5);
  return buffer;
}

/**
 * A job: the response credit it starts with, whether it has a body, and
 * the environ's CGI variables as PEP 3333 native strings (wsgi-native.ts),
 * NAME NUL VALUE NUL ... Values must not hold NUL (see nulField).
 */
export function requestFrame(
  id: number,
  environ: Readonly<CgiVariables>,
  credit: { readonly bytes: number; readonly chunks: number },
  hasBody: boolean,
): Buffer {
  const parts: string[] = [];
  for (const name in environ) parts.push(name, environ[name]!);
  let text = parts.join('\0');
  if (!isNative(text, environ)) {
    for (let i = 0; i < parts.length; i += 2) {
      parts[i + 1] = nativeValue(parts[i]!, parts[i + 1]!);
      parts[i] = nativeString(parts[i]!);
    }
    text = parts.join('\0');
  }
  const buffer = frame(toWorker.request, id, 9 + text.length);
  buffer.writeUInt32BE(credit.bytes, headerSize);
  buffer.writeUInt32BE(credit.chunks, headerSize + 4);
  buffer[headerSize + 8] = hasBody ? 1 : 0;
  buffer.write(text, headerSize + 9, 'latin1');
  return buffer;
}

const beyondLatin1 = /[^\x00-\xff]/;
const beyondAscii = /[^\x00-\x7f]/;

/**
 * Whether the variables, joined as `text`, are native strings as they are,
 * as most requests' are: nativeString and nativeValue change only what goes
 * beyond latin-1, and the paths beyond ASCII. One test of the whole text
 * instead of one per name and per value; the others are converted field by
 * field.
 */
function isNative(text: string, environ: Readonly<CgiVariables>): boolean {
  return !beyondLatin1.test(text) && !beyondAscii.test(environ.PATH_INFO ?? '') && !beyondAscii.test(environ.SCRIPT_NAME ?? '');
}

/** What the gateway says about a running job, as frames (a body chunk as a header and the chunk itself, not copied). */
export function updateFrames(update: JobUpdate): Buffer | readonly [Buffer, Uint8Array] {
  switch (update.type) {
    case 'input':
      return [frame(toWorker.body, update.id, update.chunk.byteLength, 0), update.chunk];
    case 'inputEnd':
      return frame(toWorker.bodyEnd, update.id, 0);
    case 'inputError': {
      const why = Buffer.from(update.message, 'utf8');
      const buffer = frame(toWorker.bodyError, update.id, 2 + why.length);
      buffer.writeUInt16BE(update.status, headerSize);
      why.copy(buffer, headerSize + 2);
      return buffer;
    }
    case 'credit': {
      const buffer = frame(toWorker.credit, update.id, 8);
      buffer.writeUInt32BE(update.bytes, headerSize);
      buffer.writeUInt32BE(update.chunks, headerSize + 4);
      return buffer;
    }
    case 'cancel':
      return frame(toWorker.abort, update.id, 0);
    default:
      return update satisfies never;
  }
}

/** Takes back job `id`, the `number`th REQUEST sent to the worker, unless it has started (sent on the worker's second socket). */
export function withdrawFrame(id: number, number: number): Buffer {
  const buffer = frame(toWorker.withdraw, id, 4);
  buffer.writeUInt32BE(number, headerSize);
  return buffer;
}

/** Splits what a worker writes into frames, however the reads cut it; a frame too long, or of no known type, is a protocol error. */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  /** Decodes every whole frame in what has come so far; throws on a protocol error. */
  push(chunk: Buffer, emit: (message: FromWorker) => void): void {
    let data = chunk;
    if (this.pendingLength > 0) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      // Wait for the whole frame before joining the pieces.
      if (this.pendingLength < headerSize) return;
      const head = this.pending[0]!.length >= headerSize ? this.pending[0]! : Buffer.concat(this.pending);
      if (this.pendingLength < headerSize + frameLength(head, 0)) return;
      data = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [];
      this.pendingLength = 0;
    }
    let at = 0;
    while (data.length - at >= headerSize) {
      const length = frameLength(data, at);
      if (data.length - at - headerSize < length) break;
      emit(decode(data[at]!, data.readUInt32BE(at + 1), data.subarray(at + headerSize, at + headerSize + length)));
      at += headerSize + length;
    }
    if (at < data.length) {
      // The start of the next frame: kept by itself, not with the whole read it came in.
      const rest = Buffer.from(data.subarray(at));
      this.pending = [rest];
      this.pendingLength = rest.length;
    }
  }
}

function frameLength(data: Buffer, at: number): number {
  const length = data.readUInt32BE(at + 5);
  if (length > maxFrame) throw new Error(`the worker sent a frame of ${length} bytes (at most ${maxFrame})`);
  return length;
}

/** One frame from a worker, as a message. */
export function decode(kind: number, id: number, payload: Buffer): FromWorker {
  switch (kind) {
    case fromWorker.head: {
      const last = (payload[0]! & 1) === 1;
      const status = checkedStatus(payload.readUInt16BE(1), 200);
      const headLength = payload.readUInt32BE(3);
      const headers = headFields(payload, 7, 7 + headLength);
      return { type: 'head', id, status, headers, body: payload.subarray(7 + headLength), last };
    }
    case fromWorker.data:
      return { type: 'chunk', id, chunk: payload, last: false };
    case fromWorker.end:
      return { type: 'end', id };
    case fromWorker.file: {
      const status = checkedStatus(payload.readUInt16BE(0), 200);
      const pathLength = payload.readUInt32BE(18);
      const file = checkedFile(
        payload.toString('utf8', 22, 22 + pathLength),
        Number(payload.readBigUInt64BE(2)),
        Number(payload.readBigUInt64BE(10)),
      );
      const headers = headFields(payload, 22 + pathLength, payload.length);
      return { type: 'head', id, status, headers, file, last: true };
    }
    case fromWorker.fail: {
      const status = checkedStatus(payload.readUInt16BE(0), 400);
      const messageLength = payload.readUInt32BE(2);
      const message = payload.toString('utf8', 6, 6 + messageLength);
      const traceback = payload.toString('utf8', 6 + messageLength);
      // The stack a log prints after its first line: the whole traceback.
      return { type: 'failed', id, status, message, stack: `${message}\n${traceback.trimEnd()}` };
    }
    case fromWorker.want:
      return { type: 'wantInput', id };
    case fromWorker.blocked:
      return { type: 'blocked', id };
    case fromWorker.log:
      return { type: 'errors', id, text: payload.toString('utf8') };
    case fromWorker.ready: {
      const info = JSON.parse(payload.toString('utf8')) as { pid: number; threads: number; python: string };
      return { type: 'ready', pid: info.pid, threads: info.threads, python: info.python };
    }
    case fromWorker.fatal:
      return { type: 'fatal', traceback: payload.toString('utf8') };
    case fromWorker.withdrawn:
      return { type: 'withdrawn', id };
    default:
      throw new Error(`the worker sent a frame of unknown type ${kind}`);
  }
}

/** A final status the runner may send (a response from 200, a failure from 400), else a protocol error. */
function checkedStatus(status: number, least: number): number {
  if (status < least || status > 599) throw new Error(`the worker sent status ${status}`);
  return status;
}

/** The runner sends absolute paths and a range within the file (end exclusive). */
function checkedFile(path: string, start: number, end: number): FileSpec {
  if (!path.startsWith('/') || path.includes('\0') || !(start <= end))
    throw new Error(`the worker sent a file it cannot have meant: ${JSON.stringify(path)} ${start}-${end}`);
  return { path, start, end };
}

/** NAME NUL VALUE NUL ... (latin-1) as pairs. */
function headFields(payload: Buffer, start: number, end: number): [string, string][] {
  if (end <= start) return [];
  const parts = payload.toString('latin1', start, end).split('\0');
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) headers.push([parts[i]!, parts[i + 1]!]);
  return headers;
}
