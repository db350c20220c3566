/**
 * WSGI test servers: the fixture applications under test/fixtures/wsgi,
 * mounted at /app/ on a small pool, and ways to wait for what the threads
 * report on the log channels.
 */
import { fileURLToPath } from 'node:url';
import type { Box } from '../../src/core/box.js';
import type { LogRecord } from '../../src/core/log.js';
import type { ServerOptions } from '../../src/server/options.js';
import { Sink } from '../../components/sink.js';
import type { JobRequest, PoolReply } from '../../components/wsgi/messages.js';
import { startServer, waitFor, type TestServer } from './http.js';

let serial = 1_000_000;

/** A job for a pool driven directly: GET `mount` + `path`, application 0, with a sink for its replies. */
export function poolJob(mount: string, path: string, query = ''): { request: JobRequest; replies: Sink<PoolReply> } {
  const replies = new Sink<PoolReply>().start();
  const environ = {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: mount,
    PATH_INFO: path,
    QUERY_STRING: query,
    SERVER_NAME: 'x',
    SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
  };
  const id = ++serial;
  return {
    request: {
      type: 'job',
      id,
      app: 0,
      environ,
      hasBody: false,
      label: `GET ${mount}${path} HTTP/1.1`,
      reply: replies.inboxes.inbox as Box<PoolReply>,
    },
    replies,
  };
}

export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/wsgi/${name}`, import.meta.url));
}

/** A server with the PEP 3333 fixture at /app/ on one or two threads (override with `pool`). */
export function wsgiServer(options: ServerOptions = {}): Promise<TestServer> {
  return startServer({
    wsgi: [`/app/=${fixture('pep3333.mjs')}`],
    ...options,
    pool: { minThreads: 1, maxThreads: 2, ...options.pool },
  });
}

/** Messages logged on a channel, so far. */
export function lines(logs: Record<string, LogRecord[]>, channel = 'errors'): string[] {
  return logs[channel]!.map((r) => r.message);
}

/** Waits until a line matching `pattern` has been logged on the channel, and returns it. */
export async function logged(logs: Record<string, LogRecord[]>, pattern: RegExp, channel = 'errors', ms = 5_000): Promise<string> {
  await waitFor(() => lines(logs, channel).some((l) => pattern.test(l)), ms);
  return lines(logs, channel).find((l) => pattern.test(l))!;
}
