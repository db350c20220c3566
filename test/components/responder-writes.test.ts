import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Responder } from '../../components/responder.js';
import { Sink } from '../../components/sink.js';
import { link } from '../../src/core/link.js';
import { respond } from '../../src/http/messages.js';
import { fakeRequest } from '../helpers/requests.js';
import { startServer, waitFor } from '../helpers/http.js';

/** The writes a Responder makes for one response, as the socket would get them. */
async function writesFor(body: AsyncIterable<string | Uint8Array> | Uint8Array, headers: Record<string, string> = {}): Promise<string[]> {
  const responder = new Responder();
  const writes: string[] = [];
  const sink = new Sink<string | Uint8Array>((bytes) => writes.push(Buffer.from(bytes).toString('latin1')));
  link(responder.outboxes.outbox, sink.inboxes.inbox);
  sink.start();
  responder.start();
  let sent = false;
  responder.outboxes.sent.subscribe(() => (sent = true));
  responder.inboxes.inbox.send(respond(fakeRequest('/'), { headers, body }));
  await waitFor(() => sent);
  await responder.shutdown();
  await sink.shutdown();
  return writes;
}

describe('Responder: how a byte body is written', () => {
  it('a small one goes out with its head in one write, byte for byte; a large one after the head', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x80, 0x0d, 0x0a, 0x41]);
    const writes = await writesFor(bytes, { 'X-Note': 'caf\u00e9' });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain('Content-Length: 6\r\n');
    expect(writes[0]).toContain('X-Note: caf\u00e9\r\n');
    expect(writes[0]!.endsWith(`\r\n\r\n${bytes.toString('latin1')}`)).toBe(true);
    const big = Buffer.alloc(20 * 1024, 'y');
    const two = await writesFor(big);
    expect(two).toHaveLength(2);
    expect(two[0]).toMatch(/\r\n\r\n$/);
    expect(two[1]).toBe(big.toString('latin1'));
  });
});

describe('Responder: how a streamed body is written', () => {
  it('sends the head with the first small chunk, and each small chunk with its framing, in one write', async () => {
    async function* twoChunks(): AsyncGenerator<string | Uint8Array> {
      yield 'hello ';
      yield Buffer.from('wörld');
    }
    const writes = await writesFor(twoChunks());
    expect(writes).toHaveLength(3);
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(writes[0]).toContain('Transfer-Encoding: chunked\r\n');
    expect(writes[0]!.endsWith('\r\n\r\n6\r\nhello \r\n')).toBe(true);
    expect(writes[1]).toBe(`6\r\n${Buffer.from('wörld').toString('latin1')}\r\n`);
    expect(writes[2]).toBe('0\r\n\r\n');
  });

  it('a stream with a Content-Length: the head and the first chunk in one write; an empty chunked stream: the head and the last chunk in one write', async () => {
    async function* one(): AsyncGenerator<string> {
      yield 'abc';
    }
    const writes = await writesFor(one(), { 'Content-Length': '3' });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain('Content-Length: 3\r\n');
    expect(writes[0]!.endsWith('\r\n\r\nabc')).toBe(true);
    async function* none(): AsyncGenerator<string> {}
    const empty = await writesFor(none());
    expect(empty).toHaveLength(1);
    expect(empty[0]!.endsWith('chunked\r\n\r\n0\r\n\r\n')).toBe(true);
  });

  it('a large chunk goes out after the head, unjoined', async () => {
    const big = Buffer.alloc(20 * 1024, 'x');
    async function* large(): AsyncGenerator<Uint8Array> {
      yield big;
    }
    const writes = await writesFor(large());
    expect(writes.map((w) => w.length)).toEqual([writes[0]!.length, `${big.length.toString(16)}\r\n`.length, big.length, 2, 5]);
    expect(writes[0]).toMatch(/\r\n\r\n$/);
  });

  it('a stream slow to give its first chunk: the client has the head before it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncGenerator<string> {
      await gate;
      yield 'late';
    }
    const { server, port } = await startServer({ routes: [{ path: '/', handler: () => ({ body: slow() }) }] });
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await waitFor(() => received.includes('\r\n\r\n'));
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n$/);
    release();
    await new Promise((resolve) => socket.on('close', resolve));
    expect(received).toMatch(/\r\n\r\n4\r\nlate\r\n0\r\n\r\n$/);
    await server.stop(200);
  });
});
