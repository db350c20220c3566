/**
 * A WebSocket route's options: the fields a route gives beside its
 * `websocket` factory, their defaults and their checks, resolved once when
 * the route table is made (a bad value is a TypeError then, never at the
 * first handshake).
 */
import type { Component } from '../../src/core/component.js';
import type { HttpRequest } from '../../src/http/messages.js';
import { badOption } from '../../src/http/option-checks.js';
import type { DeflatePolicy } from '../../src/http/websocket-extensions.js';
import type { HandshakePolicy, OriginPolicy, ProtocolChoice } from '../../src/http/websocket-handshake.js';

/** Makes the component that talks to one client, from its handshake request (see components/websocket/connection.ts for its boxes). */
export type WebSocketFactory = (request: HttpRequest) => Component<any>;

/** The fields of a route that serves WebSocket (the rest of a route: path, host, name). */
export interface WebSocketRouteFields {
  /** A WebSocket endpoint: a fresh component for each client that upgrades (RFC 6455). */
  readonly websocket?: WebSocketFactory;
  /** Subprotocols spoken, best first, or a function choosing among those offered (Sec-WebSocket-Protocol). */
  readonly protocols?: ProtocolChoice;
  /** Which pages may connect: "same-origin" (default), "*", a list of origins, or a function (403 otherwise). */
  readonly allowedOrigins?: OriginPolicy;
  /** Limits, compression and timers of the connections. */
  readonly websocketOptions?: WebSocketOptions;
}

export interface DeflateOptions extends Partial<DeflatePolicy> {
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  readonly threshold?: number;
  /** zlib level, 1 (fast) to 9 (small). Default 6. */
  readonly level?: number;
  /** zlib memLevel, 1 to 9: memory the compressor keeps (2^(memLevel+9) bytes, with its window). Default 8. */
  readonly memLevel?: number;
}

export interface WebSocketOptions {
  /** Largest message, in bytes, as received and (compressed) once inflated: 1009 beyond. Default 16 MiB. */
  readonly maxMessage?: number;
  /** Largest frame payload, in bytes: 1009 beyond, refused from its header. Default: maxMessage. */
  readonly maxFrame?: number;
  /** permessage-deflate (RFC 7692): true (default), false, or its settings. */
  readonly deflate?: boolean | DeflateOptions;
  /** Milliseconds without a byte from the client before it is pinged; 0: never. Default 30 s. */
  readonly pingInterval?: number;
  /** Milliseconds the client has to answer a ping (any byte will do) before the connection is dropped. Default 10 s. */
  readonly pongTimeout?: number;
  /** Milliseconds to wait for the client's close after ours, before the TCP connection is closed. Default 5 s. */
  readonly closeTimeout?: number;
  /** Bytes waiting to be compressed beyond which the component is told `writable: false`. Default 64 KiB. */
  readonly highWater?: number;
  /** Bytes sent while the client is not reading beyond which the connection is dropped. Default: twice maxMessage, and 1 MiB. */
  readonly maxBuffered?: number;
}

export interface ResolvedDeflate extends DeflatePolicy {
  readonly threshold: number;
  readonly level: number;
  readonly memLevel: number;
}

export interface ResolvedWebSocketOptions {
  readonly maxMessage: number;
  readonly maxFrame: number;
  readonly deflate: ResolvedDeflate | false;
  readonly pingInterval: number;
  readonly pongTimeout: number;
  readonly closeTimeout: number;
  readonly highWater: number;
  readonly maxBuffered: number;
}

export const defaultDeflate: ResolvedDeflate = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  threshold: 1024,
  level: 6,
  memLevel: 8,
};

const defaults = {
  maxMessage: 16 * 1024 * 1024,
  pingInterval: 30_000,
  pongTimeout: 10_000,
  closeTimeout: 5_000,
  highWater: 64 * 1024,
};

/** Two messages as large as allowed can be on their way to a client that is reading, but slowly, and a little more. */
const maxBufferedFor = (maxMessage: number): number => 2 * maxMessage + 1024 * 1024;

const known = ['maxMessage', 'maxFrame', 'deflate', 'maxBuffered', ...Object.keys(defaults)];

/** What a route's handshake is checked with, and how its connections run. */
export interface WebSocketEndpoint {
  readonly handshake: HandshakePolicy;
  readonly options: ResolvedWebSocketOptions;
}

/** Checks a WebSocket route's fields once; `where` names the route in errors. */
export function resolveWebSocketRoute(route: WebSocketRouteFields, where: string): WebSocketEndpoint {
  if (typeof route.websocket !== 'function') throw badOption(`${where}.websocket`, 'a function (request) => component', route.websocket);
  const protocols = route.protocols;
  if (
    protocols !== undefined &&
    typeof protocols !== 'function' &&
    (!Array.isArray(protocols) || protocols.some((p) => typeof p !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)))
  ) {
    throw badOption(`${where}.protocols`, 'a list of subprotocol tokens or a function', protocols);
  }
  const origins = route.allowedOrigins ?? 'same-origin';
  if (
    origins !== 'same-origin' &&
    origins !== '*' &&
    typeof origins !== 'function' &&
    (!Array.isArray(origins) || origins.some((o) => typeof o !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(o)))
  ) {
    throw badOption(
      `${where}.allowedOrigins`,
      '"same-origin", "*", a list of origins such as "https://example.com", or a function',
      origins,
    );
  }
  const options = resolveWebSocketOptions(route.websocketOptions, `${where}.websocketOptions`);
  return { handshake: { protocols, origins, deflate: options.deflate }, options };
}

export function resolveWebSocketOptions(given: WebSocketOptions | undefined, where = 'websocketOptions'): ResolvedWebSocketOptions {
  if (given === undefined) {
    return { ...defaults, maxFrame: defaults.maxMessage, maxBuffered: maxBufferedFor(defaults.maxMessage), deflate: defaultDeflate };
  }
  if (typeof given !== 'object' || given === null) throw badOption(where, 'an object', given);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw new TypeError(`boxwire: unknown option "${where}.${key}" (known: ${known.join(', ')})`);
  }
  const number = (key: keyof typeof defaults | 'maxBuffered', min: number, fallback = defaults[key as keyof typeof defaults]): number => {
    const value = given[key] ?? fallback;
    if (!Number.isInteger(value) || value < min) throw badOption(`${where}.${key}`, `a whole number from ${min}`, value);
    return value;
  };
  const maxMessage = number('maxMessage', 1);
  const maxFrame = given.maxFrame ?? maxMessage;
  if (!Number.isInteger(maxFrame) || maxFrame < 125) throw badOption(`${where}.maxFrame`, 'a whole number from 125', maxFrame);
  return {
    maxMessage,
    maxFrame,
    deflate: resolveDeflate(given.deflate, `${where}.deflate`),
    pingInterval: number('pingInterval', 0),
    pongTimeout: number('pongTimeout', 1),
    closeTimeout: number('closeTimeout', 1),
    highWater: number('highWater', 1),
    maxBuffered: number('maxBuffered', 1, maxBufferedFor(maxMessage)),
  };
}

function resolveDeflate(given: boolean | DeflateOptions | undefined, where: string): ResolvedDeflate | false {
  if (given === undefined || given === true) return defaultDeflate;
  if (given === false) return false;
  if (typeof given !== 'object' || given === null) throw badOption(where, 'true, false or an object', given);
  for (const key of Object.keys(given)) {
    if (!(key in defaultDeflate))
      throw new TypeError(`boxwire: unknown option "${where}.${key}" (known: ${Object.keys(defaultDeflate).join(', ')})`);
  }
  const o = { ...defaultDeflate, ...given };
  const whole = (key: keyof ResolvedDeflate, min: number, max: number): void => {
    const value = o[key];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      throw badOption(`${where}.${key}`, `a whole number from ${min} to ${max}`, value);
    }
  };
  for (const key of ['serverNoContextTakeover', 'clientNoContextTakeover'] as const) {
    if (typeof o[key] !== 'boolean') throw badOption(`${where}.${key}`, 'true or false', o[key]);
  }
  // zlib cannot compress with an 8-bit window: 9 is the least.
  whole('serverMaxWindowBits', 9, 15);
  whole('clientMaxWindowBits', 9, 15);
  whole('threshold', 0, Number.MAX_SAFE_INTEGER);
  whole('level', 1, 9);
  whole('memLevel', 1, 9);
  return o;
}
