/**
 * The framing between the pool and a Python worker: what boxwire sends
 * (bytes checked against the runner's layout) and what it reads back
 * (every frame type, however the reads cut it, and broken workers refused).
 */
import { describe, expect, it } from 'vitest';
import { nativeEnviron } from '../../src/http/wsgi-native.js';
import {
  FrameReader,
  decode,
  fromWorker,
  maxFrame,
  requestFrame,
  toWorker,
  updateFrames,
  withdrawFrame,
  type FromWorker,
} from '../../components/wsgi/python-frames.js';

function frame(kind: number, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header[0] = kind;
  header.writeUInt32BE(id, 1);
  header.writeUInt32BE(payload.length, 5);
  return Buffer.concat([header, payload]);
}

function read(...chunks: Buffer[]): FromWorker[] {
  const reader = new FrameReader();
  const out: FromWorker[] = [];
  for (const chunk of chunks) reader.push(chunk, (m) => out.push(m));
  return out;
}

const head = (fields: string[]) => Buffer.from(fields.join('\0'), 'latin1');

function fileFrame(path: string, start: number, end: number): Buffer {
  const name = Buffer.from(path);
  const fixed = Buffer.alloc(22);
  fixed.writeUInt16BE(200, 0);
  fixed.writeBigUInt64BE(BigInt(start), 2);
  fixed.writeBigUInt64BE(BigInt(end), 10);
  fixed.writeUInt32BE(name.length, 18);
  return frame(fromWorker.file, 1, Buffer.concat([fixed, name]));
}

describe('frames to the worker', () => {
  it('REQUEST: credit, whether there is a body, the environ as native strings between NULs', () => {
    const buffer = requestFrame(7, { REQUEST_METHOD: 'GET', PATH_INFO: '/é', HTTP_X: 'caf\u00e9' }, { bytes: 524288, chunks: 64 }, true);
    expect(buffer[0]).toBe(toWorker.request);
    expect(buffer.readUInt32BE(1)).toBe(7);
    expect(buffer.readUInt32BE(5)).toBe(buffer.length - 9);
    expect(buffer.readUInt32BE(9)).toBe(524288);
    expect(buffer.readUInt32BE(13)).toBe(64);
    expect(buffer[17]).toBe(1);
    expect(buffer.subarray(18)).toEqual(
      Buffer.concat([Buffer.from('REQUEST_METHOD\0GET\0PATH_INFO\0/'), Buffer.from('é'), Buffer.from('\0HTTP_X\0caf\xe9', 'latin1')]),
    );
  });

  it.each([
    ['plain: latin-1 values, ASCII paths', { REQUEST_METHOD: 'GET', SCRIPT_NAME: '/app', PATH_INFO: '/x', HTTP_X: 'caf\xe9' }],
    ['a path beyond ASCII', { SCRIPT_NAME: '', PATH_INFO: '/\xe9' }],
    ['a mount beyond ASCII', { SCRIPT_NAME: '/\xfc', PATH_INFO: '/' }],
    ['a value beyond latin-1', { SERVER_SOFTWARE: 'b\u2603', PATH_INFO: '/' }],
    ['a name beyond latin-1', { 'HTTP_\u2603': 'x' }],
  ])('REQUEST carries the variables as nativeEnviron makes them: %s', (_, environ: Record<string, string>) => {
    const buffer = requestFrame(1, environ, { bytes: 1, chunks: 1 }, false);
    expect(buffer.readUInt32BE(5)).toBe(buffer.length - 9);
    expect(buffer.subarray(18).toString('latin1')).toBe(Object.entries(nativeEnviron(environ)).flat().join('\0'));
  });

  it('an empty environ, and no body', () => {
    const buffer = requestFrame(1, {}, { bytes: 1, chunks: 1 }, false);
    expect(buffer.length).toBe(18);
    expect(buffer[17]).toBe(0);
  });

  it('BODY as a header and the chunk itself, not copied', () => {
    const chunk = new Uint8Array([1, 2, 3]);
    const frames = updateFrames({ type: 'input', id: 3, chunk }) as readonly [Buffer, Uint8Array];
    expect(frames[0]).toEqual(frame(toWorker.body, 3).fill(3, 8, 9));
    expect(frames[0].length).toBe(9);
    expect(frames[1]).toBe(chunk);
  });

  it.each([
    [{ type: 'inputEnd', id: 4 } as const, frame(toWorker.bodyEnd, 4)],
    [{ type: 'cancel', id: 4 } as const, frame(toWorker.abort, 4)],
    [{ type: 'credit', id: 4, bytes: 65536, chunks: 2 } as const, frame(toWorker.credit, 4, Buffer.from([0, 1, 0, 0, 0, 0, 0, 2]))],
    [
      { type: 'inputError', id: 4, status: 413, message: 'too big' } as const,
      frame(toWorker.bodyError, 4, Buffer.concat([Buffer.from([1, 157]), Buffer.from('too big')])),
    ],
  ])('%j', (update, bytes) => expect(updateFrames(update)).toEqual(bytes));

  it('WITHDRAW names the job and its number among the REQUEST frames', () => {
    expect(withdrawFrame(9, 3)).toEqual(frame(toWorker.withdraw, 9, Buffer.from([0, 0, 0, 3])));
  });
});

describe('frames from the worker', () => {
  it('HEAD: status, fields as latin-1 between NULs, the first body bytes, and whether it is all', () => {
    const fields = head(['Content-Type', 'text/plain', 'X-Name', 'caf\xe9']);
    const fixed = Buffer.alloc(7);
    fixed[0] = 1;
    fixed.writeUInt16BE(201, 1);
    fixed.writeUInt32BE(fields.length, 3);
    const [message] = read(frame(fromWorker.head, 5, Buffer.concat([fixed, fields, Buffer.from('body')])));
    expect(message).toMatchObject({
      type: 'head',
      id: 5,
      status: 201,
      headers: [
        ['Content-Type', 'text/plain'],
        ['X-Name', 'caf\xe9'],
      ],
      last: true,
    });
    expect(Buffer.from((message as { body: Uint8Array }).body).toString()).toBe('body');
  });

  it('HEAD without fields or body', () => {
    const fixed = Buffer.from([0, 0, 204, 0, 0, 0, 0]);
    expect(read(frame(fromWorker.head, 1, fixed))[0]).toMatchObject({ type: 'head', status: 204, headers: [], last: false });
  });

  it('FILE: status, range, path, fields', () => {
    const path = Buffer.from('/srv/café.txt');
    const fixed = Buffer.alloc(22);
    fixed.writeUInt16BE(200, 0);
    fixed.writeBigUInt64BE(6n, 2);
    fixed.writeBigUInt64BE(5_000_000_000n, 10);
    fixed.writeUInt32BE(path.length, 18);
    const [message] = read(frame(fromWorker.file, 2, Buffer.concat([fixed, path, head(['Content-Type', 'text/plain'])])));
    expect(message).toEqual({
      type: 'head',
      id: 2,
      status: 200,
      headers: [['Content-Type', 'text/plain']],
      file: { path: '/srv/café.txt', start: 6, end: 5_000_000_000 },
      last: true,
    });
  });

  it('FAIL: status, message, and the traceback as the stack (all of it after the first line)', () => {
    const message = Buffer.from('ValueError: boom');
    const fixed = Buffer.alloc(6);
    fixed.writeUInt16BE(500, 0);
    fixed.writeUInt32BE(message.length, 2);
    const trace = 'Traceback (most recent call last):\n  File "app.py", line 1\nValueError: boom\n';
    expect(read(frame(fromWorker.fail, 3, Buffer.concat([fixed, message, Buffer.from(trace)])))[0]).toEqual({
      type: 'failed',
      id: 3,
      status: 500,
      message: 'ValueError: boom',
      stack: `ValueError: boom\n${trace.trimEnd()}`,
    });
  });

  it.each([
    [frame(fromWorker.data, 1, Buffer.from('abc')), { type: 'chunk', id: 1, chunk: Buffer.from('abc'), last: false }],
    [frame(fromWorker.end, 1), { type: 'end', id: 1 }],
    [frame(fromWorker.want, 1), { type: 'wantInput', id: 1 }],
    [frame(fromWorker.blocked, 1), { type: 'blocked', id: 1 }],
    [frame(fromWorker.log, 1, Buffer.from('a line ☃')), { type: 'errors', id: 1, text: 'a line ☃' }],
    [frame(fromWorker.withdrawn, 8), { type: 'withdrawn', id: 8 }],
    [
      frame(fromWorker.ready, 0, Buffer.from('{"pid":12,"threads":2,"python":"3.11.7"}')),
      { type: 'ready', pid: 12, threads: 2, python: '3.11.7' },
    ],
    [frame(fromWorker.fatal, 0, Buffer.from('Traceback...')), { type: 'fatal', traceback: 'Traceback...' }],
  ])('%#: decodes', (bytes, message) => expect(read(bytes)).toEqual([message]));

  it('reads frames however the reads cut them: several in one, one across many, a header split', () => {
    const all = Buffer.concat([frame(fromWorker.want, 1), frame(fromWorker.data, 1, Buffer.alloc(100_000, 7)), frame(fromWorker.end, 1)]);
    // Chunks compared by their bytes, as text (deep equality of big buffers is slow).
    const summary = (messages: FromWorker[]) =>
      JSON.stringify(messages.map((m) => (m.type === 'chunk' ? { ...m, chunk: Buffer.from(m.chunk).toString('base64') } : m)));
    const whole = summary(read(all));
    for (const cuts of [[1], [4, 9, 10], [50_000, 100_009], [9, 18, 100_018]]) {
      const pieces: Buffer[] = [];
      let at = 0;
      for (const cut of cuts) {
        pieces.push(all.subarray(at, cut));
        at = cut;
      }
      pieces.push(all.subarray(at));
      expect(summary(read(...pieces))).toBe(whole);
    }
    expect(read(all).map((m) => m.type)).toEqual(['wantInput', 'chunk', 'end']);
    // Byte by byte too.
    expect(read(...[...all.subarray(0, 30)].map((b) => Buffer.from([b])))).toEqual(read(all.subarray(0, 30)));
  });

  it('refuses a frame longer than a worker may send, before it has come', () => {
    const header = frame(fromWorker.data, 1).fill(0, 5);
    header.writeUInt32BE(maxFrame + 1, 5);
    expect(() => read(header)).toThrow(/frame of \d+ bytes/);
  });

  it.each([
    ['a HEAD with an interim status', frame(fromWorker.head, 1, Buffer.from([0, 0, 101, 0, 0, 0, 0])), /status 101/],
    ['a HEAD with status 0', frame(fromWorker.head, 1, Buffer.from([0, 0, 0, 0, 0, 0, 0])), /status 0/],
    ['a FAIL with a success status', frame(fromWorker.fail, 1, Buffer.from([0, 200, 0, 0, 0, 0])), /status 200/],
    ['a FILE with a relative path', fileFrame('etc/passwd', 0, 1), /cannot have meant/],
    ['a FILE with a range that ends before it starts', fileFrame('/etc/hosts', 5, 1), /cannot have meant/],
  ])('refuses what the runner never sends: %s', (_, bytes, message) => expect(() => read(bytes)).toThrow(message));

  it('refuses a frame of no known type', () => {
    expect(() => read(frame(99, 1))).toThrow(/unknown type 99/);
    expect(() => decode(1, 1, Buffer.alloc(0))).toThrow(/unknown type 1/);
  });
});
