import { describe, expect, it } from 'vitest';
import { raw, startServer } from '../helpers/http.js';

describe('HttpParser: a response that closes the connection', () => {
  it('does not wait for answers to the requests pipelined behind it', async () => {
    const { port } = await startServer({
      routes: [
        { path: '/a', handler: () => ({ body: 'a', close: true }) },
        { path: '/b', handler: () => ({ body: 'b' }) },
      ],
    });
    const started = Date.now();
    const reply = await raw(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n', { timeout: 2_000 });
    expect(reply.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(reply.responses.map((r) => r.text)).toEqual(['a']);
  });
});
