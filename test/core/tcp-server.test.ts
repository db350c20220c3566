import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { box } from '../../src/core/box.js';
import { Component, boxes } from '../../src/core/component.js';
import { Sink } from '../../components/sink.js';
import { link } from '../../src/core/link.js';
import { gracefulShutdown, type Lifecycle } from '../../src/core/signals.js';
import { TcpServer, pause, resume, type FlowControl, type ServerEvent, type Writable } from '../../components/tcp-server/index.js';
import { upperServer, lineSplitter } from '../../examples/upper-server.js';
import { Pipeline } from '../../src/core/graph.js';
import { map } from '../../components/transform.js';
import { snapshot, expectNoLeaks } from '../helpers/leaks.js';

async function listening(server: TcpServer): Promise<number> {
  const events = new Sink<ServerEvent>().start();
  link(server.outboxes.events, events.inboxes.inbox);
  server.start();
  for (let i = 0; i < 200 && server.addresses.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  void events.shutdown();
  return server.addresses[0]!.port;
}

function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  return once(socket, 'connect').then(() => socket);
}

async function waitFor(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function readAll(socket: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return once(socket, 'close').then(() => Buffer.concat(chunks).toString());
}

describe('TcpServer', () => {
  it('runs the line server of docs/composing.md: one pipeline per connection', async () => {
    const before = snapshot();
    const server = upperServer(0);
    const port = await listening(server);
    const [a, b] = await Promise.all([connect(port), connect(port)]);
    const replyA = readAll(a);
    const replyB = readAll(b);
    a.write('hello\nwor');
    b.write('second client\n');
    a.end('ld\nno newline');
    b.end();
    expect(await replyA).toBe('HELLO\nWORLD\nNO NEWLINE\n');
    expect(await replyB).toBe('SECOND CLIENT\n');
    await server.shutdown();
    await expectNoLeaks(before);
  });

  it('pauses reading when its consumer is behind: a flooding peer costs a bounded buffer', async () => {
    const before = snapshot();
    const limit = 256 * 1024;
    let held = 0;
    let maxHeld = 0;
    let total = 0;
    const slowBoxes = boxes({
      inboxes: { inbox: box<Buffer>('bytes') },
      outboxes: { outbox: box<string>('a final count'), flow: box<FlowControl>('pause and resume') },
    });
    class SlowConsumer extends Component<typeof slowBoxes> {
      paused = false;
      constructor() {
        super(slowBoxes);
      }
      protected main(): void {
        this.on('inbox', (chunk) => {
          held += chunk.length;
          total += chunk.length;
          maxHeld = Math.max(maxHeld, held);
          if (held > limit && !this.paused) {
            this.paused = true;
            this.send('flow', pause);
            // Work off the backlog slowly, then ask for more.
            this.timer(20, () => {
              held = 0;
              this.paused = false;
              this.send('flow', resume);
            });
          }
        });
      }
      protected override onControl(message: Lifecycle): void {
        if (message.type === 'producerFinished') {
          this.send('outbox', `${total}`);
          this.finish();
          return;
        }
        super.onControl(message);
      }
    }
    const server = new TcpServer({ interfaces: [{ host: '127.0.0.1', port: 0 }], protocol: () => new SlowConsumer() });
    const port = await listening(server);
    const client = await connect(port);
    const reply = readAll(client);
    const size = 16 * 1024 * 1024;
    const block = Buffer.alloc(64 * 1024, 7);
    let backedUp = false;
    for (let sent = 0; sent < size; sent += block.length) {
      if (!client.write(block)) {
        backedUp = true;
        await once(client, 'drain');
      }
    }
    client.end();
    expect(await reply).toBe(String(size));
    expect(backedUp).toBe(true);
    // The consumer never held more than its limit plus one read's worth.
    expect(maxHeld).toBeLessThan(limit + 128 * 1024);
    await server.shutdown();
    await expectNoLeaks(before);
  });

  it('tells producers when the socket is full, and cuts off a peer that stops reading', async () => {
    const before = snapshot();
    const seen: boolean[] = [];
    let written = 0;
    const pushBoxes = boxes({
      inboxes: { inbox: box<Buffer>('bytes'), writable: box<Writable>('room to write') },
      outboxes: { outbox: box<Uint8Array>('bytes to write') },
    });
    class Pusher extends Component<typeof pushBoxes> {
      constructor() {
        super(pushBoxes);
      }
      protected main(): void {
        const block = Buffer.alloc(64 * 1024);
        let room = true;
        this.on('writable', (w) => {
          seen.push(w.writable);
          room = w.writable;
        });
        // A well-behaved producer writes while there is room, one block per turn, and then waits.
        this.task(async () => {
          for (let i = 0; i < 4096 && room; i++) {
            this.send('outbox', block);
            written += block.length;
            await new Promise((r) => setImmediate(r));
          }
        });
      }
    }
    const server = new TcpServer({
      interfaces: [{ host: '127.0.0.1', port: 0 }],
      protocol: () => new Pusher(),
      writeTimeout: 200,
    });
    const events = new Sink<ServerEvent>().start();
    link(server.outboxes.events, events.inboxes.inbox);
    const port = await listening(server);
    const client = await connect(port);
    client.pause();
    // The client reads nothing (so it cannot notice being cut off): watch the server's side.
    await waitFor(() => events.received.some((e) => e.type === 'disconnection'));
    client.destroy();
    await events.shutdown();
    expect(seen[0]).toBe(false);
    // 256 MiB on offer; what went out is what the kernel's buffers on both ends hold (a few MiB, autotuned).
    expect(written).toBeLessThan(16 * 1024 * 1024);
    await server.shutdown();
    await expectNoLeaks(before);
  });

  it('graceful shutdown stops accepting, lets connections finish, then ends', async () => {
    const before = snapshot();
    const server = upperServer(0);
    const port = await listening(server);
    const client = await connect(port);
    const reply = readAll(client);
    client.write('in flight\n');
    await new Promise((r) => setTimeout(r, 20));
    server.inboxes.control.send(gracefulShutdown);
    await new Promise((r) => setTimeout(r, 20));
    const refused = net.connect(port, '127.0.0.1');
    const [error] = await once(refused, 'error');
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(await reply).toBe('IN FLIGHT\n');
    expect(await server.done).toEqual({ reason: 'finished' });
    await expectNoLeaks(before);
  });

  it('counts connections closing in any order, and a graceful shutdown reaches every one still open', async () => {
    const before = snapshot();
    const server = upperServer(0);
    const port = await listening(server);
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(port)));
    await waitFor(() => server.connectionCount === 5);
    // The middle one, the newest, then the oldest: the rest stay counted.
    for (const i of [2, 4, 0]) {
      clients[i]!.end();
      await readAll(clients[i]!);
    }
    await waitFor(() => server.connectionCount === 2);
    const replies = [1, 3].map((i) => readAll(clients[i]!));
    for (const i of [1, 3]) clients[i]!.write(`client ${i}\n`);
    await new Promise((r) => setTimeout(r, 20));
    server.inboxes.control.send(gracefulShutdown);
    // Each remaining connection hears the shutdown: it finishes what it read and closes, though its client never ends.
    expect(await Promise.all(replies)).toEqual(['CLIENT 1\n', 'CLIENT 3\n']);
    expect(await server.done).toEqual({ reason: 'finished' });
    expect(server.connectionCount).toBe(0);
    await expectNoLeaks(before);
  });

  it('refuses connections beyond its cap and serves the rest', async () => {
    const before = snapshot();
    const server = new TcpServer({
      interfaces: [{ host: '127.0.0.1', port: 0 }],
      protocol: () => upperServer(0).options.protocol({} as never),
      maxConnections: 1,
      refusal: 'busy\n',
    });
    const port = await listening(server);
    const first = await connect(port);
    const firstReply = readAll(first);
    await new Promise((r) => setTimeout(r, 20));
    const second = await connect(port);
    expect(await readAll(second)).toBe('busy\n');
    first.end('ok\n');
    expect(await firstReply).toBe('OK\n');
    await server.shutdown();
    await expectNoLeaks(before);
  });

  it('a protocol that throws closes only its own connection', async () => {
    const before = snapshot();
    const server = new TcpServer({
      interfaces: [{ host: '127.0.0.1', port: 0 }],
      protocol: () =>
        new Pipeline(
          lineSplitter(),
          map((line: string) => {
            if (line === 'boom') throw new Error('this protocol cannot take it');
            return `ok ${line}\n`;
          }),
        ),
    });
    const port = await listening(server);
    const good = await connect(port);
    const goodReply = readAll(good);
    const bad = await connect(port);
    const badReply = readAll(bad);
    bad.write('first\nboom\nnever\n');
    expect(await badReply).toBe('ok first\n');
    good.end('fine\n');
    expect(await goodReply).toBe('ok fine\n');
    await server.shutdown();
    await expectNoLeaks(before);
  });

  it('reports a port it cannot bind as a failure', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as net.AddressInfo).port;
    const server = new TcpServer({ interfaces: [{ host: '127.0.0.1', port }], protocol: () => new Sink() });
    server.start();
    const ended = await server.done;
    expect(ended.reason).toBe('failed');
    expect(String((ended as { error: Error }).error)).toMatch(/cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    blocker.close();
  });
});
