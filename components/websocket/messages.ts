/**
 * The messages of an upgraded connection's graph, besides the messages
 * themselves (strings and Buffers):
 *
 *   decoder -> app.control   WebSocketEvent: open, close
 *   app -> encoder           CloseRequest (with strings and Buffers)
 *   decoder -> encoder       PeerNews: what the client's side asks the writing side to do
 */
import type { HttpRequest } from '../../src/http/messages.js';

/** What the component hears of its connection, on `control`. */
export type WebSocketEvent =
  | {
      readonly type: 'open';
      /** The handshake request. */
      readonly request: HttpRequest;
      /** The subprotocol agreed, if any. */
      readonly protocol: string | undefined;
      /** The Sec-WebSocket-Extensions agreed ('' for none). */
      readonly extensions: string;
    }
  | {
      readonly type: 'close';
      /** The client's code; 1005 when it gave none, 1006 when the connection ended without a close (RFC 6455 §7.1.5), or the code we failed it with. */
      readonly code: number;
      readonly reason: string;
      /** Whether the close handshake was completed (RFC 6455 §7.1.4): the client closed, or answered our close. */
      readonly clean: boolean;
    };

/** From the component: close the connection with this code (default 1000) and reason. */
export interface CloseRequest {
  readonly type: 'close';
  readonly code?: number;
  readonly reason?: string;
}

/** What the component sends on its outbox: text, binary, or a close. */
export type Outgoing = string | Uint8Array | CloseRequest;

export const closeRequest = (code = 1000, reason = ''): CloseRequest => ({ type: 'close', code, reason });

/** From the reading side to the writing side: answers owed to the client, and how the connection is ending. */
export type PeerNews =
  /** The client was idle: ask whether it is there. */
  | { readonly type: 'ping' }
  /** Answer its ping (RFC 6455 §5.5.2). */
  | { readonly type: 'pong'; readonly payload: Buffer }
  /** It closed: answer with a close (after what is being sent), then end the connection (§5.5.1). */
  | { readonly type: 'closed'; readonly code: number | undefined }
  /** It broke the protocol: close with this code now, and end (§7.1.7). */
  | { readonly type: 'fail'; readonly code: number; readonly reason: string }
  /** The server is stopping: close with 1001 and wait for its answer. */
  | { readonly type: 'goingAway' }
  /** Its side ended without a close: end ours. */
  | { readonly type: 'ended' }
  /** It did not answer the ping, or the connection is being shut: drop it now. */
  | { readonly type: 'drop'; readonly reason: string };
