/**
 * An upgraded connection's graph: what the HTTP graph hands the socket to
 * once its 101 has gone (see the parser's `handover`):
 *
 *   bytes -> decoder -> app -> encoder -> bytes
 *              |  \______events, signal_____^ (app.control)
 *              \________ peer _______________^ (encoder.peer: pongs, close answers)
 *
 * `app` is the user's component, made by the route's factory for this
 * client. Its boxes:
 * - `inbox`: the client's messages, whole: text as strings, binary as Buffers;
 * - `control`: `{ type: 'open' }` first, `{ type: 'close', code, reason, clean }`
 *   when the connection ends, then the usual lifecycle (producerFinished);
 * - `outbox`: what to send: strings (text), Uint8Arrays (binary), or
 *   `{ type: 'close', code?, reason? }`; finishing closes with 1000;
 * - `writable` (optional inbox): `{ writable: false }` while it should wait
 *   (the client is not reading), `true` when it may send again;
 * - `flow` (optional outbox): `pause`/`resume` to stop and start reading the
 *   client's messages (for a component whose work is slower than the wire);
 * - `log` (optional outbox): log records, to the server's log.
 *
 * The graph's `signal` is the encoder's: the connection ends when the
 * encoder does, whichever way the close went.
 */
import type { Component } from '../../src/core/component.js';
import { Graphline, type LinkSpec } from '../../src/core/graph.js';
import { WebSocketDecoder, type WebSocketSession } from './decoder.js';
import { WebSocketEncoder } from './encoder.js';
import type { ResolvedWebSocketOptions } from './options.js';

type Children = { decoder: WebSocketDecoder; app: Component<any>; encoder: WebSocketEncoder };

/** The links every such graph has. */
const baseLinks: readonly LinkSpec<Children>[] = [
  ['self.inbox', 'decoder.inbox'],
  ['self.control', 'decoder.control'],
  ['self.writable', 'decoder.writable'],
  ['self.writable', 'encoder.writable'],
  ['decoder.outbox', 'app.inbox'],
  ['decoder.events', 'app.control'],
  ['decoder.signal', 'app.control'],
  ['decoder.peer', 'encoder.peer'],
  ['decoder.flow', 'self.flow'],
  ['decoder.log', 'self.log'],
  ['app.outbox', 'encoder.inbox'],
  ['app.signal', 'encoder.control'],
  ['encoder.outbox', 'self.outbox'],
  ['encoder.signal', 'self.signal'],
  ['encoder.log', 'self.log'],
];

/** One list per set of optional boxes the component has, made once: a graph's wiring is worked out once per list. */
const linkSets = new Map<number, readonly LinkSpec<Children>[]>();

/** The graph's links for a component with these boxes. */
export function websocketLinks(app: Component<any>): readonly LinkSpec<Children>[] {
  const writable = 'writable' in app.inboxes;
  const flow = 'flow' in app.outboxes;
  const log = 'log' in app.outboxes;
  const key = (writable ? 1 : 0) | (flow ? 2 : 0) | (log ? 4 : 0);
  let links = linkSets.get(key);
  if (!links) {
    const more: LinkSpec<Children>[] = [];
    if (writable) more.push(['encoder.ready', 'app.writable']);
    if (flow) more.push(['app.flow', 'decoder.appFlow']);
    if (log) more.push(['app.log', 'self.log']);
    links = [...baseLinks, ...more];
    linkSets.set(key, links);
  }
  return links;
}

/** The graph for one client: its component between a decoder and an encoder. */
export function websocketConnection(
  app: Component<any>,
  session: WebSocketSession,
  options: ResolvedWebSocketOptions,
): Graphline<Children> {
  const decoder = new WebSocketDecoder(session, options);
  const encoder = new WebSocketEncoder(session, options);
  // The encoder hears of the component's end as it happens, before the graph stops the rest: a failure is told to the client (1011).
  app.whenEnded((ended) => encoder.componentEnded(ended));
  return new Graphline<Children>({ decoder, app, encoder }, websocketLinks(app), `websocket#${session.request.connection.id}`);
}
