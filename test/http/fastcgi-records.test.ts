import { describe, expect, it } from 'vitest';
import {
  abortRequest,
  beginRequest,
  decodeEndRequest,
  decodeNameValuePairs,
  decodeValues,
  encodeNameValuePairs,
  encodeRecord,
  FcgiType,
  getValues,
  isStreamType,
  paramsRecords,
  RecordDecoder,
  requestStart,
  streamRecords,
  type FcgiRecord,
} from '../../src/http/fastcgi-records.js';

/** Decodes `bytes` fed in pieces of `step` bytes (Infinity: whole), joining each stream's pieces back into records' bytes. */
function decode(
  bytes: Uint8Array,
  step = Number.POSITIVE_INFINITY,
): { records: { type: number; id: number; content: string }[]; error?: string } {
  const decoder = new RecordDecoder();
  const records: { type: number; id: number; content: string }[] = [];
  let error: string | undefined;
  const take = (r: FcgiRecord) => records.push({ type: r.type, id: r.requestId, content: Buffer.from(r.content).toString('latin1') });
  for (let at = 0; at < bytes.length && !error; at += step)
    error = decoder.push(bytes.subarray(at, Math.min(bytes.length, at + step)), take);
  // Consecutive pieces of one stream are joined here, as a reader of the stream sees them (where records
  // and reads split it does not matter), so whole and byte-at-a-time decoding must agree.
  const joined: typeof records = [];
  for (const r of records) {
    const last = joined.at(-1);
    if (last && last.type === r.type && last.id === r.id && r.content !== '' && last.content !== '' && isStreamType(r.type)) {
      last.content += r.content;
    } else joined.push({ ...r });
  }
  return { records: joined, error };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('FastCGI records: encoding', () => {
  const cases: [string, Buffer, string][] = [
    ['FCGI_BEGIN_REQUEST, Responder, keep the connection', beginRequest(1, true), '0101000100080000' + '0001010000000000'],
    ['FCGI_BEGIN_REQUEST, Responder, close after', beginRequest(258, false), '0101010200080000' + '0001000000000000'],
    ['FCGI_ABORT_REQUEST', abortRequest(7), '0102000700000000'],
    ['an empty FCGI_STDIN ends the stream', streamRecords(FcgiType.stdin, 1, new Uint8Array(0), true), '0105000100000000'],
    ['content padded to 8 bytes', encodeRecord(FcgiType.stdout, 1, Buffer.from('abc')), '0106000100030500' + '6162630000000000'],
    ['content of 8 bytes: no padding', encodeRecord(FcgiType.stdout, 1, Buffer.from('abcdefgh')), '0106000100080000' + '6162636465666768'],
    [
      'FCGI_GET_VALUES with empty values',
      getValues(['FCGI_MPXS_CONNS']),
      `0109000000110700 0f00 ${Buffer.from('FCGI_MPXS_CONNS').toString('hex')} ${'00'.repeat(7)}`.replaceAll(' ', ''),
    ],
  ];
  for (const [name, bytes, expected] of cases) it(name, () => expect(hex(bytes)).toBe(expected));

  it('name-value pairs: one-byte lengths below 128, four bytes (top bit set) from 128', () => {
    expect(hex(encodeNameValuePairs([['A', 'bc']]))).toBe('0102' + '416263');
    const long = 'x'.repeat(200);
    const bytes = encodeNameValuePairs([['N', long]]);
    expect(hex(bytes.subarray(0, 5))).toBe('01800000c8');
    expect(bytes.length).toBe(1 + 4 + 1 + 200);
    expect(decodeNameValuePairs(bytes)).toEqual([['N', long]]);
  });

  it('values are UTF-8', () => {
    const bytes = encodeNameValuePairs([['HTTP_X', 'é']]);
    expect(hex(bytes)).toBe('06024854545' + '05f58c3a9');
    expect(decodeNameValuePairs(bytes)).toEqual([['HTTP_X', 'é']]);
  });

  it('a stream longer than a record is split into records of at most 65535 bytes, then ended', () => {
    const data = Buffer.alloc(200_000, 0x61);
    const { records } = decode(streamRecords(FcgiType.stdin, 3, data, true));
    expect(records.map((r) => r.content.length)).toEqual([200_000, 0]);
    const bytes = streamRecords(FcgiType.stdin, 3, data);
    // 65528-byte records (a multiple of 8), the rest last.
    expect(bytes.readUInt16BE(4)).toBe(65528);
    expect(bytes.length).toBe(3 * (8 + 65528) + 8 + 3416);
  });

  it('FCGI_PARAMS: the environment as pairs, over several records when it is large, then the empty record', () => {
    const env = { SCRIPT_FILENAME: '/srv/www/index.php', HTTP_COOKIE: 'c'.repeat(70_000), QUERY_STRING: '' };
    const { records } = decode(paramsRecords(1, env), 1);
    expect(records.map((r) => r.type)).toEqual([FcgiType.params, FcgiType.params]);
    expect(decodeNameValuePairs(Buffer.from(records[0]!.content, 'latin1'))).toEqual(Object.entries(env));
    expect(records[1]!.content).toBe('');
  });

  it('the start of a request: begin, params and, without a body, the empty stdin, in one buffer', () => {
    const { records } = decode(requestStart(5, { A: 'b' }, true, false));
    expect(records.map((r) => [r.type, r.id])).toEqual([
      [FcgiType.beginRequest, 5],
      [FcgiType.params, 5],
      [FcgiType.params, 5],
      [FcgiType.stdin, 5],
    ]);
    expect(decode(requestStart(5, { A: 'b' }, true, true)).records).toHaveLength(3);
  });

  it('refuses content that does not fit in a record', () => {
    expect(() => encodeRecord(FcgiType.stdout, 1, new Uint8Array(65536))).toThrow(RangeError);
  });
});

describe('FastCGI records: decoding, whole and a byte at a time', () => {
  const stdout = (id: number, text: string) => encodeRecord(FcgiType.stdout, id, Buffer.from(text));
  const end = (id: number, app: number, protocol: number) => {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(app, 0);
    body[4] = protocol;
    return encodeRecord(FcgiType.endRequest, id, body);
  };
  const cases: [string, Buffer, { type: number; id: number; content: string }[], string?][] = [
    ['one stdout record', stdout(1, 'Status: 200\r\n\r\nhi'), [{ type: 6, id: 1, content: 'Status: 200\r\n\r\nhi' }]],
    [
      'stdout, stderr, the end of stdout and FCGI_END_REQUEST',
      Buffer.concat([stdout(1, 'a'), encodeRecord(FcgiType.stderr, 1, Buffer.from('oops')), stdout(1, ''), end(1, 0, 0)]),
      [
        { type: 6, id: 1, content: 'a' },
        { type: 7, id: 1, content: 'oops' },
        { type: 6, id: 1, content: '' },
        { type: 3, id: 1, content: '\0\0\0\0\0\0\0\0' },
      ],
    ],
    [
      'records of two requests, interleaved',
      Buffer.concat([stdout(1, 'one'), stdout(2, 'two'), stdout(1, 'uno')]),
      [
        { type: 6, id: 1, content: 'one' },
        { type: 6, id: 2, content: 'two' },
        { type: 6, id: 1, content: 'uno' },
      ],
    ],
    [
      'padding the application chose itself (not our 8-byte alignment) is skipped',
      Buffer.concat([Buffer.from([1, 6, 0, 1, 0, 2, 3, 0]), Buffer.from('ok'), Buffer.alloc(3, 0xff), stdout(1, 'x')]),
      [{ type: 6, id: 1, content: 'okx' }],
    ],
    [
      'a management record',
      encodeRecord(FcgiType.getValuesResult, 0, encodeNameValuePairs([['FCGI_MPXS_CONNS', '1']])),
      [{ type: 10, id: 0, content: '\x0f\x01FCGI_MPXS_CONNS1' }],
    ],
    ['a record of another version', Buffer.from([2, 6, 0, 1, 0, 0, 0, 0]), [], 'a record of FastCGI version 2, not 1'],
    [
      'a good record, then one of version 0',
      Buffer.concat([stdout(1, 'a'), Buffer.from([0, 6, 0, 1, 0, 0, 0, 0])]),
      [{ type: 6, id: 1, content: 'a' }],
      'a record of FastCGI version 0, not 1',
    ],
  ];
  for (const [name, bytes, expected, error] of cases) {
    it(`${name} (whole)`, () =>
      expect(decode(bytes)).toEqual(error ? { records: expected, error } : { records: expected, error: undefined }));
    it(`${name} (a byte at a time)`, () =>
      expect(decode(bytes, 1)).toEqual(error ? { records: expected, error } : { records: expected, error: undefined }));
  }

  it('a stream record arriving in pieces is handed on as it comes, as views of the bytes read (no copy)', () => {
    const decoder = new RecordDecoder();
    const pieces: Uint8Array[] = [];
    const bytes = stdout(1, 'hello world!');
    const chunks = [bytes.subarray(0, 12), bytes.subarray(12)];
    for (const chunk of chunks) decoder.push(chunk, (r) => pieces.push(r.content));
    expect(pieces.map((p) => Buffer.from(p).toString())).toEqual(['hell', 'o world!']);
    expect(pieces[0]!.buffer).toBe(chunks[0]!.buffer);
    expect(decoder.atBoundary).toBe(true);
  });

  it('a discrete record split across reads is handed on whole', () => {
    const decoder = new RecordDecoder();
    const seen: string[] = [];
    const bytes = end(9, 3, 0);
    for (const byte of bytes) decoder.push(Buffer.from([byte]), (r) => seen.push(hex(r.content)));
    expect(seen).toEqual(['0000000300000000']);
  });

  it('says nothing more once broken', () => {
    const decoder = new RecordDecoder();
    const seen: FcgiRecord[] = [];
    expect(decoder.push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]), (r) => seen.push(r))).toMatch(/version 9/);
    expect(decoder.push(stdout(1, 'late'), (r) => seen.push(r))).toMatch(/version 9/);
    expect(seen).toEqual([]);
  });
});

describe('FastCGI records: bodies', () => {
  it('FCGI_END_REQUEST', () => {
    expect(decodeEndRequest(Buffer.from('0000010002000000', 'hex'))).toEqual({ appStatus: 256, protocolStatus: 2 });
    expect(decodeEndRequest(Buffer.from('00', 'hex'))).toMatch(/1 bytes, not 8/);
  });

  it('FCGI_GET_VALUES_RESULT: what the application says, ignoring what it cannot mean', () => {
    const values = (pairs: [string, string][]) => decodeValues(encodeNameValuePairs(pairs));
    expect(values([['FCGI_MPXS_CONNS', '0']])).toEqual({ mpxsConns: false });
    expect(
      values([
        ['FCGI_MPXS_CONNS', '1'],
        ['FCGI_MAX_CONNS', '10'],
        ['FCGI_MAX_REQS', '50'],
      ]),
    ).toEqual({ mpxsConns: true, maxConns: 10, maxReqs: 50 });
    expect(
      values([
        ['FCGI_MAX_CONNS', ''],
        ['FCGI_MAX_REQS', '0'],
        ['OTHER', '3'],
      ]),
    ).toEqual({});
  });

  it('malformed pairs', () => {
    expect(decodeNameValuePairs(Buffer.from([5, 1, 0x41]))).toMatch(/runs past the end/);
    expect(decodeNameValuePairs(Buffer.from([0x80, 0, 0]))).toMatch(/runs past the end/);
    expect(decodeNameValuePairs(Buffer.alloc(0))).toEqual([]);
  });
});

describe('FastCGI records: the start of a request, in one buffer', () => {
  const env = { SCRIPT_FILENAME: '/srv/www/index.php', QUERY_STRING: '', HTTP_X: 'é', LONG: 'v'.repeat(300) };
  it('is the same bytes as its records made one by one, with and without a body', () => {
    for (const hasBody of [false, true]) {
      const parts = [beginRequest(7, true), paramsRecords(7, env)];
      if (!hasBody) parts.push(streamRecords(FcgiType.stdin, 7, new Uint8Array(0), true));
      expect(hex(requestStart(7, env, true, hasBody))).toBe(hex(Buffer.concat(parts)));
    }
  });

  it('parameters larger than one record go over several', () => {
    const big = { HTTP_COOKIE: 'c'.repeat(100_000) };
    const { records } = decode(requestStart(1, big, false, false), 1);
    expect(records.map((r) => r.type)).toEqual([FcgiType.beginRequest, FcgiType.params, FcgiType.params, FcgiType.stdin]);
    expect(decodeNameValuePairs(Buffer.from(records[1]!.content, 'latin1'))).toEqual(Object.entries(big));
  });
});
