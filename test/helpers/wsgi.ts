/**
 * WSGI test servers: the fixture applications under test/fixtures/wsgi,
 * mounted at /app/ on a small pool, and ways to wait for what the threads
 * report on the log channels.
 */
import { fileURLToPath } from 'node:url';
import type { LogRecord } from '../../src/core/log.js';
import type { ServerOptions } from '../../src/options.js';
import { startServer, waitFor, type TestServer } from './http.js';

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
