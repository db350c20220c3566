/**
 * FastCGI 1.0 records (the FastCGI Specification, Open Market, 1996): the
 * bytes a web server and a FastCGI application exchange, encoded and decoded
 * with no I/O. The connection component (components/fastcgi/connection.ts)
 * writes what the encoders make and feeds what it reads to a RecordDecoder.
 *
 * A record (§3.3) is an 8-byte header (version 1, type, request id, content
 * length, padding length, a reserved byte), then the content (at most 65535
 * bytes), then the padding, which is skipped. Request id 0 is the
 * connection's own (management records, §4). Name-value pairs (§3.4) carry
 * FCGI_PARAMS and the FCGI_GET_VALUES query and answer: each length is one
 * byte below 128, else four bytes with the top bit set.
 *
 * The decoder hands on the content of a stream record (FCGI_STDOUT,
 * FCGI_STDERR, ...) piece by piece as it arrives, as views of the bytes it
 * was given, so a large response costs no copy and no buffer of a record's
 * size; an empty stream record (the end of that stream, §3.3) is one empty
 * piece. Every other record is handed on whole.
 */

export const fcgiVersion = 1;
export const fcgiHeaderLength = 8;
export const fcgiMaxContent = 0xffff;

/** Record types (§8). */
export const FcgiType = {
  beginRequest: 1,
  abortRequest: 2,
  endRequest: 3,
  params: 4,
  stdin: 5,
  stdout: 6,
  stderr: 7,
  data: 8,
  getValues: 9,
  getValuesResult: 10,
  unknownType: 11,
} as const;

/** Roles (§6). Only the Responder is played here. */
export const FcgiRole = { responder: 1, authorizer: 2, filter: 3 } as const;

/** FCGI_KEEP_CONN (§5.1): the application leaves the connection open after the request. */
export const fcgiKeepConn = 1;

/** protocolStatus of FCGI_END_REQUEST (§5.5). */
export const FcgiProtocolStatus = { requestComplete: 0, cantMpxConn: 1, overloaded: 2, unknownRole: 3 } as const;

/** The variables FCGI_GET_VALUES may ask about (§4.1). */
export const fcgiValueNames = ['FCGI_MAX_CONNS', 'FCGI_MAX_REQS', 'FCGI_MPXS_CONNS'] as const;

/** Stream records: their content is a byte stream, ended by an empty record of the type (§3.3). */
const streamTypes: ReadonlySet<number> = new Set([FcgiType.params, FcgiType.stdin, FcgiType.stdout, FcgiType.stderr, FcgiType.data]);

export function isStreamType(type: number): boolean {
  return streamTypes.has(type);
}

// -- Encoding --------------------------------------------------------------

/** Padding that brings `length` to a multiple of 8, as §3.3 recommends. */
function paddingFor(length: number): number {
  return (8 - (length & 7)) & 7;
}

/** The bytes a record of this content takes on the wire. */
function recordSize(contentLength: number): number {
  return fcgiHeaderLength + contentLength + paddingFor(contentLength);
}

/** Writes a record's header at `at`; returns where its content goes. */
function writeHeader(buffer: Buffer, at: number, type: number, requestId: number, contentLength: number): number {
  buffer[at] = fcgiVersion;
  buffer[at + 1] = type;
  buffer.writeUInt16BE(requestId, at + 2);
  buffer.writeUInt16BE(contentLength, at + 4);
  buffer[at + 6] = paddingFor(contentLength);
  buffer[at + 7] = 0;
  return at + fcgiHeaderLength;
}

/** Writes one whole record (header, content, zeroed padding) at `at`; returns where the next one goes. */
function writeRecord(buffer: Buffer, at: number, type: number, requestId: number, content: Uint8Array): number {
  const start = writeHeader(buffer, at, type, requestId, content.length);
  buffer.set(content, start);
  const end = start + content.length;
  const padded = end + paddingFor(content.length);
  buffer.fill(0, end, padded);
  return padded;
}

/** One record. Its content must fit (65535 bytes at most). */
export function encodeRecord(type: number, requestId: number, content: Uint8Array = new Uint8Array(0)): Buffer {
  if (content.length > fcgiMaxContent) throw new RangeError(`a FastCGI record holds at most ${fcgiMaxContent} bytes`);
  const buffer = Buffer.allocUnsafe(recordSize(content.length));
  writeRecord(buffer, 0, type, requestId, content);
  return buffer;
}

/** FCGI_BEGIN_REQUEST (§5.1): the role, and whether the connection stays open after the request. */
export function beginRequest(requestId: number, keepConn: boolean, role: number = FcgiRole.responder): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16BE(role, 0);
  body[2] = keepConn ? fcgiKeepConn : 0;
  return encodeRecord(FcgiType.beginRequest, requestId, body);
}

/** FCGI_ABORT_REQUEST (§5.4): the client went away; the application answers with FCGI_END_REQUEST. */
export function abortRequest(requestId: number): Buffer {
  return encodeRecord(FcgiType.abortRequest, requestId);
}

/**
 * A stream's bytes as records of its type (at most 65535 bytes each), in one
 * buffer; `end` adds the empty record that ends the stream. No bytes and
 * `end` is the empty record alone.
 */
export function streamRecords(type: number, requestId: number, bytes: Uint8Array, end = false): Buffer {
  let size = end ? fcgiHeaderLength : 0;
  // Whole records of 65528 bytes (a multiple of 8: no padding), then the rest.
  const step = fcgiMaxContent & ~7;
  for (let at = 0; at < bytes.length; at += step) size += recordSize(Math.min(step, bytes.length - at));
  const buffer = Buffer.allocUnsafe(size);
  let out = 0;
  for (let at = 0; at < bytes.length; at += step) out = writeRecord(buffer, out, type, requestId, bytes.subarray(at, at + step));
  if (end) writeHeader(buffer, out, type, requestId, 0);
  return buffer;
}

/** The length prefix of a name or value (§3.4): one byte below 128, else four with the top bit set. */
function lengthSize(length: number): number {
  return length < 128 ? 1 : 4;
}

function writeLength(buffer: Buffer, at: number, length: number): number {
  if (length < 128) {
    buffer[at] = length;
    return at + 1;
  }
  buffer.writeUInt32BE((length | 0x80000000) >>> 0, at);
  return at + 4;
}

/** Name-value pairs (§3.4), names and values as UTF-8, written straight into one buffer. */
export function encodeNameValuePairs(pairs: Iterable<readonly [string, string]>): Buffer {
  const list = Array.isArray(pairs) ? (pairs as readonly (readonly [string, string])[]) : [...pairs];
  const lengths: number[] = new Array(list.length * 2);
  let size = 0;
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i]!;
    const n = Buffer.byteLength(name, 'utf8');
    const v = Buffer.byteLength(value, 'utf8');
    lengths[2 * i] = n;
    lengths[2 * i + 1] = v;
    size += lengthSize(n) + lengthSize(v) + n + v;
  }
  const buffer = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i]!;
    at = writeLength(buffer, at, lengths[2 * i]!);
    at = writeLength(buffer, at, lengths[2 * i + 1]!);
    at += buffer.write(name, at, 'utf8');
    at += buffer.write(value, at, 'utf8');
  }
  return buffer;
}

/**
 * FCGI_PARAMS (§5.2) for an environment, ended by the empty record. Pairs
 * may be split across records: the application reads the stream as a whole.
 */
export function paramsRecords(requestId: number, env: Readonly<Record<string, string>>): Buffer {
  return streamRecords(FcgiType.params, requestId, encodeNameValuePairs(Object.entries(env)), true);
}

/** FCGI_GET_VALUES (§4.1): a query of the application's limits, names with empty values. */
export function getValues(names: readonly string[] = fcgiValueNames): Buffer {
  return encodeRecord(FcgiType.getValues, 0, encodeNameValuePairs(names.map((name) => [name, ''] as const)));
}

/**
 * What a connection writes to start a request, in one buffer (one write):
 * FCGI_BEGIN_REQUEST, the FCGI_PARAMS stream, and, for a request without a
 * body, the empty FCGI_STDIN record that says so (§5.3: the stream is sent
 * even when it is empty). Parameters that fit in one record (nearly always)
 * are written straight into it, with no copy between: this runs once a
 * request (bench/scenarios/fastcgi.mjs).
 */
export function requestStart(requestId: number, env: Readonly<Record<string, string>>, keepConn: boolean, hasBody: boolean): Buffer {
  let size = 0;
  for (const name in env) {
    const n = Buffer.byteLength(name, 'utf8');
    const v = Buffer.byteLength(env[name]!, 'utf8');
    size += lengthSize(n) + lengthSize(v) + n + v;
  }
  const step = fcgiMaxContent & ~7;
  if (size > step) {
    const parts = [beginRequest(requestId, keepConn), paramsRecords(requestId, env)];
    if (!hasBody) parts.push(streamRecords(FcgiType.stdin, requestId, new Uint8Array(0), true));
    return Buffer.concat(parts);
  }
  const tail = fcgiHeaderLength + (hasBody ? 0 : fcgiHeaderLength);
  const buffer = Buffer.allocUnsafe(fcgiHeaderLength + 8 + recordSize(size) + tail);
  let at = writeHeader(buffer, 0, FcgiType.beginRequest, requestId, 8);
  buffer.writeUInt16BE(FcgiRole.responder, at);
  buffer[at + 2] = keepConn ? fcgiKeepConn : 0;
  buffer.fill(0, at + 3, at + 8);
  at = writeHeader(buffer, at + 8, FcgiType.params, requestId, size);
  for (const name in env) {
    const value = env[name]!;
    at = writeLength(buffer, at, Buffer.byteLength(name, 'utf8'));
    at = writeLength(buffer, at, Buffer.byteLength(value, 'utf8'));
    at += buffer.write(name, at, 'utf8');
    at += buffer.write(value, at, 'utf8');
  }
  const padding = paddingFor(size);
  buffer.fill(0, at, at + padding);
  at = writeHeader(buffer, at + padding, FcgiType.params, requestId, 0);
  if (!hasBody) writeHeader(buffer, at, FcgiType.stdin, requestId, 0);
  return buffer;
}

// -- Decoding --------------------------------------------------------------

/** A record, or a piece of a stream record's content, as the decoder hands it on. */
export interface FcgiRecord {
  readonly type: number;
  readonly requestId: number;
  /**
   * The content: the whole of it for a discrete record; for a stream record,
   * the bytes that arrived with this read (a view: copy it to keep it past
   * the next push), empty only for the empty record that ends the stream.
   */
  readonly content: Uint8Array;
}

/** Reads records from a byte stream, fed in pieces of any size. */
export class RecordDecoder {
  private readonly header = Buffer.alloc(fcgiHeaderLength);
  private headerFill = 0;
  /** The record being read: its header fields, and how much of its content and padding is still to come. */
  private type = 0;
  private requestId = 0;
  private contentLeft = 0;
  private paddingLeft = 0;
  /** A discrete record's content, gathered across reads. */
  private gathered: Buffer | undefined = undefined;
  private gatheredFill = 0;
  private failure: string | undefined = undefined;

  /** Whether the decoder is between records (nothing of a record read but not handed on). */
  get atBoundary(): boolean {
    return this.headerFill === 0 && this.contentLeft === 0 && this.paddingLeft === 0 && this.failure === undefined;
  }

  /**
   * Feeds bytes; `onRecord` is called for each record (or stream piece) they
   * complete, in order. Returns the reason the stream cannot be read, once
   * it is broken (a version other than 1); nothing is decoded after that.
   */
  push(bytes: Uint8Array, onRecord: (record: FcgiRecord) => void): string | undefined {
    if (this.failure) return this.failure;
    let at = 0;
    while (at < bytes.length) {
      if (this.contentLeft === 0 && this.paddingLeft === 0) {
        // A header, perhaps in pieces.
        const take = Math.min(fcgiHeaderLength - this.headerFill, bytes.length - at);
        this.header.set(bytes.subarray(at, at + take), this.headerFill);
        this.headerFill += take;
        at += take;
        if (this.headerFill < fcgiHeaderLength) break;
        this.headerFill = 0;
        const failure = this.startRecord(onRecord);
        if (failure) return failure;
        continue;
      }
      if (this.contentLeft > 0) {
        const take = Math.min(this.contentLeft, bytes.length - at);
        const piece = bytes.subarray(at, at + take);
        at += take;
        this.contentLeft -= take;
        if (this.gathered) {
          this.gathered.set(piece, this.gatheredFill);
          this.gatheredFill += take;
          if (this.contentLeft === 0) {
            const content = this.gathered;
            this.gathered = undefined;
            onRecord({ type: this.type, requestId: this.requestId, content });
          }
        } else onRecord({ type: this.type, requestId: this.requestId, content: piece });
        continue;
      }
      const skip = Math.min(this.paddingLeft, bytes.length - at);
      this.paddingLeft -= skip;
      at += skip;
    }
    return undefined;
  }

  private startRecord(onRecord: (record: FcgiRecord) => void): string | undefined {
    const h = this.header;
    if (h[0] !== fcgiVersion) {
      this.failure = `a record of FastCGI version ${h[0]}, not ${fcgiVersion}`;
      return this.failure;
    }
    this.type = h[1]!;
    this.requestId = h.readUInt16BE(2);
    this.contentLeft = h.readUInt16BE(4);
    this.paddingLeft = h[6]!;
    if (this.contentLeft === 0) {
      onRecord({ type: this.type, requestId: this.requestId, content: empty });
    } else if (!streamTypes.has(this.type)) {
      this.gathered = Buffer.allocUnsafe(this.contentLeft);
      this.gatheredFill = 0;
    }
    return undefined;
  }
}

const empty = new Uint8Array(0);

/** Name-value pairs (§3.4), or the reason they are malformed; names and values read as UTF-8. */
export function decodeNameValuePairs(bytes: Uint8Array): [string, string][] | string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const pairs: [string, string][] = [];
  let at = 0;
  const readLength = (): number | undefined => {
    if (at >= buffer.length) return undefined;
    if (buffer[at]! < 128) return buffer[at++];
    if (at + 4 > buffer.length) return undefined;
    const length = buffer.readUInt32BE(at) & 0x7fffffff;
    at += 4;
    return length;
  };
  while (at < buffer.length) {
    const nameLength = readLength();
    const valueLength = readLength();
    if (nameLength === undefined || valueLength === undefined || at + nameLength + valueLength > buffer.length) {
      return 'a name-value pair runs past the end of its record';
    }
    const name = buffer.toString('utf8', at, at + nameLength);
    at += nameLength;
    const value = buffer.toString('utf8', at, at + valueLength);
    at += valueLength;
    pairs.push([name, value]);
  }
  return pairs;
}

/** FCGI_END_REQUEST's body (§5.5). */
export interface EndRequest {
  /** What the application exited with, as a CGI program would have. */
  readonly appStatus: number;
  readonly protocolStatus: number;
}

export function decodeEndRequest(content: Uint8Array): EndRequest | string {
  if (content.length !== 8) return `an FCGI_END_REQUEST body of ${content.length} bytes, not 8`;
  const view = Buffer.from(content.buffer, content.byteOffset, content.length);
  return { appStatus: view.readUInt32BE(0), protocolStatus: view[4]! };
}

/** What FCGI_GET_VALUES_RESULT says of the application (§4.1); absent when it did not say. */
export interface FcgiValues {
  readonly maxConns?: number;
  readonly maxReqs?: number;
  readonly mpxsConns?: boolean;
}

export function decodeValues(content: Uint8Array): FcgiValues | string {
  const pairs = decodeNameValuePairs(content);
  if (typeof pairs === 'string') return pairs;
  const values: { maxConns?: number; maxReqs?: number; mpxsConns?: boolean } = {};
  for (const [name, value] of pairs) {
    const n = /^\d+$/.test(value) ? Number(value) : undefined;
    if (n === undefined) continue;
    if (name === 'FCGI_MAX_CONNS' && n > 0) values.maxConns = n;
    else if (name === 'FCGI_MAX_REQS' && n > 0) values.maxReqs = n;
    else if (name === 'FCGI_MPXS_CONNS') values.mpxsConns = n === 1;
  }
  return values;
}
