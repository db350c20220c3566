/** The WebSocket examples (examples/websocket.ts, docs/websocket.md), over real sockets. */
import { describe, expect, it } from 'vitest';
import { Ticker, echo } from '../../examples/websocket.js';
import { startServer } from '../helpers/http.js';
import { RawClient, binary, closeOf, handshake, text } from '../helpers/websocket.js';

describe('the WebSocket examples', () => {
  it('echo: text stays text, binary stays binary', async () => {
    const { port } = await startServer({ routes: [{ path: '/echo', websocket: echo }] });
    const client = await RawClient.open(port, handshake('/echo'));
    client.send(text('hi'), binary(Buffer.from([7])));
    expect([(await client.frame(1)).opcode, (await client.frame(2)).opcode]).toEqual([1, 2]);
    client.destroy();
  });

  it('the ticker names its subprotocol, ticks, and closes with 4000', async () => {
    const { port } = await startServer({ routes: [{ path: '/ticks', websocket: () => new Ticker(3, 20), protocols: ['ticks.v1'] }] });
    const client = await RawClient.open(port, handshake('/ticks', { 'Sec-WebSocket-Protocol': 'ticks.v1' }));
    expect(client.head).toContain('Sec-WebSocket-Protocol: ticks.v1');
    const close = await client.frame(4);
    expect(client.frames.slice(0, 3).map((f) => f.payload.toString())).toEqual(['ticks.v1 1', 'ticks.v1 2', 'ticks.v1 3']);
    expect(closeOf(close)).toEqual({ code: 4000, reason: 'that is all' });
    client.destroy();
  });
});
