/**
 * Drives an HttpParser component with bytes, as a socket would, and records
 * what it emits: accepted requests (with their bodies read to the end, as a
 * handler would) and refusals. Each request is "answered" once its body has
 * been read, so pipelined requests flow.
 */
import { HttpParser, defaultParserLimits, defaultParserTimeouts, type ParserLimits } from '../../components/http-parser.js';
import { producerFinished } from '../../src/core/signals.js';
import type { ConnectionInfo } from '../../src/core/connection-info.js';
import type { HttpRequest, HttpResponse, Sent } from '../../src/http/messages.js';
import { HeaderMap } from '../../src/http/headers.js';

export const testConnection: ConnectionInfo = {
  id: 0,
  remoteAddress: '127.0.0.1',
  remotePort: 50000,
  localAddress: '127.0.0.1',
  localPort: 8080,
  family: 'IPv4',
  secure: false,
};

export interface Seen {
  readonly kind: 'request' | 'refused';
  readonly status?: number;
  readonly method?: string;
  readonly target?: string;
  readonly path?: string;
  readonly query?: string;
  readonly version?: string;
  readonly host?: string;
  readonly headers?: [string, string][];
  readonly body?: string;
  readonly bodyError?: number;
  readonly trailers?: [string, string][];
  readonly keepAlive?: boolean;
}

/** Feeds `bytes` in pieces of `piece` bytes (0: all at once), then ends the input; resolves with what came out, in order. */
export async function feed(bytes: Buffer, piece: number, limits: Partial<ParserLimits> = {}): Promise<Seen[]> {
  const parser = new HttpParser(testConnection, { ...defaultParserLimits, ...limits }, defaultParserTimeouts);
  const seen: Seen[] = [];
  const work: Promise<void>[] = [];
  const answer = (request: HttpRequest): void => {
    const sent: Sent = {
      type: 'sent',
      request,
      status: 200,
      bytes: 0,
      duration: 0,
      complete: true,
      close: !request.keepAlive,
      headers: new HeaderMap(),
    };
    parser.inboxes.sent.send(sent);
  };
  parser.outboxes.outbox.subscribe((request) => {
    const entry: Seen & { body?: string } = {
      kind: 'request',
      method: request.method,
      target: request.target,
      path: request.path,
      query: request.query,
      version: request.version,
      host: request.host,
      headers: [...request.headers],
      keepAlive: request.keepAlive,
    };
    seen.push(entry);
    work.push(
      (async () => {
        if (request.body) {
          const chunks: Buffer[] = [];
          try {
            for await (const chunk of request.body) chunks.push(Buffer.from(chunk));
            (entry as { body?: string }).body = Buffer.concat(chunks).toString('latin1');
            if (request.body.trailers) (entry as { trailers?: [string, string][] }).trailers = [...request.body.trailers];
          } catch (error) {
            (entry as { bodyError?: number }).bodyError = (error as { status?: number }).status ?? -1;
          }
        }
        answer(request);
      })(),
    );
  });
  parser.outboxes.rejected.subscribe((response: HttpResponse) => {
    seen.push({ kind: 'refused', status: response.status });
    parser.inboxes.sent.send({
      type: 'sent',
      request: response.request,
      status: response.status,
      bytes: 0,
      duration: 0,
      complete: true,
      close: true,
      headers: new HeaderMap(),
    });
  });
  parser.start();
  const size = piece > 0 ? piece : bytes.length || 1;
  for (let i = 0; i < bytes.length; i += size) {
    parser.inboxes.inbox.send(bytes.subarray(i, i + size));
    if (piece > 0) await Promise.resolve();
  }
  // The client has sent everything: its side ends. Then let the readers and the parser finish.
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  parser.inboxes.control.send(producerFinished);
  for (let settled = 0; settled < work.length; ) {
    settled = work.length;
    await Promise.all(work);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }
  await parser.shutdown();
  return seen;
}
