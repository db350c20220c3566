/**
 * The upgraded connection's graph as components, with no socket: bytes
 * pushed into its inbox, frames and lifecycle read from its outboxes, the
 * socket's `writable` played by the test.
 */
import { describe, expect, it } from 'vitest';
import type { Box } from '../../src/core/box.js';
import type { Component } from '../../src/core/component.js';
import { gracefulShutdown, type Lifecycle } from '../../src/core/signals.js';
import type { FlowControl } from '../../components/tcp-server/connection.js';
import { websocketConnection } from '../../components/websocket/connection.js';
import { resolveWebSocketOptions, resolveWebSocketRoute } from '../../components/websocket/options.js';
import { RouteTable } from '../../components/request-router.js';
import { fakeRequest } from '../helpers/requests.js';
import { close, closeOf, serverFrames, text } from '../helpers/websocket.js';
import { Obedient, echo, heard } from './apps.js';

function graphOf(app: Component<any> = new Obedient(), options = {}) {
  heard.length = 0;
  const session = { request: fakeRequest('/ws'), protocol: undefined, deflate: undefined };
  const graph = websocketConnection(app, session, resolveWebSocketOptions({ pingInterval: 0, ...options }));
  const out: Buffer[] = [];
  const signals: Lifecycle[] = [];
  const flow: string[] = [];
  const boxes = graph.outboxes as Record<string, Box<unknown>>;
  boxes.outbox!.subscribe((bytes) => out.push(Buffer.from(bytes as Uint8Array)));
  boxes.signal!.subscribe((message) => signals.push(message as Lifecycle));
  boxes.flow!.subscribe((message) => flow.push((message as FlowControl).type));
  graph.start();
  const inboxes = graph.inboxes as Record<string, Box<unknown>>;
  return {
    graph,
    send: (...frames: Buffer[]) => inboxes.inbox!.send(Buffer.concat(frames)),
    writable: (writable: boolean) => inboxes.writable!.send({ type: 'writable', writable }),
    control: (message: Lifecycle) => inboxes.control!.send(message),
    frames: () => serverFrames(Buffer.concat(out)).frames,
    signals,
    flow,
  };
}

describe('the WebSocket graph', () => {
  it("tells the component open, gives it messages, and on the client's close answers, ends, and tells it so, in that order", async () => {
    const g = graphOf();
    g.send(text('one'), text('two'), close(1000, 'bye'));
    await g.graph.done;
    expect(g.frames().map((f) => [f.opcode, f.opcode === 8 ? closeOf(f).code : f.payload.toString()])).toEqual([
      [1, 'one'],
      [1, 'two'],
      [8, 1000],
    ]);
    expect(heard).toEqual(['open /ws - -', 'close 1000 clean', 'producerFinished']);
    expect(g.signals.map((s) => s.type)).toEqual(['producerFinished']);
  });

  it('pauses reading while the socket is full, tells the component to wait, and resumes', () => {
    const g = graphOf();
    g.writable(false);
    g.writable(true);
    expect(g.flow).toEqual(['pause', 'resume']);
    expect(heard).toEqual(['open /ws - -', 'writable false', 'writable true']);
    g.graph.askToStop();
  });

  it('closes with 1011 and ends the connection when the component fails', async () => {
    const g = graphOf();
    g.send(text('throw'));
    await g.graph.done;
    const last = g.frames().at(-1)!;
    expect([last.opcode, closeOf(last).code]).toEqual([8, 1011]);
    expect(g.signals.map((s) => s.type)).toEqual(['producerFinished']);
  });

  it('closes with 1001 when the server stops gracefully, and ends once the client answers', async () => {
    const g = graphOf(echo());
    g.control(gracefulShutdown);
    expect(closeOf(g.frames().at(-1)!).code).toBe(1001);
    expect(g.graph.state).toBe('running');
    g.send(text('late, but read'), close(1001));
    await g.graph.done;
    expect(g.signals.map((s) => s.type)).toEqual(['producerFinished']);
  });

  it('ends at once, with no close frame, when the socket is lost', async () => {
    const g = graphOf();
    g.control({ type: 'shutdown' });
    await g.graph.done;
    expect(heard).toContain('close 1006 unclean');
  });
});

describe('WebSocket route options', () => {
  it.each([
    [{ websocketOptions: { maxMessage: 0 } }, /maxMessage/],
    [{ websocketOptions: { maxFrame: 10 } }, /maxFrame/],
    [{ websocketOptions: { speed: 1 } }, /unknown option .*speed/],
    [{ websocketOptions: { deflate: { level: 10 } } }, /deflate.level/],
    [{ websocketOptions: { deflate: { serverMaxWindowBits: 8 } } }, /serverMaxWindowBits/],
    [{ websocketOptions: { deflate: 'yes' } }, /deflate/],
    [{ allowedOrigins: 'somewhere' }, /allowedOrigins/],
    [{ allowedOrigins: ['example.com'] }, /allowedOrigins/],
    [{ protocols: ['a b'] }, /protocols/],
  ])('refuses %j when the routes are made', (fields, message) => {
    expect(() => new RouteTable([{ path: '/ws', websocket: echo, ...(fields as object) }])).toThrow(TypeError);
    expect(() => resolveWebSocketRoute({ websocket: echo, ...(fields as object) }, 'route /ws')).toThrow(message);
  });

  it('refuses a route with websocket and a handler', () => {
    expect(() => new RouteTable([{ path: '/ws', websocket: echo, handler: () => ({}) }])).toThrow(/exactly one/);
  });

  it('fills in the defaults', () => {
    const { options, handshake } = resolveWebSocketRoute({ websocket: echo }, 'route /ws');
    expect(options).toMatchObject({ maxMessage: 16 * 1024 * 1024, maxFrame: 16 * 1024 * 1024, pingInterval: 30_000, closeTimeout: 5_000 });
    expect(handshake.origins).toBe('same-origin');
    expect(handshake.deflate).toMatchObject({ serverMaxWindowBits: 15, threshold: 1024 });
  });
});
