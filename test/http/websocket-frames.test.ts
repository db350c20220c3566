/**
 * The WebSocket frame decoder and message assembler, as tables: each case's
 * bytes fed whole, a byte at a time and in random pieces must give the same
 * frames (or the same violation, found as early as the bytes allow).
 */
import { describe, expect, it } from 'vitest';
import { FrameDecoder, closePayload, encodeFrame, encodeText, type Frame, type Violation } from '../../src/http/websocket-frames.js';
import { MessageAssembler, isValidCloseCode, parseClose, type Incoming } from '../../src/http/websocket-messages.js';
import { binary, clientFrame, close, continuation, ping, text } from '../helpers/websocket.js';

interface Decoded {
  frames: { fin: boolean; compressed: boolean; opcode: number; payload: string }[];
  violation: Violation | undefined;
  /** How many bytes had gone in when the violation was found. */
  at: number;
}

/** Feeds copies of `bytes` (the decoder unmasks in place) in pieces of the given sizes. */
function decode(bytes: Buffer, pieces: 'whole' | 'bytes' | number[], limits = { maxFrame: 1 << 20, compression: false }): Decoded {
  const decoder = new FrameDecoder(limits);
  const frames: Decoded['frames'] = [];
  const onFrame = (f: Frame): void => {
    frames.push({ fin: f.fin, compressed: f.compressed, opcode: f.opcode, payload: f.payload.toString('latin1') });
  };
  const sizes = pieces === 'whole' ? [bytes.length] : pieces === 'bytes' ? Array(bytes.length).fill(1) : pieces;
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    const piece = Buffer.from(bytes.subarray(at, at + size));
    at += piece.length;
    const violation = decoder.push(piece, onFrame);
    if (violation) return { frames, violation, at };
  }
  if (at < bytes.length) {
    const violation = decoder.push(Buffer.from(bytes.subarray(at)), onFrame);
    at = bytes.length;
    if (violation) return { frames, violation, at };
  }
  return { frames, violation: undefined, at };
}

function randomPieces(length: number, seed: number): number[] {
  let x = seed;
  const sizes: number[] = [];
  for (let total = 0; total < length; ) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const size = 1 + (x % 23);
    sizes.push(size);
    total += size;
  }
  return sizes;
}

const big = 'x'.repeat(70_000);
const frameCases: [string, Buffer, Decoded['frames']][] = [
  ['a short text frame', text('hello'), [{ fin: true, compressed: false, opcode: 1, payload: 'hello' }]],
  ['an empty frame', text(''), [{ fin: true, compressed: false, opcode: 1, payload: '' }]],
  ['125 bytes: the longest 7-bit length', text('a'.repeat(125)), [{ fin: true, compressed: false, opcode: 1, payload: 'a'.repeat(125) }]],
  ['126 bytes: a 16-bit length', binary(Buffer.alloc(126, 7)), [{ fin: true, compressed: false, opcode: 2, payload: '\x07'.repeat(126) }]],
  ['65535 bytes', text('b'.repeat(65535)), [{ fin: true, compressed: false, opcode: 1, payload: 'b'.repeat(65535) }]],
  ['70000 bytes: a 64-bit length', text(big), [{ fin: true, compressed: false, opcode: 1, payload: big }]],
  [
    'three frames back to back, a ping between fragments',
    Buffer.concat([text('ab', false), ping('p'), continuation('cd')]),
    [
      { fin: false, compressed: false, opcode: 1, payload: 'ab' },
      { fin: true, compressed: false, opcode: 9, payload: 'p' },
      { fin: true, compressed: false, opcode: 0, payload: 'cd' },
    ],
  ],
  ['a close with a code', close(1000, 'bye'), [{ fin: true, compressed: false, opcode: 8, payload: '\x03\xe8bye' }]],
];

describe('FrameDecoder', () => {
  for (const [name, bytes, frames] of frameCases) {
    it(`${name}: whole, a byte at a time, in random pieces`, () => {
      for (const pieces of ['whole', 'bytes', randomPieces(bytes.length, bytes.length)] as const) {
        const decoded = decode(bytes, pieces);
        expect(decoded.violation).toBeUndefined();
        expect(decoded.frames).toEqual(frames);
      }
    });
  }

  it('reads a mask that differs from frame to frame, and pieces that split the mask', () => {
    const bytes = Buffer.concat([
      clientFrame({ opcode: 1, payload: 'first', mask: [1, 2, 3, 4] }),
      clientFrame({ opcode: 1, payload: 'second', mask: [0xff, 0, 0x80, 0x7f] }),
    ]);
    for (const pieces of [[3, 4, 5], [7, 1, 1, 1, 1, 100], 'bytes'] as const) {
      expect(decode(bytes, pieces as never).frames.map((f) => f.payload)).toEqual(['first', 'second']);
    }
  });

  it('flags RSV1 as compressed when permessage-deflate was agreed', () => {
    const decoded = decode(clientFrame({ opcode: 1, payload: 'z', rsv: 4 }), 'bytes', { maxFrame: 100, compression: true });
    expect(decoded.frames).toEqual([{ fin: true, compressed: true, opcode: 1, payload: 'z' }]);
  });

  const violations: [string, Buffer, number, number, { maxFrame: number; compression: boolean }?][] = [
    ['an unmasked client frame', clientFrame({ opcode: 1, payload: 'hi', unmasked: true }), 1002, 2],
    ['RSV2 set', clientFrame({ opcode: 1, payload: 'x', rsv: 2 }), 1002, 2],
    ['RSV3 set', clientFrame({ opcode: 1, payload: 'x', rsv: 1 }), 1002, 2],
    ['RSV1 set with no extension', clientFrame({ opcode: 1, payload: 'x', rsv: 4 }), 1002, 2],
    ['RSV1 on a continuation frame', clientFrame({ opcode: 0, payload: 'x', rsv: 4 }), 1002, 2, { maxFrame: 100, compression: true }],
    ['RSV1 on a control frame', clientFrame({ opcode: 9, payload: 'x', rsv: 4 }), 1002, 2, { maxFrame: 100, compression: true }],
    ['reserved opcode 3', clientFrame({ opcode: 3, payload: 'x' }), 1002, 2],
    ['reserved opcode 7', clientFrame({ opcode: 7 }), 1002, 2],
    ['reserved opcode 0xB', clientFrame({ opcode: 0xb }), 1002, 2],
    ['reserved opcode 0xF', clientFrame({ opcode: 0xf }), 1002, 2],
    ['a fragmented ping', clientFrame({ opcode: 9, payload: 'x', fin: false }), 1002, 2],
    ['a fragmented close', clientFrame({ opcode: 8, fin: false }), 1002, 2],
    ['a ping of 126 bytes', clientFrame({ opcode: 9, payload: Buffer.alloc(126) }), 1002, 2],
    ['a frame over the frame limit, refused from its header', clientFrame({ opcode: 2, length: 1001, payload: Buffer.alloc(0) }), 1009, 8],
    [
      'a 64-bit length with its top bit set',
      Buffer.concat([Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1]), Buffer.alloc(4)]),
      1002,
      14,
    ],
  ];
  for (const [name, bytes, code, by, limits] of violations) {
    it(`refuses ${name} (${code}) as soon as its header says so`, () => {
      for (const pieces of ['whole', 'bytes'] as const) {
        const decoded = decode(bytes, pieces, limits ?? { maxFrame: 1000, compression: false });
        expect(decoded.frames).toEqual([]);
        expect(decoded.violation?.code).toBe(code);
        if (pieces === 'bytes') expect(decoded.at).toBe(by);
      }
    });
  }

  it('delivers the frames before a violation, and reads nothing after it', () => {
    const decoder = new FrameDecoder({ maxFrame: 100, compression: false });
    const seen: string[] = [];
    const bytes = Buffer.concat([text('ok'), clientFrame({ opcode: 5 }), text('never')]);
    expect(decoder.push(bytes, (f) => seen.push(f.payload.toString()))?.code).toBe(1002);
    expect(decoder.push(text('later'), (f) => seen.push(f.payload.toString()))?.code).toBe(1002);
    expect(seen).toEqual(['ok']);
  });

  it('holds no more payload than has arrived: a header claiming a huge frame costs nothing yet', () => {
    const decoder = new FrameDecoder({ maxFrame: 2 ** 40, compression: false });
    const header = clientFrame({ opcode: 2, length: 2 ** 33, payload: Buffer.alloc(0) });
    expect(decoder.push(header, () => {})).toBeUndefined();
    // One chunk of payload in: the buffer is at most a few MiB, not 8 GiB.
    expect(decoder.push(Buffer.alloc(1000), () => {})).toBeUndefined();
    expect((decoder as unknown as { payload: Buffer }).payload.length).toBeLessThanOrEqual(1024 * 1024);
  });
});

describe('server frames', () => {
  it('are never masked, and carry each length in its shortest form', () => {
    const cases: [number, number[]][] = [
      [0, [0x82, 0]],
      [125, [0x82, 125]],
      [126, [0x82, 126, 0, 126]],
      [65535, [0x82, 126, 0xff, 0xff]],
      [65536, [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
    ];
    for (const [length, header] of cases) {
      const frame = encodeFrame(2, Buffer.alloc(length, 1));
      const bytes = Array.isArray(frame) ? Buffer.concat(frame as Buffer[]) : (frame as Buffer);
      expect([...bytes.subarray(0, header.length)]).toEqual(header);
      expect(bytes.length).toBe(header.length + length);
    }
  });

  it('encode text as UTF-8 behind its header, and mark fragments and compression', () => {
    expect([...encodeText('é')]).toEqual([0x81, 2, 0xc3, 0xa9]);
    expect((encodeFrame(1, Buffer.from('a'), false, true) as Buffer)[0]).toBe(0x41);
  });

  it('cut a close reason to 123 bytes without splitting a character', () => {
    const payload = closePayload(1001, 'é'.repeat(100));
    expect(payload.length).toBeLessThanOrEqual(125);
    expect(payload.readUInt16BE(0)).toBe(1001);
    expect(payload.subarray(2).toString('utf8')).toBe('é'.repeat(61));
    expect(closePayload(undefined).length).toBe(0);
  });
});

/** Runs frames (already decoded) through an assembler; what each completes. */
function assemble(frames: Buffer[], maxMessage = 1 << 20, compression = false): Incoming[] {
  const decoder = new FrameDecoder({ maxFrame: 1 << 20, compression });
  const assembler = new MessageAssembler(maxMessage);
  const out: Incoming[] = [];
  for (const bytes of frames) {
    decoder.push(Buffer.from(bytes), (frame) => {
      const incoming = assembler.frame(frame);
      if (incoming) out.push(incoming);
    });
  }
  return out;
}

const shown = (incoming: Incoming[]): unknown[] =>
  incoming.map((i) =>
    i.type === 'message'
      ? typeof i.data === 'string'
        ? ['text', i.data]
        : ['binary', [...i.data]]
      : i.type === 'violation'
        ? ['violation', i.code]
        : i.type === 'close'
          ? ['close', i.code, i.reason]
          : i.type === 'compressed'
            ? ['compressed', i.binary, i.data.toString()]
            : [i.type, i.payload.toString()],
  );

describe('MessageAssembler', () => {
  const cases: [string, Buffer[], unknown[], number?][] = [
    ['a text message in one frame', [text('hi')], [['text', 'hi']]],
    ['a binary message', [binary(Buffer.from([0, 255]))], [['binary', [0, 255]]]],
    [
      'fragments joined, with a ping between them answered first',
      [text('frag', false), ping('!'), continuation('men', false), continuation('ted')],
      [
        ['ping', '!'],
        ['text', 'fragmented'],
      ],
    ],
    ['a UTF-8 sequence split between fragments', [text(Buffer.from([0xc3]), false), continuation(Buffer.from([0xa9]))], [['text', 'é']]],
    ['empty fragments', [text('', false), continuation('', false), continuation('')], [['text', '']]],
    ['fragmented binary', [binary(Buffer.from([1]), false), continuation(Buffer.from([2]))], [['binary', [1, 2]]]],
    ['invalid UTF-8 in one frame', [text(Buffer.from([0xff]))], [['violation', 1007]]],
    [
      'invalid UTF-8 in the first fragment, found before the rest comes',
      [text(Buffer.from([0x61, 0xc0, 0xaf]), false)],
      [['violation', 1007]],
    ],
    [
      'a code point past U+10FFFF, found at its second byte',
      [text(Buffer.from('cebae1bdb9cf83cebcceb5f490', 'hex'), false)],
      [['violation', 1007]],
    ],
    ['a sequence left unfinished by the last fragment', [text(Buffer.from([0xe2, 0x82]), false), continuation('')], [['violation', 1007]]],
    ['a surrogate encoded in UTF-8', [text(Buffer.from([0xed, 0xa0, 0x80]))], [['violation', 1007]]],
    ['a continuation with no message begun', [continuation('x')], [['violation', 1002]]],
    ['text while a text message is unfinished', [text('a', false), text('b')], [['violation', 1002]]],
    ['binary while a text message is unfinished', [text('a', false), binary(Buffer.from([1]))], [['violation', 1002]]],
    ['a message over the limit in one frame', [text('x'.repeat(11))], [['violation', 1009]], 10],
    [
      'a message over the limit across fragments, refused at the fragment that passes it',
      [text('12345', false), continuation('678901', false)],
      [['violation', 1009]],
      10,
    ],
    ['a message at the limit', [text('12345', false), continuation('67890')], [['text', '1234567890']], 10],
    ['a close with no code', [close()], [['close', undefined, '']]],
    ['a close with a code and reason', [close(1001, 'going')], [['close', 1001, 'going']]],
    ['a close with a one-byte payload', [clientFrame({ opcode: 8, payload: Buffer.from([3]) })], [['violation', 1002]]],
    ['a close with a reason that is not UTF-8', [clientFrame({ opcode: 8, payload: Buffer.from([3, 232, 0xff]) })], [['violation', 1007]]],
    ['a pong', [clientFrame({ opcode: 10, payload: 'p' })], [['pong', 'p']]],
  ];
  for (const [name, frames, expected, max] of cases) {
    it(name, () => {
      expect(shown(assemble(frames, max))).toEqual(expected);
      // The same frames, all in one piece.
      expect(shown(assemble([Buffer.concat(frames)], max))).toEqual(expected);
    });
  }

  it('takes valid UTF-8 sent a byte a fragment (Autobahn 6.4), and fails at the first bad byte so sent', () => {
    const bytes = Buffer.from('κόσμε 🐢', 'utf8');
    const frames = [...bytes].map((byte, i) =>
      i === 0 ? text(Buffer.from([byte]), false) : continuation(Buffer.from([byte]), i === bytes.length - 1),
    );
    expect(shown(assemble(frames))).toEqual([['text', 'κόσμε 🐢']]);
    const bad = Buffer.from('cebae1bdb9cf83cebcceb5f4908080656469746564', 'hex');
    const badFrames = [...bad].map((byte, i) => (i === 0 ? text(Buffer.from([byte]), false) : continuation(Buffer.from([byte]), false)));
    const assembler = new MessageAssembler(1000);
    const decoder = new FrameDecoder({ maxFrame: 1000, compression: false });
    let failedAt = -1;
    for (const [i, frame] of badFrames.entries()) {
      decoder.push(frame, (f) => {
        if (failedAt < 0 && assembler.frame(f)?.type === 'violation') failedAt = i;
      });
    }
    // The 13th byte (0x90) makes U+110000: no later byte is needed to know.
    expect(failedAt).toBe(12);
  });

  it('hands a compressed message on whole and still compressed', () => {
    const frames = [clientFrame({ opcode: 1, payload: 'ab', rsv: 4, fin: false }), continuation('cd')];
    expect(shown(assemble(frames, 100, true))).toEqual([['compressed', false, 'abcd']]);
  });

  it('starts afresh after each message', () => {
    expect(shown(assemble([text('a', false), continuation('b'), text('c', false), continuation('d')]))).toEqual([
      ['text', 'ab'],
      ['text', 'cd'],
    ]);
  });
});

describe('close codes (RFC 6455 §7.4)', () => {
  it('are the ones an endpoint may send', () => {
    const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
    const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
    for (const code of valid) expect(isValidCloseCode(code), String(code)).toBe(true);
    for (const code of invalid) expect(isValidCloseCode(code), String(code)).toBe(false);
  });

  it('in a close frame: a reserved code is a protocol error', () => {
    for (const code of [1005, 1006, 1015, 999, 2999]) {
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code, 0);
      expect(parseClose(payload)).toMatchObject({ type: 'violation', code: 1002 });
    }
  });
});
