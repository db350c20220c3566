/** WebSocket (RFC 6455, RFC 7692) as components: the handshake handler, the graph an upgraded connection becomes, its stages. */
export { websocketHandler } from './route.js';
export { websocketConnection, websocketLinks } from './connection.js';
export { WebSocketDecoder, decoderBoxes, type WebSocketSession } from './decoder.js';
export { WebSocketEncoder, encoderBoxes } from './encoder.js';
export { Inflater, Deflater, type DeflaterSettings } from './deflate.js';
export { closeRequest, type WebSocketEvent, type CloseRequest, type Outgoing, type PeerNews } from './messages.js';
export {
  resolveWebSocketOptions,
  resolveWebSocketRoute,
  defaultDeflate,
  type WebSocketFactory,
  type WebSocketRouteFields,
  type WebSocketOptions,
  type DeflateOptions,
  type ResolvedWebSocketOptions,
  type ResolvedDeflate,
  type WebSocketEndpoint,
} from './options.js';
