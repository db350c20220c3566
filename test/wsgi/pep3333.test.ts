/**
 * PEP 3333 over real sockets: the fixture application
 * (test/fixtures/wsgi/pep3333.mjs) runs on the thread pool, one route per rule.
 */
import { describe, expect, it } from 'vitest';
import { leaveOnceAnswered, raw, request, sleep, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { fixture, lines, logged, wsgiServer } from '../helpers/wsgi.js';
import { threadCount } from '../../components/wsgi/pool.js';

describe('the environ', () => {
  it('carries the CGI variables and the wsgi.* entries', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { path: '/app/environ?x=1', headers: { 'X-Custom': 'yes', X_Custom: 'spoof' } });
    expect(res.status).toBe(200);
    const env = JSON.parse(res.text) as Record<string, unknown>;
    expect(env).toMatchObject({
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/app',
      PATH_INFO: '/environ',
      QUERY_STRING: 'x=1',
      SERVER_NAME: 'localhost',
      SERVER_PORT: String(port),
      SERVER_PROTOCOL: 'HTTP/1.1',
      REMOTE_ADDR: '127.0.0.1',
      HTTP_X_CUSTOM: 'yes',
      'wsgi.version': [1, 0],
      'wsgi.url_scheme': 'http',
      'wsgi.multithread': true,
      'wsgi.multiprocess': false,
      'wsgi.run_once': false,
      'wsgi.input': 'object',
      'wsgi.errors': 'object',
      'wsgi.file_wrapper': 'function',
    });
    expect(Object.values(env)).not.toContain('spoof');
  });

  it('mounts at the prefix: SCRIPT_NAME is the prefix, PATH_INFO the rest', async () => {
    const { port } = await wsgiServer({ wsgi: [`/deep/mount/=${fixture('pep3333.mjs')}`] });
    const env = JSON.parse((await request(port, { path: '/deep/mount/environ' })).text) as Record<string, string>;
    expect([env.SCRIPT_NAME, env.PATH_INFO]).toEqual(['/deep/mount', '/environ']);
    expect((await request(port, { path: '/deep/other' })).status).toBe(404);
  });

  it('takes an export by name', async () => {
    const { port } = await wsgiServer({ wsgi: [`/app/=${fixture('pep3333.mjs')}#other`] });
    expect((await request(port, { path: '/app/anything' })).text).toBe('the other export\n');
  });
});

describe('startResponse', () => {
  it('answers with the status and headers given', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { path: '/app/hello' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.headers['content-length']).toBe('13');
    expect(res.text).toBe('Hello world!\n');
  });

  it('refuses a second call without excInfo: 500', async () => {
    const { port, logs } = await wsgiServer();
    expect((await request(port, { path: '/app/twice' })).status).toBe(500);
    expect(await logged(logs, /500 GET \/app\/twice .*called a second time without excInfo/)).toBeTruthy();
  });

  it('with excInfo before any body byte, replaces the head', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { path: '/app/exc-info' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.text).toBe('replaced\n');
  });

  it('holds the head until the first non-empty chunk, so excInfo can still replace it', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { path: '/app/deferred-head' });
    expect(res.status).toBe(201);
    expect(res.text).toBe('created\n');
  });

  it('with excInfo after the head has gone, throws it back: the response is cut short', async () => {
    const { port, logs } = await wsgiServer();
    const { bytes, closed } = await raw(port, 'GET /app/exc-after HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(closed).toBe(true);
    const text = bytes.toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).toContain('first part');
    expect(text).not.toContain('0\r\n\r\n');
    await logged(logs, /failed after its response began: failed midway/);
  });

  it.each([
    ['a hop-by-hop header', '/app/hop', /hop-by-hop/],
    ['CR LF in a header value', '/app/crlf', /control character/],
    ['a status without a reason phrase', '/app/bad-status', /three digits, a space/],
  ])('refuses %s: 500, and nothing of it reaches the wire', async (_, path, reason) => {
    const { port, logs } = await wsgiServer();
    const { bytes } = await raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(bytes.toString()).toMatch(/^HTTP\/1\.1 500 /);
    expect(bytes.toString()).not.toMatch(/Set-Cookie: evil/i);
    await logged(logs, reason);
  });

  it('returns write(), whose bytes go before those of the iterable', async () => {
    const { port } = await wsgiServer();
    expect((await request(port, { path: '/app/write' })).text).toBe('written bytes then iterated\n');
  });

  it('may be called from inside the iteration', async () => {
    const { port } = await wsgiServer();
    expect((await request(port, { path: '/app/lazy-start' })).text).toBe('started inside the iterator\n');
  });

  it('must be called: a result without a head is a 500', async () => {
    const { port, logs } = await wsgiServer();
    expect((await request(port, { path: '/app/no-start' })).status).toBe(500);
    expect((await request(port, { path: '/app/lazy' })).status).toBe(500);
    await logged(logs, /without calling startResponse/);
  });
});

describe('the result', () => {
  it('streams a generator or an async iterable, and awaits a promise of one', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { path: '/app/async' });
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.text).toBe('abc\n');
    const later = await request(port, { path: '/app/promise' });
    expect([later.status, later.text]).toEqual([202, 'later\n']);
  });

  it('refuses a bare string (it would be sent a character at a time in Python): 500', async () => {
    const { port, logs } = await wsgiServer();
    expect((await request(port, { path: '/app/string-result' })).status).toBe(500);
    await logged(logs, /must return an iterable/);
  });

  it('has its close() called after the last chunk', async () => {
    const { port, logs } = await wsgiServer();
    expect((await request(port, { path: '/app/close?normal' })).text).toBe('one two\n');
    await logged(logs, /closed normal/);
  });

  it('has its close() called on a whole body (an array), and waited for when it returns a promise', async () => {
    const { port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
    expect((await request(port, { path: '/app/close-array?array' })).text).toBe('whole\n');
    await logged(logs, /closed array/);
    expect((await request(port, { path: '/app/close-async?async' })).text).toBe('whole\n');
    await logged(logs, /closed async later/);
  });

  it('has its close() called when the iteration throws', async () => {
    const { port, logs } = await wsgiServer();
    await raw(port, 'GET /app/close-throw?thrown HTTP/1.1\r\nHost: x\r\n\r\n');
    await logged(logs, /closed thrown/);
  });

  it('has its close() called when the client goes away, and the thread is free again', async () => {
    const before = snapshot();
    const { server, port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
    await leaveOnceAnswered(port, 'GET /app/endless?gone HTTP/1.1\r\nHost: x\r\n\r\n');
    await logged(logs, /closed gone after \d+/);
    await waitFor(() => server.poolStatus!.busy === 0);
    // The one thread serves the next request.
    expect((await request(port, { path: '/app/hello' })).status).toBe(200);
    await server.stop();
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  });

  it('has a generator stopped early run its finally block (iterator.return())', async () => {
    const { port, logs } = await wsgiServer();
    await leaveOnceAnswered(port, 'GET /app/endless-async?early HTTP/1.1\r\nHost: x\r\n\r\n');
    await logged(logs, /generator finally early/);
  });

  it('is not iterated past a declared Content-Length', async () => {
    const { port, logs } = await wsgiServer();
    const res = await request(port, { path: '/app/content-length' });
    expect([res.headers['content-length'], res.text]).toEqual(['5', 'hello']);
    await sleep(50);
    expect(lines(logs).some((l) => l.includes('iterated past Content-Length'))).toBe(false);
  });

  it('may not write() past a declared Content-Length', async () => {
    const { port, logs } = await wsgiServer();
    expect((await request(port, { path: '/app/write-past-length' })).text).toBe('abc');
    await logged(logs, /write refused: write\(\) past the declared Content-Length/);
  });

  it('falling short of its Content-Length closes the connection, and is logged', async () => {
    const { port, logs } = await wsgiServer();
    const { bytes, closed } = await raw(port, 'GET /app/short HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(closed).toBe(true);
    expect(bytes.toString()).toMatch(/Content-Length: 10\r\n\r\nabc$/);
    await logged(logs, /cut short/);
  });
});

describe('faults', () => {
  it('an exception before the response: 500 with the stack logged, and the thread carries on', async () => {
    const { server, port, logs } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
    expect((await request(port, { path: '/app/throw-before' })).status).toBe(500);
    const record = logs.errors!.find((r) => r.message.includes('broken before the response'))!;
    expect(String(record.fields?.stack)).toContain('pep3333.mjs');
    expect((await request(port, { path: '/app/hello' })).status).toBe(200);
    expect(server.poolStatus!.threads).toBe(1);
  });

  it('an exception after the response began: the connection is closed, the body cut short', async () => {
    const { port, logs } = await wsgiServer();
    const { bytes, closed } = await raw(port, 'GET /app/throw-after HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(closed).toBe(true);
    expect(bytes.toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*partial\n\r\n$/);
    await logged(logs, /broken after the response began/);
  });

  it('an application that cannot be loaded: reported at start, its requests answered 500', async () => {
    const { port, logs } = await wsgiServer({ wsgi: [`/app/=${fixture('broken.mjs')}`, `/ok/=${fixture('pep3333.mjs')}`] });
    await logged(logs, /could not be loaded: this module fails at import/);
    expect((await request(port, { path: '/app/x' })).status).toBe(500);
    expect((await request(port, { path: '/ok/hello' })).status).toBe(200);
  });
});

describe('wsgi.errors', () => {
  it('sends what the application writes to the errors channel, a line at a time', async () => {
    const { port, logs } = await wsgiServer();
    expect((await request(port, { path: '/app/errors' })).text).toBe('logged\n');
    await logged(logs, /unterminated$/);
    const ours = lines(logs).filter((l) => l.startsWith('wsgi pool: GET /app/errors'));
    expect(ours.map((l) => l.replace(/^.*HTTP\/1\.1: /, ''))).toEqual(['first line', 'second line', 'unterminated']);
  });
});

describe('wsgi.file_wrapper', () => {
  it('hands the file to the responder', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { path: '/app/file' });
    expect(res.headers['content-length']).toBe('45');
    expect(res.text).toBe('The quick brown fox jumps over the lazy dog.\n');
  });

  it('is iterable in blocks when middleware wraps it', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { path: '/app/file-wrapped' });
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.text).toBe('THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG.\n');
  });
});

describe('HEAD', () => {
  it('gets the head of what GET gets, without the body', async () => {
    const { port } = await wsgiServer();
    const { responses } = await raw(port, 'HEAD /app/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { methods: ['HEAD'] });
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.headers['content-length']).toBe('13');
    expect(responses[0]!.body.length).toBe(0);
  });
});

describe('keep-alive', () => {
  it('answers pipelined requests in order on one connection', async () => {
    const { port } = await wsgiServer();
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const { responses } = await raw(port, req('/app/sleep?ms=50') + req('/app/hello') + req('/app/async'), { responses: 3 });
    expect(responses.map((r) => r.text)).toEqual([expect.stringMatching(/^slept 50 ms in/), 'Hello world!\n', 'abc\n']);
  });
});
