/**
 * A WebSocket route's handler: the handshake (src/http/websocket-handshake.ts)
 * decides; a refusal is an ordinary error response (400, 403, 426) that the
 * error page renders and logs; an acceptance is a 101 carrying the graph
 * the connection switches to, with the component the route's factory made
 * for this client (a factory that throws is a 500, before anything is
 * switched).
 */
import { Component } from '../../src/core/component.js';
import { errorResponse, respond, type HttpRequest, type HttpResponse } from '../../src/http/messages.js';
import { checkHandshake } from '../../src/http/websocket-handshake.js';
import { websocketConnection } from './connection.js';
import { resolveWebSocketRoute, type WebSocketRouteFields } from './options.js';

/** The handler function of a route with `websocket`, its options checked now. */
export function websocketHandler(route: WebSocketRouteFields & { readonly path: string }): (request: HttpRequest) => HttpResponse {
  const { handshake, options } = resolveWebSocketRoute(route, `route ${route.path}`);
  const factory = route.websocket!;
  return (request) => {
    const decided = checkHandshake(request, handshake);
    if (!decided.ok) return errorResponse(request, decided.status, { headers: decided.headers, error: decided.reason });
    const app = factory(request);
    if (!(app instanceof Component)) throw new TypeError(`the websocket factory of route ${route.path} did not return a component`);
    const session = { request, protocol: decided.protocol, deflate: decided.deflate };
    return respond(request, { status: 101, headers: decided.headers, switchTo: websocketConnection(app, session, options) });
  };
}
