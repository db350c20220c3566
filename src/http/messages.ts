/**
 * The messages of the HTTP graph, a discriminated union on `type`:
 *
 *   parser -> router -> handler      HttpRequest
 *   handler -> router                HttpResponse, Reroute
 *   router -> error page -> responder  HttpResponse
 *   parser -> responder              Framing (100 Continue, close after)
 *   parser -> router                 PeerEnded (the client sent a FIN)
 *   responder -> parser, access log  Sent
 *
 * A response carries the request it answers, so every later stage (error
 * page, responder, access log) knows the method, version and request line.
 */
import type { Component } from '../core/component.js';
import type { ConnectionInfo } from '../core/connection-info.js';
import { isHttpError } from './errors.js';
import { HeaderMap, type HeadersInit } from './headers.js';
import type { RequestBody } from './request-body.js';

export type HttpVersion = 'HTTP/1.0' | 'HTTP/1.1';

export interface HttpRequest {
  readonly type: 'request';
  /** Position on the connection, from 0: responses leave in this order. */
  readonly seq: number;
  readonly method: string;
  /** The request-target exactly as sent. */
  readonly target: string;
  /**
   * The path, percent-decoded once, dot segments removed and repeated
   * slashes merged: the only form anything downstream looks at. Never
   * decode it again.
   */
  readonly path: string;
  /** The path as sent, before decoding (for REQUEST_URI and logs). */
  readonly rawPath: string;
  /** The query as sent, without '?'; '' when there is none. */
  readonly query: string;
  readonly version: HttpVersion;
  readonly headers: HeaderMap;
  /** The host the request is for, without port: from an absolute target, else Host. */
  readonly host: string;
  /** The port named with the host, if any. */
  readonly hostPort: number | undefined;
  readonly connection: ConnectionInfo;
  /** The body, to be pulled; undefined when the request has none. */
  readonly body: RequestBody | undefined;
  /** Whether the client lets the connection persist after this exchange. */
  readonly keepAlive: boolean;
  /** performance.now() when the request head was complete. */
  readonly received: number;
  /**
   * The part of `path` that selected the route (a mount point, CGI's
   * SCRIPT_NAME). The router writes it, and `params`, when it picks a route,
   * into the places `makeRequest` left for them: nothing else writes either.
   */
  mount?: string;
  /** Parameters of the matched route pattern; `*` is the rest of a prefix match (written by the router). */
  params?: Readonly<Record<string, string>>;
  /** The route that took it, by name (its `name`, else its path), for the figures (written by the router). */
  route?: string;
  /** Internal redirects this request has been through. */
  readonly redirects?: number;
  /**
   * Who a request stage authenticated the request as (basic-auth.ts):
   * gateways pass it on as AUTH_TYPE and REMOTE_USER (RFC 3875 §4.1.1,
   * §4.1.11). Undefined until a stage sets it.
   */
  readonly identity?: Identity;
  /**
   * Fields a request stage wants on the response to this request, whoever
   * answers it (CORS): the responder sets them, over the handler's, and adds
   * to Vary (see response-fields.ts).
   */
  readonly responseFields?: HeaderMap;
}

/** An authenticated user: the scheme ("Basic") and the user-id. */
export interface Identity {
  readonly type: string;
  readonly user: string;
}

/** What a request is made of: its head as parsed, and where it came from. */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly rawPath: string;
  readonly query: string;
  readonly version: HttpVersion;
  readonly headers: HeaderMap;
  readonly host: string;
  readonly hostPort: number | undefined;
  readonly keepAlive: boolean;
}

/**
 * Makes a request message: the one place its fields are listed. Every
 * request has the same fields in the same order, the router's three
 * included, so the stages that read them see one object shape (see
 * `npm run bench -- http`, hello keep-alive).
 */
export function makeRequest(seq: number, head: RequestHead, connection: ConnectionInfo, body: RequestBody | undefined): HttpRequest {
  return {
    type: 'request',
    seq,
    method: head.method,
    target: head.target,
    path: head.path,
    rawPath: head.rawPath,
    query: head.query,
    version: head.version,
    headers: head.headers,
    host: head.host,
    hostPort: head.hostPort,
    connection,
    body,
    keepAlive: head.keepAlive,
    received: performance.now(),
    mount: undefined,
    params: undefined,
    route: undefined,
    redirects: 0,
    identity: undefined,
    responseFields: undefined,
  };
}

/** A file, or a byte range of one, to be sent by the fastest means the responder has. */
export interface FileBody {
  readonly type: 'file';
  readonly path: string;
  /** First byte to send. */
  readonly start: number;
  /** One past the last byte to send. */
  readonly end: number;
}

/** A body made of several pieces sent one after another (a multipart/byteranges response, say). */
export interface PartsBody {
  readonly type: 'parts';
  readonly parts: readonly (string | Uint8Array | FileBody)[];
}

/** Bytes produced as they are pulled; the responder pulls at the socket's pace. */
export type StreamBody = AsyncIterable<Uint8Array | string>;

export type Body = undefined | string | Uint8Array | FileBody | PartsBody | StreamBody;

export interface HttpResponse {
  readonly type: 'response';
  readonly request: HttpRequest;
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: Body;
  /** Close the connection once this response has been sent. */
  readonly close?: boolean;
  /** For an error response: what went wrong, for the errors channel. */
  readonly error?: unknown;
  /**
   * The body is the whole message, status line and header section included
   * (a CGI nph- script's output): the responder writes it unframed, exactly
   * as it is, and closes the connection after it. `status` is for the logs.
   */
  readonly raw?: boolean;
  /**
   * With a 101 (RFC 9110 §7.8; its Upgrade field names the protocol): the
   * graph that takes the connection over once the 101 has been written. The
   * socket's bytes, those already read past this request's head first, go
   * to its inbox, its outbox is written to the socket, and the HTTP graph
   * ends. Never started if the 101 is not written (it is then asked to stop).
   */
  readonly switchTo?: Component<any>;
  /**
   * Trailer fields, asked for once the body has ended (a proxied chunked
   * response's, say): written in the last chunk of a chunked response
   * (RFC 9112 §7.1.2), dropped when the response is not chunked.
   */
  readonly trailers?: () => HeaderMap | undefined;
}

/** From a handler: serve this request again, through the router (CGI's local Location). */
export interface Reroute {
  readonly type: 'reroute';
  readonly request: HttpRequest;
}

/** From the parser to the responder: things about the connection's framing. */
export type Framing = { readonly type: 'continue'; readonly seq: number } | { readonly type: 'closeAfter'; readonly seq: number };

/** From the parser to the router: the client has ended its side of the connection (a FIN); it may or may not still read. */
export interface PeerEnded {
  readonly type: 'peerEnded';
}
export const peerEnded: PeerEnded = Object.freeze({ type: 'peerEnded' });

/** From the responder: a response has been written (or abandoned). */
export interface Sent {
  readonly type: 'sent';
  readonly request: HttpRequest;
  readonly status: number;
  /** Bytes of content written (not counting the head). */
  readonly bytes: number;
  /** Milliseconds from the request head to the last byte written. */
  readonly duration: number;
  /** False when the response was cut short (the body failed, or the client went away). */
  readonly complete: boolean;
  /** Whether the connection closes after this response. */
  readonly close: boolean;
  /** The response's headers as written. */
  readonly headers: HeaderMap;
  /** A 101 was written: the graph the connection switches to (the parser hands it the socket). */
  readonly switchTo?: Component<any>;
}

/** What a plain function handler may return: a response in a few fields. */
export interface ResponseInit {
  readonly status?: number;
  readonly headers?: HeadersInit;
  readonly body?: Body;
  readonly close?: boolean;
  /** With status 101: the graph the connection switches to (see HttpResponse). */
  readonly switchTo?: Component<any>;
}

export function respond(request: HttpRequest, init: ResponseInit = {}): HttpResponse {
  const response: HttpResponse = {
    type: 'response',
    request,
    status: init.status ?? 200,
    headers: HeaderMap.from(init.headers),
    body: init.body,
    close: init.close,
  };
  // Only an upgrade carries the field: every other response keeps one object shape.
  return init.switchTo ? { ...response, switchTo: init.switchTo } : response;
}

/** A bodiless error response: the error page renders it. */
export function errorResponse(
  request: HttpRequest,
  status: number,
  options: { headers?: HeadersInit; error?: unknown; close?: boolean } = {},
): HttpResponse {
  return {
    type: 'response',
    request,
    status,
    headers: HeaderMap.from(options.headers),
    body: undefined,
    close: options.close,
    error: options.error,
  };
}

/** An exception from a handler or a stage, as a response: its own status if it is an HttpError, else 500. */
export function failureResponse(request: HttpRequest, error: unknown): HttpResponse {
  if (isHttpError(error)) return errorResponse(request, error.status, { error, close: error.close });
  return errorResponse(request, 500, { error });
}

export function isFileBody(body: Body): body is FileBody {
  return typeof body === 'object' && body !== null && (body as FileBody).type === 'file';
}

export function isPartsBody(body: Body): body is PartsBody {
  return typeof body === 'object' && body !== null && (body as PartsBody).type === 'parts';
}

/** The body's length in bytes when it is known without reading it; undefined for streams. */
export function bodyLength(body: Body): number | undefined {
  if (body === undefined) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.length;
  if (isFileBody(body)) return body.end - body.start;
  if (isPartsBody(body)) {
    let total = 0;
    for (const part of body.parts) total += bodyLength(part)!;
    return total;
  }
  return undefined;
}

/** The request line, as logs show it. */
export function requestLine(request: Pick<HttpRequest, 'method' | 'target' | 'version'>): string {
  return `${request.method} ${request.target} ${request.version}`;
}
