import { describe, expect, it } from 'vitest';
import { CgiHeadParser, interpretCgiHead, parseNphStatusLine, type CgiHeadResult } from '../../src/http/cgi-response.js';

/** Feeds output in pieces of `piece` bytes; the first result, or end()'s. */
function parse(output: string | Buffer, piece = Infinity, limit?: number): CgiHeadResult {
  const bytes = Buffer.from(output);
  const parser = new CgiHeadParser(limit);
  for (let i = 0; i < bytes.length; i += piece === Infinity ? bytes.length : piece) {
    const result = parser.push(bytes.subarray(i, i + (piece === Infinity ? bytes.length : piece)));
    if (result) return result;
  }
  return parser.end();
}

function document(output: string, piece?: number) {
  const r = parse(output, piece);
  if (!r.ok) throw new Error(r.reason);
  if (r.head.kind !== 'document') throw new Error(`not a document: ${r.head.kind}`);
  return { status: r.head.status, headers: [...r.head.headers], rest: Buffer.from(r.rest).toString() };
}

describe('CgiHeadParser: documents (RFC 3875 §6.2.1)', () => {
  const cases: [string, string, number, [string, string][], string][] = [
    ['LF line ends', 'Content-Type: text/plain\n\nhello', 200, [['Content-Type', 'text/plain']], 'hello'],
    ['CRLF line ends', 'Content-Type: text/plain\r\n\r\nhello', 200, [['Content-Type', 'text/plain']], 'hello'],
    [
      'mixed line ends',
      'Content-Type: text/plain\r\nX-A: 1\n\r\nbody\r\n',
      200,
      [
        ['Content-Type', 'text/plain'],
        ['X-A', '1'],
      ],
      'body\r\n',
    ],
    ['a Status with a reason', 'Status: 404 Not Here\nContent-Type: text/html\n\n<p>no', 404, [['Content-Type', 'text/html']], '<p>no'],
    ['a Status alone, no body', 'Status: 204\n\n', 204, [], ''],
    ['case-insensitive CGI field names', 'content-TYPE: text/plain\nSTATUS: 201 Created\n\n', 201, [['content-TYPE', 'text/plain']], ''],
    [
      'other fields passed on in order, names as written',
      'Content-Type: a/b\nSet-Cookie: a=1\nSet-Cookie: b=2\nX-Powered-By: sh\n\n',
      200,
      [
        ['Content-Type', 'a/b'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
        ['X-Powered-By', 'sh'],
      ],
      '',
    ],
    [
      'framing fields dropped: they are ours',
      'Content-Type: a/b\nTransfer-Encoding: chunked\nConnection: keep-alive\n\n',
      200,
      [['Content-Type', 'a/b']],
      '',
    ],
    [
      'a Content-Length kept',
      'Content-Type: a/b\nContent-Length: 5\n\nhello',
      200,
      [
        ['Content-Type', 'a/b'],
        ['Content-Length', '5'],
      ],
      'hello',
    ],
    [
      'a status line first, as some scripts write',
      'HTTP/1.1 403 Forbidden\nContent-Type: text/plain\n\nno',
      403,
      [['Content-Type', 'text/plain']],
      'no',
    ],
    ['value whitespace trimmed', 'Content-Type:   text/plain  \n\n', 200, [['Content-Type', 'text/plain']], ''],
    ['the body may hold blank lines', 'Content-Type: a/b\n\n\n\nx', 200, [['Content-Type', 'a/b']], '\n\nx'],
  ];
  for (const [name, output, status, headers, rest] of cases) {
    it(name, () => {
      expect(document(output)).toEqual({ status, headers, rest });
      // Byte at a time: the same answer.
      expect(document(output, 1).status).toBe(status);
      expect(document(output, 1).headers).toEqual(headers);
    });
  }
});

describe('CgiHeadParser: redirects (RFC 3875 §6.2.2-6.2.4)', () => {
  it('a local path is a local redirect', () => {
    const r = parse('Location: /cgi-bin/hello.sh?x=1\n\n');
    expect(r.ok && r.head).toEqual({ kind: 'local-redirect', location: '/cgi-bin/hello.sh?x=1' });
  });
  it('a local path with Status 200 is still a local redirect, as in Apache', () => {
    const r = parse('Status: 200\nLocation: /x\n\n');
    expect(r.ok && r.head.kind).toBe('local-redirect');
  });
  it('an absolute URI is a 302 to the client', () => {
    const d = document('Location: https://example.org/a?b#c\n\n');
    expect(d.status).toBe(302);
    expect(d.headers).toEqual([['Location', 'https://example.org/a?b#c']]);
  });
  it('an absolute URI with a Status and a document keeps both', () => {
    const d = document('Status: 301 Moved\nLocation: https://example.org/\nContent-Type: text/html\n\n<a href>moved</a>');
    expect(d.status).toBe(301);
    expect(d.rest).toBe('<a href>moved</a>');
  });
  it('a local path with another Status goes to the client as it is', () => {
    const d = document('Status: 303 See Other\nLocation: /next\n\n');
    expect(d).toMatchObject({ status: 303, headers: [['Location', '/next']] });
  });
  it('a relative reference is sent on with 302', () => {
    expect(document('Location: next.html\n\n').status).toBe(302);
  });
});

describe('CgiHeadParser: malformed output is a 502', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['nothing at all', '', /wrote nothing/],
    ['output that ends inside the header section', 'Content-Type: text/plain\n', /ended inside/],
    ['no blank line before the end', 'Content-Type: text/plain', /ended inside/],
    ['a body without a header section', 'hello world\n\n', /not a header field/],
    ['an empty header section', '\nhello', /no Status, Content-Type or Location/],
    ['no CGI field', 'X-Thing: 1\n\nbody', /no Status, Content-Type or Location/],
    ['Content-Type twice', 'Content-Type: a/b\nContent-Type: c/d\n\n', /given twice/],
    ['Status twice', 'Status: 200\nStatus: 404\n\n', /given twice/],
    ['Location twice', 'Location: /a\nLocation: /b\n\n', /given twice/],
    ['a Status that is not three digits', 'Status: 20\n\n', /3-digit/],
    ['a Status word', 'Status: OK\n\n', /3-digit/],
    ['an interim status', 'Status: 100 Continue\n\n', /cannot be a final response/],
    ['a status out of range', 'Status: 600\n\n', /cannot be a final response/],
    ['a folded line', 'Content-Type: text/plain\n X-More: 1\n\n', /folded/],
    ['whitespace before the colon', 'Content-Type : text/plain\n\n', /not a header field/],
    ['a bare CR inside a value', 'Content-Type: text/plain\rX-Evil: 1\n\n', /control character/],
    ['a NUL inside a value', 'Content-Type: text/pl\0ain\n\n', /control character/],
    ['an invalid Content-Length', 'Content-Type: a/b\nContent-Length: 5, 5\n\n', /Content-Length/],
    ['an empty Location', 'Location:\n\n', /Location is empty/],
  ];
  for (const [name, output, reason] of cases) {
    it(name, () => {
      const r = parse(output);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }

  it('a header section longer than the limit, whether or not it has line ends', () => {
    const long = `Content-Type: text/plain\nX-Long: ${'a'.repeat(200)}\n\n`;
    const r = parse(long, 16, 128);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/longer than 128/);
    const endless = parse('X'.repeat(500), 16, 128);
    expect(!endless.ok && endless.reason).toMatch(/longer than 128/);
  });

  it('keeps its first answer', () => {
    const parser = new CgiHeadParser();
    const first = parser.push(Buffer.from('Status: 204\n\n'));
    expect(parser.push(Buffer.from('more'))).toBe(first);
    expect(parser.end()).toBe(first);
  });
});

describe('interpretCgiHead', () => {
  it('takes fields directly', () => {
    expect(interpretCgiHead([['Content-Type', 'text/plain']])).toMatchObject({ kind: 'document', status: 200 });
    expect(interpretCgiHead([])).toMatch(/no Status/);
  });
});

describe('parseNphStatusLine', () => {
  const cases: [string, number | undefined][] = [
    ['HTTP/1.1 200 OK', 200],
    ['HTTP/1.0 404 Not Found', 404],
    ['HTTP/1.1 204', 204],
    ['HTTP/1.1 99 Low', undefined],
    ['Content-Type: text/plain', undefined],
    ['HTTP/1.1 2000 OK', undefined],
    ['', undefined],
  ];
  for (const [line, status] of cases) it(JSON.stringify(line), () => expect(parseNphStatusLine(line)).toBe(status));
});
