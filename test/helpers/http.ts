/**
 * Talking HTTP over real sockets in tests: raw bytes out, responses parsed
 * back (Content-Length, chunked and close-delimited bodies, several
 * responses on one connection), and servers started on 127.0.0.1 with an
 * ephemeral port and stopped at the end of the test.
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterEach } from 'vitest';
import { createServer, type BoxwireServer } from '../../src/server/server.js';
import type { ServerOptions } from '../../src/server/options.js';
import type { LogRecord } from '../../src/core/log.js';

export interface ParsedResponse {
  readonly status: number;
  readonly reason: string;
  readonly version: string;
  /** Lower-cased names; repeats joined with ", ". */
  readonly headers: Record<string, string>;
  /** Raw header lines, in order. */
  readonly rawHeaders: readonly [string, string][];
  readonly body: Buffer;
  readonly trailers?: Record<string, string>;
  readonly text: string;
}

export interface TestServer {
  readonly server: BoxwireServer;
  readonly port: number;
  readonly url: string;
  /** Every log record, by channel. */
  readonly logs: Record<string, LogRecord[]>;
}

const running: BoxwireServer[] = [];

afterEach(async () => {
  const servers = running.splice(0);
  await Promise.all(servers.map((s) => s.stop(200)));
});

/**
 * Starts a server on an ephemeral port; it is stopped after the test. It
 * serves what the test names: the defaults that serve ./cgi (and ./static)
 * from the working directory are off unless asked for.
 */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const where = options.interfaces ? {} : { port: 0 };
  const server = createServer({ ...where, log: { print: false }, cgi: false, root: false, ...options });
  running.push(server);
  const logs: Record<string, LogRecord[]> = { server: [], errors: [], requests: [], monitor: [] };
  for (const [name, channel] of Object.entries(server.channels)) channel.subscribe((r) => logs[name]!.push(r));
  const addresses = await server.listen();
  const port = addresses[0]!.port;
  return { server, port, url: `http://127.0.0.1:${port}`, logs };
}

export interface RawOptions {
  /** Write the request in pieces of this many bytes, waiting `pause` ms between them. */
  readonly pieces?: number;
  readonly pause?: number;
  /** Stop reading once this many responses have been parsed (the socket is then closed). */
  readonly responses?: number;
  /** Methods of the requests, in order, so HEAD responses are parsed without a body. */
  readonly methods?: readonly string[];
  /** Give up after this many ms. */
  readonly timeout?: number;
  /** End our side after writing. */
  readonly end?: boolean;
}

/** Sends raw bytes on a fresh connection and returns everything received until the server closes (or `responses` are in). */
export async function raw(
  port: number,
  data: string | Buffer,
  options: RawOptions = {},
): Promise<{ bytes: Buffer; responses: ParsedResponse[]; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  let closed = false;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.timeout ?? 5_000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (options.responses !== undefined) {
        const parsed = tryParse(Buffer.concat(chunks), options.methods);
        if (parsed.responses.length >= options.responses && parsed.complete) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => {});
  });
  const bytes = Buffer.from(data);
  if (options.pieces) {
    for (let i = 0; i < bytes.length && !socket.destroyed; i += options.pieces) {
      socket.write(bytes.subarray(i, i + options.pieces));
      if (options.pause) await new Promise((r) => setTimeout(r, options.pause));
    }
  } else socket.write(bytes);
  if (options.end) socket.end();
  await done;
  socket.destroy();
  const all = Buffer.concat(chunks);
  return { bytes: all, responses: tryParse(all, options.methods, closed).responses, closed };
}

/**
 * Sends `data` on a fresh connection and goes away (closes it) once the first
 * bytes of the answer have come: a client that leaves while its answer is
 * under way. (One that leaves before any answer is taken for gone, and its
 * request may never start: test/half-close.test.ts.)
 */
export async function leaveOnceAnswered(port: number, data: string): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(data);
  await once(socket, 'data');
  socket.destroy();
}

/** One request on a fresh connection; the first response. */
export async function request(
  port: number,
  init: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; version?: string } = {},
): Promise<ParsedResponse> {
  const method = init.method ?? 'GET';
  const headers = { host: 'localhost', connection: 'close', ...(init.headers ?? {}) };
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  if (body && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))) {
    (headers as Record<string, string>)['content-length'] = String(body.length);
  }
  const head = `${method} ${init.path ?? '/'} ${init.version ?? 'HTTP/1.1'}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  const { responses } = await raw(port, body ? Buffer.concat([Buffer.from(head), body]) : head, { methods: [method], responses: 1 });
  if (!responses[0]) throw new Error(`no response to ${method} ${init.path ?? '/'}`);
  return responses[0];
}

/** Parses as many whole responses as `bytes` holds. `closed`: the connection ended, so a close-delimited body is whole. */
export function tryParse(
  bytes: Buffer,
  methods: readonly string[] = [],
  closed = false,
): { responses: ParsedResponse[]; complete: boolean } {
  const responses: ParsedResponse[] = [];
  let at = 0;
  let index = 0;
  for (;;) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) return { responses, complete: at === bytes.length };
    const lines = bytes.toString('latin1', at, end).split('\r\n');
    const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0]!);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
    const rawHeaders = lines.slice(1).map((l) => {
      const c = l.indexOf(':');
      return [l.slice(0, c), l.slice(c + 1).trim()] as [string, string];
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of rawHeaders) headers[k.toLowerCase()] = headers[k.toLowerCase()] ? `${headers[k.toLowerCase()]}, ${v}` : v;
    const status = Number(m[2]);
    let pos = end + 4;
    if (status >= 100 && status < 200) {
      responses.push({ status, reason: m[3]!, version: m[1]!, headers, rawHeaders, body: Buffer.alloc(0), text: '' });
      at = pos;
      continue;
    }
    const method = methods[index] ?? 'GET';
    let body: Buffer;
    let trailers: Record<string, string> | undefined;
    if (method === 'HEAD' || status === 204 || status === 304) body = Buffer.alloc(0);
    else if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', pos);
        if (lineEnd < 0) return { responses, complete: false };
        const size = parseInt(bytes.toString('latin1', pos, lineEnd), 16);
        pos = lineEnd + 2;
        if (size === 0) {
          const trailerEnd = bytes.indexOf('\r\n\r\n', pos - 2);
          if (trailerEnd < 0) return { responses, complete: false };
          const text = bytes.toString('latin1', pos, trailerEnd);
          if (text) {
            trailers = {};
            for (const l of text.split('\r\n')) trailers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
          }
          pos = trailerEnd + 4;
          break;
        }
        if (pos + size + 2 > bytes.length) return { responses, complete: false };
        parts.push(bytes.subarray(pos, pos + size));
        pos += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (pos + length > bytes.length) return { responses, complete: false };
      body = bytes.subarray(pos, pos + length);
      pos += length;
    } else {
      if (!closed) return { responses, complete: false };
      body = bytes.subarray(pos);
      pos = bytes.length;
    }
    responses.push({ status, reason: m[3]!, version: m[1]!, headers, rawHeaders, body, trailers, text: body.toString('utf8') });
    index++;
    at = pos;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
