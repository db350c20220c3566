import { describe, expect, it } from 'vitest';
import { respond, type HttpRequest } from '../../src/http/messages.js';
import { raw, startServer } from '../helpers/http.js';
import { snapshot, expectNoLeaks } from '../helpers/leaks.js';

/** A response whose body is the whole message (what an nph- CGI script writes). */
function rawResponse(request: HttpRequest, body: string | AsyncIterable<string>) {
  return { ...respond(request, { status: 202, body }), raw: true };
}

async function* pieces(): AsyncGenerator<string> {
  yield 'HTTP/1.1 202 Accepted\r\n';
  yield 'X-Hand-Made: yes\r\n\r\n';
  yield 'made by hand';
}

describe('Responder: raw responses', () => {
  it('writes a raw body as it is, with no head of its own, and closes the connection', async () => {
    const before = snapshot();
    const { server, port, logs } = await startServer({
      routes: [
        { path: '/stream', handler: (request) => rawResponse(request, pieces()) },
        { path: '/string', handler: (request) => rawResponse(request, 'HTTP/1.0 202 Accepted\r\n\r\nplain') },
        { path: '/next', handler: () => ({ body: 'never sent' }) },
      ],
    });
    // Keep-alive, with a second request pipelined: the connection still ends after the raw response.
    const streamed = await raw(port, 'GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(streamed.bytes.toString()).toBe('HTTP/1.1 202 Accepted\r\nX-Hand-Made: yes\r\n\r\nmade by hand');
    expect(streamed.closed).toBe(true);
    const string = await raw(port, 'GET /string HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(string.bytes.toString()).toBe('HTTP/1.0 202 Accepted\r\n\r\nplain');
    expect(string.closed).toBe(true);
    // The access log has the status and the bytes.
    expect(logs.requests.map((r) => r.message).join('\n')).toMatch(/"GET \/stream HTTP\/1.1" 202 \d+/);
    expect(logs.requests.some((r) => r.message.includes('/next'))).toBe(false);
    await server.stop(200);
    await expectNoLeaks(before);
  });

  it("writes a raw body for HEAD too: the message is the handler's to get right", async () => {
    const { port } = await startServer({
      routes: [{ path: '/', handler: (request) => rawResponse(request, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') }],
    });
    const reply = await raw(port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(reply.bytes.toString()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
});
