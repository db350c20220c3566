/**
 * Real Python WSGI applications over real sockets: Python's own
 * wsgiref.simple_server.demo_app, and the fixture application behind
 * wsgiref.validate.validator made strict (any complaint fails the request,
 * an unclosed iterator is printed on stderr: neither may happen). The
 * environ to the letter of PEP 3333, request bodies read every way,
 * streaming responses, start_response's rules, exceptions, file_wrapper.
 */
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/core/log.js';
import { raw, request, waitFor } from '../helpers/http.js';
import { lines, logged } from '../helpers/wsgi.js';
import { pythonServer } from '../helpers/python.js';

const validated = ['/py/=python:validated:application'];

/** No validator complaint, no unclosed iterator, no traceback on the errors channel. */
function expectNoComplaint(logs: Record<string, LogRecord[]>): void {
  const all = logs.errors!.map((r) => `${r.message}\n${String(r.fields?.stack ?? '')}`).join('\n');
  expect(all).not.toMatch(/AssertionError|WSGIWarning|Iterator garbage collected|Exception ignored|Traceback/);
}

const get = (port: number, path: string, headers?: Record<string, string>) => request(port, { path, headers });
const post = (port: number, path: string, body: string | Buffer, headers?: Record<string, string>) =>
  request(port, { method: 'POST', path, body, headers });

describe('Python applications', () => {
  it("serves Python's own wsgiref demo_app", async () => {
    const { port, logs } = await pythonServer(['/demo/=python:demo'] /* MODULE alone: its "application" */);
    const res = await get(port, '/demo/some/where?x=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toMatch(/^Hello world!/);
    expect(res.text).toContain("PATH_INFO = '/some/where'");
    expect(res.text).toContain("SCRIPT_NAME = '/demo'");
    expect(res.text).toContain("QUERY_STRING = 'x=1'");
    expect(res.text).toContain('wsgi.multithread = False');
    expectNoComplaint(logs);
  });

  it('passes wsgiref.validate on every ordinary route', async () => {
    const { port, logs } = await pythonServer(validated);
    for (const path of [
      '/hello',
      '/environ',
      '/stream?n=3&size=4',
      '/write',
      '/file',
      '/file-part',
      '/length-long',
      '/pid',
      '/errors',
      '/latin1-head',
    ]) {
      const res = await get(port, `/py${path}`);
      expect(res.status, path).toBe(200);
    }
    for (const [path, body] of [
      ['/echo', 'abc'],
      ['/read-n?n=2', 'abcde'],
      ['/readline', 'a\nb'],
      ['/readlines', 'a\nb\n'],
      ['/iterate', 'x\ny\n'],
    ] as const) {
      expect((await post(port, `/py${path}`, body)).status, path).toBe(200);
    }
    // HEAD and a client that goes away: the iterator is still closed.
    const head = await raw(port, 'HEAD /py/stream?n=50&size=1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { methods: ['HEAD'] });
    expect(head.bytes.toString()).toMatch(/^HTTP\/1\.1 200 /);
    await logged(logs, /close\(\) called/);
    expectNoComplaint(logs);
  });

  it('gives the environ of PEP 3333: native strings, wsgi.* values, CGI variables', async () => {
    const { port, logs } = await pythonServer(validated);
    const res = await get(port, '/py/environ?a=1&b=%20', { 'X-Custom': 'v1', Cookie: 'a=1' });
    expect(res.status).toBe(200);
    const env = JSON.parse(res.text) as Record<string, unknown>;
    expect(env).toMatchObject({
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/py',
      PATH_INFO: '/environ',
      QUERY_STRING: 'a=1&b=%20',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REMOTE_ADDR: '127.0.0.1',
      HTTP_X_CUSTOM: 'v1',
      HTTP_COOKIE: 'a=1',
      'wsgi.version': ['tuple', 1, 0],
      'wsgi.url_scheme': 'http',
      'wsgi.multithread': false,
      'wsgi.multiprocess': false,
      'wsgi.run_once': false,
      'wsgi.input_terminated': true,
      // Behind the validator, input and errors are its wrappers.
      'wsgi.input': 'InputWrapper',
      'wsgi.errors': 'ErrorWrapper',
      'wsgi.file_wrapper': 'type',
    });
    expect(env.SERVER_PORT).toBe(String(port));
    expect(env).not.toHaveProperty('CONTENT_LENGTH');
    expectNoComplaint(logs);
  });

  it('gives PATH_INFO and SCRIPT_NAME as the UTF-8 bytes of the decoded path, as latin-1 strings (decoded once)', async () => {
    const { port } = await pythonServer(['/caf\u00e9/=python:apps:application']);
    // The mount itself holds a byte beyond ASCII, so SCRIPT_NAME does too.
    const res = await get(port, '/caf%C3%A9/environ');
    const env = JSON.parse(res.text) as Record<string, string>;
    expect(Buffer.from(env.SCRIPT_NAME!, 'latin1').toString('utf8')).toBe('/café');
    expect(env.PATH_INFO).toBe('/environ');
    const other = await get(port, '/caf%C3%A9/%E2%82%AC%2541');
    // Not a route of the app: its 404 gives back the bytes of the path it saw, %25 decoded once into "%".
    expect(other.status).toBe(404);
    expect(other.text).toBe('no route /\u20ac%41\n');
  });

  it('gives header values as the bytes the client sent (latin-1), and never Content-Length or Content-Type as HTTP_*', async () => {
    const { port } = await pythonServer();
    const head =
      'POST /py/headers HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9\r\nContent-Type: text/x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab';
    const { responses } = await raw(port, Buffer.from(head, 'latin1'), { responses: 1 });
    const seen = JSON.parse(responses[0]!.text) as Record<string, string>;
    expect(Buffer.from(seen.HTTP_X_LATIN!, 'hex').toString('latin1')).toBe('caf\xe9');
    expect(seen).toMatchObject({ CONTENT_TYPE: Buffer.from('text/x').toString('hex'), CONTENT_LENGTH: Buffer.from('2').toString('hex') });
    expect(seen).not.toHaveProperty('HTTP_CONTENT_LENGTH');
    expect(seen).not.toHaveProperty('HTTP_CONTENT_TYPE');
  });

  it('sends a response header value with bytes beyond ASCII as those bytes', async () => {
    const { port } = await pythonServer();
    const { bytes } = await raw(port, 'GET /py/latin1-head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(bytes.toString('latin1')).toContain('X-Name: caf\xe9\r\n');
  });

  describe('wsgi.input', () => {
    it('read(n) gives n bytes until the end, then what is left, then nothing', async () => {
      const { port } = await pythonServer(validated);
      expect(JSON.parse((await post(port, '/py/read-n?n=3', 'abcdefgh')).text)).toEqual([3, 3, 2, 0]);
    });

    it('readline(), readline(size), readlines(), readlines(hint) and iteration', async () => {
      const { port, logs } = await pythonServer(validated);
      const body = 'one\ntwo\n\nthree';
      expect(JSON.parse((await post(port, '/py/readline', body)).text)).toEqual(['one\n', 'two\n', '\n', 'three']);
      expect(JSON.parse((await post(port, '/py/readline?size=2', 'abc\nd')).text)).toEqual(['ab', 'c\n', 'd']);
      expect(JSON.parse((await post(port, '/py/readlines', body)).text)).toEqual({ lines: ['one\n', 'two\n', '\n', 'three'], rest: 0 });
      expect(JSON.parse((await post(port, '/py/readlines?hint=5', body)).text)).toEqual({ lines: ['one\n', 'two\n'], rest: 6 });
      expect(JSON.parse((await post(port, '/py/iterate', body)).text)).toEqual(['one\n', 'two\n', '\n', 'three']);
      expectNoComplaint(logs);
    });

    it('reads a large upload as it comes, byte for byte', async () => {
      const { port } = await pythonServer(validated);
      const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'abcdefghij');
      const res = await post(port, '/py/echo?size=65536', body);
      expect(res.status).toBe(200);
      expect(res.headers['x-length']).toBe(String(body.length));
      expect(res.body.equals(body)).toBe(true);
    });

    it('reads a chunked upload to its end (wsgi.input_terminated)', async () => {
      const { port, logs } = await pythonServer(validated);
      const chunks = ['5\r\nhello\r\n', '1\r\n \r\n', '6\r\nworld!\r\n', '0\r\n\r\n'];
      const head = 'POST /py/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
      const { responses } = await raw(port, head + chunks.join(''), { pieces: 7, pause: 5, responses: 1 });
      expect(responses[0]!.status).toBe(200);
      expect(responses[0]!.text).toBe('hello world!');
      expectNoComplaint(logs);
    });

    it('answers 413 when the upload is over the limit as the application reads it', async () => {
      const { port } = await pythonServer(['/py/=python:apps:application'], {}, { limits: { body: 1000 } });
      const head = 'POST /py/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
      const { bytes } = await raw(port, `${head}${'400\r\n'}${'x'.repeat(1024)}\r\n0\r\n\r\n`);
      expect(bytes.toString()).toMatch(/^HTTP\/1\.1 413 /);
    });
  });

  describe('responses', () => {
    it('streams a generator chunk by chunk, and calls close()', async () => {
      const { port, logs } = await pythonServer(validated);
      const { responses, bytes } = await raw(port, 'GET /py/stream?n=3&size=4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(bytes.toString()).toContain('Transfer-Encoding: chunked');
      expect(responses[0]!.text).toBe('000011112222');
      await logged(logs, /close\(\) called/);
      expectNoComplaint(logs);
    });

    it('sends each chunk as it is made, not at the end', async () => {
      const { port } = await pythonServer();
      const started = Date.now();
      const arrivals: number[] = [];
      const net = await import('node:net');
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write('GET /py/stream?n=3&size=2&delay=0.2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        );
        socket.on('data', () => arrivals.push(Date.now() - started));
        socket.on('close', () => resolve());
      });
      expect(arrivals.length).toBeGreaterThanOrEqual(3);
      expect(arrivals[0]!).toBeLessThan(500);
      expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(250);
    });

    it('sends write() bytes before the returned ones', async () => {
      const { port } = await pythonServer(validated);
      expect((await get(port, '/py/write')).text).toBe('written, then returned\n');
    });

    it('sends no more than the declared Content-Length, and cuts short a body that falls short of it', async () => {
      const { port, logs } = await pythonServer();
      expect((await get(port, '/py/length-long')).text).toBe('12345');
      const { bytes, closed } = await raw(port, 'GET /py/length-short HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(bytes.toString()).toMatch(/Content-Length: 10\r\n\r\n12345$/);
      expect(closed).toBe(true);
      await logged(logs, /length-short/);
    });

    it('has the server send a wsgi.file_wrapper file itself, from where the file was', async () => {
      const { port } = await pythonServer();
      const whole = await get(port, '/py/file');
      expect(whole.text).toBe('Hello from a file served by wsgi.file_wrapper.\n');
      expect(whole.headers['content-length']).toBe(String(whole.body.length));
      expect((await get(port, '/py/file-part?from=6')).text).toBe('from a file served by wsgi.file_wrapper.\n');
      // A file that goes away when closed is read by the worker instead.
      expect((await get(port, '/py/temporary')).text).toBe('a temporary file\n');
    });

    it('answers HEAD without a body, and the application is closed', async () => {
      const { port, logs } = await pythonServer();
      const { bytes } = await raw(port, 'HEAD /py/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { methods: ['HEAD'] });
      expect(bytes.toString()).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\n$/);
      expect(lines(logs)).toEqual([]);
    });
  });

  describe('start_response and exceptions', () => {
    it('answers 500 to an exception before start_response, with the traceback on the errors channel', async () => {
      const { port, logs } = await pythonServer();
      const res = await get(port, '/py/exc-before');
      expect(res.status).toBe(500);
      expect(res.text).not.toContain('boom');
      const record = logs.errors!.find((r) => r.message.startsWith('500 GET /py/exc-before'))!;
      expect(record.message).toContain('ValueError: boom before start_response');
      expect(String(record.fields?.stack)).toMatch(/Traceback \(most recent call last\):[^]*apps\.py", line \d+, in exc_before/);
    });

    it('cuts the response short when the application fails after its head, and logs the traceback', async () => {
      const { port, logs } = await pythonServer();
      const { bytes, closed, responses } = await raw(port, 'GET /py/exc-after HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(bytes.toString()).toMatch(/^HTTP\/1\.1 200 /);
      expect(bytes.toString()).toContain('first part');
      expect(bytes.toString()).not.toMatch(/0\r\n\r\n$/);
      expect(closed).toBe(true);
      expect(responses).toEqual([]);
      const line = await logged(logs, /exc-after .*failed after its response began: ValueError: boom after the head/);
      expect(line).toBeDefined();
    });

    it('lets exc_info replace the head before any byte has gone', async () => {
      const { port, logs } = await pythonServer(validated);
      const res = await get(port, '/py/exc-info');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('7');
      expect(res.text).toBe('replaced\n');
      expectNoComplaint(logs);
    });

    it('raises exc_info again once the head has gone: the response is cut short', async () => {
      const { port, logs } = await pythonServer();
      const { bytes, closed } = await raw(port, 'GET /py/exc-info-late HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(bytes.toString()).toContain('first part');
      expect(bytes.toString()).not.toContain('never');
      expect(closed).toBe(true);
      await logged(logs, /RuntimeError: failed midway/);
    });

    it.each([
      ['/twice', /start_response called a second time without exc_info/],
      ['/hop', /Connection is a hop-by-hop header/],
      ['/bad-value', /the value of X-Split holds a control character/],
      ['/not-bytes', /WSGI applications yield bytes, not str/],
    ])('answers 500 when the application breaks a rule of PEP 3333 (%s)', async (path, reason) => {
      const { port, logs } = await pythonServer();
      // Twice: what was refused once is refused again (the runner remembers only the names, statuses and heads it found valid).
      for (let i = 0; i < 2; i++) {
        const res = await get(port, `/py${path}`);
        expect(res.status).toBe(500);
        expect(res.headers['x-split']).toBeUndefined();
      }
      await logged(logs, reason);
    });
  });

  it("sends wsgi.errors lines and the application's stdout and stderr lines to the errors channel, tagged", async () => {
    const { port, logs } = await pythonServer();
    await get(port, '/py/errors');
    await logged(logs, /GET \/py\/errors HTTP\/1\.1: first line$/);
    await logged(logs, /GET \/py\/errors HTTP\/1\.1: second line$/);
    await logged(logs, /GET \/py\/errors HTTP\/1\.1: unfinished$/);
    await get(port, '/py/print');
    const out = logs.errors!.find((r) => r.message.endsWith('to stdout from the application'))!;
    expect(out.message).toMatch(/^python \/py: apps:application \[process 1 \(pid \d+\) stdout\]: /);
    expect(out.fields).toMatchObject({ app: 'apps:application', prefix: '/py', stream: 'stdout' });
    await logged(logs, /stderr\]: to stderr from the application$/);
  });

  it('calls a factory named MODULE:NAME()', async () => {
    const { port } = await pythonServer(['/f/=python:apps:create_app()']);
    expect((await get(port, '/f/hello')).text).toBe('Hello world!\n');
  });

  it('serves several applications, each on its own processes, in the order given among JavaScript ones', async () => {
    const { port, server } = await pythonServer(['/py/x/=python:demo', '/py/=python:apps:application']);
    expect(server.pythonPools.map((p) => p.app.prefix)).toEqual(['/py/x', '/py']);
    expect((await get(port, '/py/x/y')).text).toMatch(/^Hello world!/);
    expect((await get(port, '/py/hello')).text).toBe('Hello world!\n');
    await waitFor(() => server.pythonPools.every((p) => p.status.processes === 1));
  });
});
