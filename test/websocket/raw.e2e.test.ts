/**
 * WebSocket over raw sockets, byte for byte: the handshake's refusals, bytes
 * that come with the handshake, every kind of bad input and the close code
 * it gets (the server serving on), the Autobahn-style edge cases, the timers,
 * and backpressure both ways.
 */
import zlib from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { requestStage } from '../../components/request-stage.js';
import { raw, request, startServer, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { RawClient, binary, clientFrame, close, closeOf, continuation, handshake, ping, sampleAccept, text } from '../helpers/websocket.js';
import { Obedient, Streamer, counted, countingEcho, echo, heard } from './apps.js';

const routes = [
  { path: '/hello', handler: () => ({ body: 'hello' }) },
  { path: '/ws', websocket: echo, allowedOrigins: ['https://allowed.example'] as const },
  { path: '/small', websocket: echo, websocketOptions: { maxMessage: 1024, maxFrame: 512 } },
  { path: '/obey', websocket: () => new Obedient(), websocketOptions: { closeTimeout: 200, maxBuffered: 1024 * 1024 } },
  { path: '/timed', websocket: echo, websocketOptions: { pingInterval: 100, pongTimeout: 200 } },
  { path: '/count', websocket: countingEcho },
  { path: '/stream', websocket: () => new Streamer() },
  { path: '/chat', websocket: echo, protocols: ['v2.chat', 'v1.chat'] },
];

beforeEach(() => {
  heard.length = 0;
  counted.messages = 0;
});

async function served(port: number): Promise<void> {
  // Another client, on a fresh connection, is echoed as ever.
  const other = await RawClient.open(port);
  other.send(text('still serving'));
  expect((await other.frame(1)).payload.toString()).toBe('still serving');
  other.destroy();
}

describe('the handshake, over a socket', () => {
  it('switches with a 101 that names websocket and the accept key, and echoes', async () => {
    const { port, logs } = await startServer({ routes });
    const client = await RawClient.open(port);
    expect(client.status).toBe(101);
    expect(client.head).toMatch(/\r\nUpgrade: websocket\r\n/i);
    expect(client.head).toMatch(/\r\nConnection: Upgrade(\r\n|$)/i);
    expect(client.head).toContain(`Sec-WebSocket-Accept: ${sampleAccept}`);
    client.send(text('hi'), binary(Buffer.from([1, 2, 3])));
    expect(await client.frame(1)).toMatchObject({ fin: true, rsv: 0, opcode: 1, masked: false });
    expect((await client.frame(1)).payload.toString()).toBe('hi');
    expect([...(await client.frame(2)).payload]).toEqual([1, 2, 3]);
    client.destroy();
    await waitFor(() => logs.requests.some((r) => / 101 /.test(r.message)));
  });

  it('reads frames that came in the same packet as the handshake', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port, handshake(), Buffer.concat([text('early'), text('bird')]));
    expect((await client.frame(2)).payload.toString()).toBe('bird');
    expect((await client.frame(1)).payload.toString()).toBe('early');
    client.destroy();
  });

  it('answers the requests pipelined before the handshake first, in order', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port, `GET /hello HTTP/1.1\r\nHost: x\r\n\r\n${handshake()}`);
    expect(client.status).toBe(200);
    client.destroy();
    const result = await raw(port, `GET /hello HTTP/1.1\r\nHost: x\r\n\r\n${handshake()}`, { responses: 2, timeout: 2000 });
    expect(result.responses.map((r) => r.status)).toEqual([200, 101]);
  });

  const refusals: [string, string, number, RegExp?][] = [
    ['a plain GET: 426, naming websocket', 'GET /ws HTTP/1.1\r\nHost: x\r\n\r\n', 426, /\r\nUpgrade: websocket\r\n/],
    [
      'version 8: 426 with the version spoken',
      handshake('/ws', { 'Sec-WebSocket-Version': '8' }),
      426,
      /\r\nSec-WebSocket-Version: 13\r\n/,
    ],
    ['a bad key: 400', handshake('/ws', { 'Sec-WebSocket-Key': 'short' }), 400],
    ['an origin not allowed: 403', handshake('/ws', { Origin: 'https://evil.example' }), 403],
    ['a POST: 405', handshake('/ws').replace('GET', 'POST'), 405, /\r\nAllow: GET, HEAD, OPTIONS\r\n/],
  ];
  for (const [name, bytes, status, field] of refusals) {
    it(`refuses ${name}, as an ordinary response with its page, and keeps the connection for HTTP`, async () => {
      const { port, logs } = await startServer({ routes });
      const result = await raw(port, `${bytes}GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 2, timeout: 2000 });
      const [refused, next] = result.responses;
      expect(refused!.status).toBe(status);
      expect(refused!.headers['content-type']).toMatch(/text\/html/);
      if (field) expect(result.bytes.toString('latin1')).toMatch(field);
      expect(next!.text).toBe('hello');
      await waitFor(() => logs.errors.some((r) => r.message.startsWith(`${status} `)));
    });
  }

  it("lets an allowed origin in, and picks the route's best subprotocol", async () => {
    const { port } = await startServer({ routes });
    expect((await RawClient.open(port, handshake('/ws', { Origin: 'https://allowed.example' }))).status).toBe(101);
    const chat = await RawClient.open(port, handshake('/chat', { 'Sec-WebSocket-Protocol': 'v1.chat, v2.chat' }));
    expect(chat.head).toContain('Sec-WebSocket-Protocol: v2.chat');
  });

  it("switches behind the server's stages: a request stage that lets it through, compression after the router", async () => {
    const seen: string[] = [];
    const { port } = await startServer({
      routes,
      compress: true,
      before: [() => requestStage((request) => (seen.push(request.path), request))],
    });
    const client = await RawClient.open(port, handshake('/ws', { 'Accept-Encoding': 'gzip' }));
    expect(client.status).toBe(101);
    client.send(text('through'));
    expect((await client.frame(1)).payload.toString()).toBe('through');
    expect(seen).toEqual(['/ws']);
    client.destroy();
  });

  it('answers an Upgrade to a route without websocket as an ordinary request, and reads on', async () => {
    const { port } = await startServer({ routes });
    const result = await raw(port, `${handshake('/hello')}GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`, { responses: 2, timeout: 2000 });
    expect(result.responses.map((r) => [r.status, r.text])).toEqual([
      [200, 'hello'],
      [200, 'hello'],
    ]);
  });
});

describe('bad input gets its close code, and the server serves on', () => {
  const cases: [string, Buffer[], number, string?][] = [
    ['an unmasked client frame', [clientFrame({ opcode: 1, payload: 'x', unmasked: true })], 1002],
    ['a reserved opcode', [clientFrame({ opcode: 3, payload: 'x' })], 1002],
    ['a reserved control opcode', [clientFrame({ opcode: 0xb })], 1002],
    ['RSV bits with no extension', [clientFrame({ opcode: 1, payload: 'x', rsv: 4 })], 1002],
    ['invalid UTF-8', [text(Buffer.from([0x68, 0xc3, 0x28]))], 1007],
    ['invalid UTF-8 in the first fragment (found without the rest)', [text(Buffer.from([0xf8, 0x88]), false)], 1007],
    ['a frame over the frame limit', [binary(Buffer.alloc(513))], 1009, '/small'],
    [
      'a message over the message limit, in fragments',
      [binary(Buffer.alloc(500), false), continuation(Buffer.alloc(500), false), continuation(Buffer.alloc(100))],
      1009,
      '/small',
    ],
    ['a close with a reserved code (1005)', [close(1005)], 1002],
    ['a close with code 999', [close(999)], 1002],
    ['a close with a one-byte payload', [clientFrame({ opcode: 8, payload: Buffer.from([3]) })], 1002],
    ['a close with a reason that is not UTF-8', [clientFrame({ opcode: 8, payload: Buffer.from([3, 232, 0xc0]) })], 1007],
    ['a control frame over 125 bytes', [clientFrame({ opcode: 9, payload: Buffer.alloc(126) })], 1002],
    ['a fragmented control frame', [clientFrame({ opcode: 9, payload: 'p', fin: false })], 1002],
    ['a continuation with no message begun', [continuation('x')], 1002],
    ['text after unfinished text', [text('a', false), text('b')], 1002],
    ['binary after unfinished binary', [binary(Buffer.from([1]), false), binary(Buffer.from([2]))], 1002],
  ];
  for (const [name, frames, code, path] of cases) {
    it(`${name}: ${code}`, async () => {
      const { port, logs } = await startServer({ routes });
      const client = await RawClient.open(port, handshake(path ?? '/ws'));
      client.send(...frames);
      await client.closedByServer();
      const last = client.frames.at(-1)!;
      expect(last.opcode).toBe(8);
      expect(closeOf(last).code).toBe(code);
      expect(logs.errors.some((r) => r.message.includes(`closing with ${code}`))).toBe(true);
      await served(port);
    });
  }

  it('a deflate bomb gets 1009 without being inflated into memory', async () => {
    const { port } = await startServer({ routes });
    // 256 MiB of zeros in about 256 KiB: a message that would inflate far past the 1 KiB limit.
    const bomb = zlib.deflateRawSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
    const client = await RawClient.open(port, handshake('/small', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
    expect(client.head).toContain('Sec-WebSocket-Extensions: permessage-deflate');
    const before = process.memoryUsage().rss;
    // In frames under the 512-byte frame limit: the message's compressed size is what the message limit sees first... so send it small.
    client.send(clientFrame({ opcode: 2, rsv: 4, payload: bomb.subarray(0, 400) }));
    await client.closedByServer();
    expect(closeOf(client.frames.at(-1)!).code).toBe(1009);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    await served(port);
  });

  it('data that will not inflate gets 1007', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port, handshake('/ws', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
    client.send(clientFrame({ opcode: 1, rsv: 4, payload: Buffer.from([0xff, 0xff, 0xff, 0xff]) }));
    await client.closedByServer();
    expect(closeOf(client.frames.at(-1)!).code).toBe(1007);
    await served(port);
  });
});

describe('the Autobahn-style edge cases that are not errors', () => {
  it('answers a ping with a pong of the same payload, also between fragments', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port);
    client.send(ping('first'), text('frag', false), ping('between'), continuation('ment'), ping('m'.repeat(125)));
    const frames = [await client.frame(1), await client.frame(2), await client.frame(3), await client.frame(4)];
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [10, 'first'],
      [10, 'between'],
      [1, 'fragment'],
      [10, 'm'.repeat(125)],
    ]);
    client.destroy();
  });

  it('takes a message fed a byte at a time', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port);
    const bytes = Buffer.concat([text('slow', false), ping('p'), continuation(' and steady')]);
    for (const byte of bytes) {
      client.send(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect((await client.frame(2)).payload.toString()).toBe('slow and steady');
    client.destroy();
  });

  it('answers a close with no code with an empty close, then closes the TCP connection', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port);
    client.send(close());
    await client.closedByServer();
    expect(client.frames.map((f) => [f.opcode, f.payload.length])).toEqual([[8, 0]]);
  });

  it('echoes the code of a close, and sends nothing after it', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port);
    client.send(close(3000, 'bye'), text('too late'));
    await client.closedByServer();
    expect(client.frames.map((f) => [f.opcode, closeOf(f).code])).toEqual([[8, 3000]]);
  });

  it('takes empty messages and empty fragments', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port);
    client.send(text(''), binary(Buffer.alloc(0)), text('', false), continuation('', false), continuation(''));
    await client.frame(3);
    expect(client.frames.map((f) => [f.opcode, f.payload.length])).toEqual([
      [1, 0],
      [2, 0],
      [1, 0],
    ]);
    client.destroy();
  });
});

describe('timers', () => {
  it('pings an idle client and drops it when nothing comes back', async () => {
    const { port, logs, server } = await startServer({ routes });
    const client = await RawClient.open(port, handshake('/timed'));
    const started = Date.now();
    await client.closedByServer(3000);
    expect(client.frames.map((f) => f.opcode)).toEqual([9]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(logs.monitor.some((r) => /no answer to a ping/.test(r.message))).toBe(true);
    await waitFor(() => server.tcp.connectionCount === 0);
  });

  it('keeps a client that answers', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port, handshake('/timed'));
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 120));
      client.send(clientFrame({ opcode: 10 }));
    }
    expect(client.closed).toBe(false);
    client.send(text('alive'));
    await client.until(() => client.frames.some((f) => f.opcode === 1));
    client.destroy();
  });

  it('closes the TCP connection when the client does not answer our close', async () => {
    const { port, logs } = await startServer({ routes });
    const client = await RawClient.open(port, handshake('/obey'));
    client.send(text('close 4000 go'));
    await client.closedByServer(3000);
    expect(closeOf(client.frames.at(-1)!)).toEqual({ code: 4000, reason: 'go' });
    expect(logs.monitor.some((r) => /no close from the client/.test(r.message))).toBe(true);
  });

  it('closes with 1001 when the server stops, and the stop waits for the close handshake', async () => {
    const { port, server } = await startServer({ routes });
    const client = await RawClient.open(port);
    const stopped = server.stop(5000);
    const frame = await client.frame(1);
    expect(closeOf(frame).code).toBe(1001);
    client.send(close(1001));
    const started = Date.now();
    await stopped;
    expect(Date.now() - started).toBeLessThan(2000);
    await client.closedByServer();
  });
});

describe('backpressure', () => {
  it('tells a component to wait while the client does not read, and it loses nothing', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port, handshake('/stream'));
    client.socket.pause();
    client.send(text('stream 300'));
    await waitFor(() => heard.includes('streamer waits'));
    await new Promise((r) => setTimeout(r, 200));
    client.socket.resume();
    await client.until(() => client.frames.length >= 300, 15_000);
    const frames = client.frames;
    expect(frames.every((f, i) => f.payload.length === 65536 && f.payload[0] === (i & 0xff))).toBe(true);
    client.destroy();
  });

  it('cuts off a client that does not read when the component will not wait', async () => {
    const { port, logs, server } = await startServer({ routes });
    const client = await RawClient.open(port, handshake('/obey'));
    client.socket.pause();
    client.send(text('flood 400'));
    await waitFor(() => logs.errors.some((r) => /the client is not reading/.test(r.message)));
    await waitFor(() => server.tcp.connectionCount === 0);
    client.destroy();
  });

  it('stops reading from a client that floods and does not read the echoes, and goes on when it does', async () => {
    const { port } = await startServer({ routes });
    const client = await RawClient.open(port, handshake('/count'));
    client.socket.pause();
    const message = text(Buffer.alloc(16 * 1024, 'f'));
    const total = 2048; // 32 MiB
    for (let i = 0; i < total; i++) client.socket.write(message);
    await new Promise((r) => setTimeout(r, 500));
    // The echoes fill the socket both ways: the server stops reading long before it has it all.
    expect(counted.messages).toBeLessThan(total / 2);
    client.socket.resume();
    await client.until(() => client.frames.length >= total, 20_000);
    expect(counted.messages).toBe(total);
    client.destroy();
  }, 30_000);
});

describe('resources', () => {
  it('leaves nothing behind when a client vanishes mid-frame', async () => {
    const { port, server } = await startServer({ routes });
    await served(port);
    await waitFor(() => server.tcp.connectionCount === 0);
    const before = snapshot();
    const client = await RawClient.open(port, handshake('/timed'));
    client.send(text('half a frame').subarray(0, 8));
    await new Promise((r) => setTimeout(r, 20));
    client.destroy();
    await waitFor(() => server.tcp.connectionCount === 0);
    await expectNoLeaks(before);
  });

  it('leaves nothing behind after the close handshake, compressed or not', async () => {
    const { port, server } = await startServer({ routes });
    await served(port);
    await waitFor(() => server.tcp.connectionCount === 0);
    const before = snapshot();
    for (const extensions of ['', 'permessage-deflate']) {
      const client = await RawClient.open(port, handshake('/ws', { 'Sec-WebSocket-Extensions': extensions }));
      const payload = zlib.deflateRawSync(Buffer.alloc(5000, 'z'), { flush: zlib.constants.Z_SYNC_FLUSH });
      if (extensions) client.send(clientFrame({ opcode: 1, rsv: 4, payload: payload.subarray(0, payload.length - 4) }));
      else client.send(text('z'.repeat(5000)));
      await client.frame(1);
      client.send(close(1000));
      await client.closedByServer();
    }
    await waitFor(() => server.tcp.connectionCount === 0);
    await expectNoLeaks(before);
    expect((await request(port, { path: '/hello' })).text).toBe('hello');
  });
});
