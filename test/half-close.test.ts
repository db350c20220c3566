/**
 * Clients that end their side of the connection (a FIN, as curl and browsers
 * send when they give up) while a gateway works on their request and nothing
 * of the answer has gone out: they are taken for gone, as nginx and lighttpd
 * take them. A CGI script's process group is killed within a second, a WSGI
 * job on a thread or in a Python process is called off and its close() runs,
 * and a graceful stop does not wait for them. An answer already under way
 * still goes to a client that half-closed; `serveHalfClosed` keeps waiting
 * for the others too.
 */
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../src/core/log.js';
import { raw, sleep, tryParse, waitFor } from './helpers/http.js';
import { groupAlive, processAlive } from './helpers/processes.js';
import { startCgi } from './cgi/setup.js';
import { logged, wsgiServer } from './helpers/wsgi.js';
import { pythonServer } from './helpers/python.js';

/** The pids sleeper.sh announced on stderr ("pids 123 456"). */
function sleeperPids(logs: Record<string, LogRecord[]>): number[] | undefined {
  const line = logs.errors!.find((r) => r.message.includes('/cgi-bin/sleeper.sh: pids '));
  return line?.message
    .replace(/^.*pids /, '')
    .split(' ')
    .map(Number);
}

/** Opens a connection and sends a GET for `path`; the socket stays open both ways, and collects what comes. */
async function open(port: number, path: string): Promise<{ socket: net.Socket; received: () => Buffer; closed: Promise<unknown> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, 'close');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return { socket, received: () => Buffer.concat(chunks), closed };
}

describe('a CGI script whose client ends its side before the answer', () => {
  it('has its process group killed within a second, and nothing sent', async () => {
    const { port, logs, server } = await startCgi({ timeLimit: 10_000 });
    const client = await open(port, '/cgi-bin/sleeper.sh');
    await waitFor(() => sleeperPids(logs) !== undefined);
    const pids = sleeperPids(logs)!;
    client.socket.end();
    const started = Date.now();
    await waitFor(() => !groupAlive(pids[0]!) && pids.every((pid) => !processAlive(pid)), 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    await client.closed;
    expect(client.received().length).toBe(0);
    await waitFor(() => server.cgiProcesses.running === 0);
    expect(
      logs.errors.some((r) => /GET \/cgi-bin\/sleeper\.sh HTTP\/1\.1: the client closed its side before the answer/.test(r.message)),
    ).toBe(true);
  });

  it('does not hold up a graceful stop', async () => {
    const { port, logs, server } = await startCgi({ timeLimit: 10_000 });
    const client = await open(port, '/cgi-bin/sleeper.sh');
    await waitFor(() => sleeperPids(logs) !== undefined);
    client.socket.end();
    await sleep(100);
    const started = Date.now();
    await server.stop(5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    await client.closed;
  });

  it('that came with the request (request, then FIN, at once) is never answered, and its script killed', async () => {
    const { port, server } = await startCgi({ timeLimit: 10_000 });
    const { bytes, closed } = await raw(port, 'GET /cgi-bin/sleeper.sh HTTP/1.1\r\nHost: x\r\n\r\n', { end: true, timeout: 3_000 });
    expect([bytes.length, closed]).toEqual([0, true]);
    await waitFor(() => server.cgiProcesses.running === 0, 1_000);
  });

  it('gets an answer already under way in full: a client that half-closes may still read', async () => {
    const { port } = await startCgi({ timeLimit: 10_000 });
    const client = await open(port, '/samples/slow.py?n=4&delay=0.1');
    await once(client.socket, 'data');
    client.socket.end();
    await client.closed;
    const { responses } = tryParse(client.received());
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.text.trim().split('\n')).toHaveLength(4);
  });

  it('gets its answer when the server is told to serve half-closed clients', async () => {
    const { port } = await startCgi({ timeLimit: 10_000 }, { serveHalfClosed: true });
    const { responses } = await raw(port, 'GET /cgi-bin/wait.sh HTTP/1.1\r\nHost: x\r\n\r\n', { end: true, timeout: 3_000 });
    expect(responses.map((r) => r.status)).toEqual([200]);
  });
});

describe('a WSGI application whose client ends its side before the answer', () => {
  it.each(['thinking', 'thinking-async'])(
    'on a thread (/app/%s): its job is called off, its close() runs, the thread is free',
    async (path) => {
      const { port, logs, server } = await wsgiServer({ pool: { minThreads: 1, maxThreads: 1 } });
      const client = await open(port, `/app/${path}?gone`);
      // Once it runs: a job called off before it has started never runs, and has no close() to call.
      await logged(logs, /thinking gone$/);
      client.socket.end();
      const started = Date.now();
      await logged(logs, /closed gone/, 'errors', 1_500);
      expect(Date.now() - started).toBeLessThan(1_500);
      await waitFor(() => server.poolStatus!.busy === 0, 1_000);
      expect(client.received().length).toBe(0);
    },
  );

  it('in a Python process: its job is called off, its close() runs, the process is free', async () => {
    const { port, logs, server } = await pythonServer();
    const client = await open(port, '/py/thinking');
    await logged(logs, /: thinking$/);
    client.socket.end();
    const started = Date.now();
    await logged(logs, /close\(\) called/, 'errors', 1_500);
    expect(Date.now() - started).toBeLessThan(1_500);
    await waitFor(() => server.pythonPools[0]!.status.running === 0, 1_000);
    expect(client.received().length).toBe(0);
  });
});
