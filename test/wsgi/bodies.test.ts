/**
 * Bodies both ways, over real sockets: uploads read with blocking read(n),
 * readline() and async iteration, a body that fails, 100 Continue, and a
 * 100 MiB response to a client that reads slowly, with bounded memory.
 */
import net from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { raw, request, sleep, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { logged, wsgiServer } from '../helpers/wsgi.js';
import { threadCount } from '../../components/wsgi/pool.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function chunked(body: Buffer, piece: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += piece) {
    const part = body.subarray(i, i + piece);
    parts.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

describe('request bodies', () => {
  it('are read with blocking read(n): never more than n, all of it, in order', async () => {
    const { port } = await wsgiServer();
    const body = randomBytes(300_000);
    const res = await request(port, { method: 'POST', path: '/app/read', body });
    const [total, reads, digest] = res.text.trim().split(' ');
    expect(Number(total)).toBe(body.length);
    expect(Number(reads)).toBe(300);
    expect(digest).toBe(sha(body));
  });

  it('are read whole with read(), then read as empty', async () => {
    const { port } = await wsgiServer();
    expect((await request(port, { method: 'POST', path: '/app/read-all', body: 'x'.repeat(70_000) })).text).toBe('70000 0\n');
    expect((await request(port, { method: 'POST', path: '/app/read-all' })).text).toBe('0 0\n');
  });

  it('arrive trickled and chunked, and are read all the same', async () => {
    const { port } = await wsgiServer();
    const body = randomBytes(5_000);
    const head = 'POST /app/read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    const { responses } = await raw(port, Buffer.concat([Buffer.from(head), chunked(body, 333)]), { pieces: 700, pause: 2, responses: 1 });
    expect(responses[0]!.text).toBe(`5000 5 ${sha(body)}\n`);
  });

  it('are read a line at a time: readline(), readline(size), readlines()', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { method: 'POST', path: '/app/lines', body: 'first\nsecond line\nthird\nlast without newline' });
    expect(JSON.parse(res.text)).toEqual({ first: 'first\n', limited: 'sec', rest: ['ond line\n', 'third\n', 'last without newline'] });
  });

  it('are iterable a line at a time', async () => {
    const { port } = await wsgiServer();
    const res = await request(port, { method: 'POST', path: '/app/iterate', body: 'a\nb\n\nc' });
    expect(JSON.parse(res.text)).toEqual(['a\n', 'b\n', '\n', 'c']);
  });

  it('are read with async iteration, without blocking the thread', async () => {
    const { port } = await wsgiServer();
    const body = randomBytes(1_000_000);
    const res = await request(port, { method: 'POST', path: '/app/async-input', body });
    expect(res.text).toBe(`1000000 ${sha(body)}\n`);
  });

  it('that fail while the application reads them keep their status: a chunked body over the limit is a 413', async () => {
    const { port, logs } = await wsgiServer({ limits: { body: 10_000 } });
    const head = 'POST /app/input-error HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    const { bytes } = await raw(port, Buffer.concat([Buffer.from(head), chunked(randomBytes(20_000), 4096)]));
    expect(bytes.toString()).toMatch(/^HTTP\/1\.1 413 /);
    await logged(logs, /input failed: 413/);
  });

  it('are asked for with 100 Continue only when the application reads', async () => {
    const { port } = await wsgiServer();
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    socket.write('POST /app/read-all HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
    await waitFor(() => Buffer.concat(received).toString().includes('100 Continue'));
    // Not end('hello'): a client that ends its side before the answer is taken for gone (test/half-close.test.ts).
    socket.write('hello');
    await once(socket, 'close');
    expect(Buffer.concat(received).toString()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK[\s\S]*5 0\n$/);
  });
});

describe('response bodies', () => {
  it('stream 100 MiB to a client that reads slowly, with bounded memory', async () => {
    const before = snapshot();
    const { server, port } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
    const progress = new BroadcastChannel('wsgi-test-progress');
    let produced = 0;
    progress.onmessage = (event) => void (produced = (event as { data: number }).data);
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let received = 0;
    socket.on('data', (chunk: Buffer) => void (received += chunk.length));
    socket.write('GET /app/big?mib=100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    // Read a little, then stop: the application must stop soon after.
    await waitFor(() => received > 2 * 1048576);
    socket.pause();
    await sleep(300);
    const stalledAt = produced;
    await sleep(300);
    expect(produced).toBe(stalledAt);
    // Loopback socket buffers can hold several MiB; the server itself holds at most the credit window.
    expect(produced - received).toBeLessThan(24 * 1048576);
    // Then a slow reader: a pause every so often, and it still all arrives.
    let pauses = 0;
    const slow = setInterval(() => {
      socket.pause();
      pauses++;
      setTimeout(() => socket.resume(), 5);
    }, 20);
    socket.resume();
    await once(socket, 'close');
    clearInterval(slow);
    progress.close();
    expect(received).toBeGreaterThan(100 * 1048576);
    expect(pauses).toBeGreaterThan(0);
    expect(server.poolStatus!.busy).toBe(0);
    await server.stop();
    await waitFor(() => threadCount() === 0);
    await expectNoLeaks(before);
  }, 60_000);
});
