/**
 * Script processes: the time limit (504 before the head, a cut response
 * after it), killing whole process groups (TERM, then KILL), clients that
 * go away, the concurrency cap and its queue (503 beyond), and no process
 * or zombie left behind (checked after every test by setup.ts).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/core/log.js';
import { raw, request, sleep, waitFor } from '../helpers/http.js';
import { snapshot, expectNoLeaks } from '../helpers/leaks.js';
import { childProcesses, groupAlive, processAlive } from '../helpers/processes.js';
import { startCgi } from './setup.js';

/** The pids a fixture script announced on stderr ("pids 123 456"). */
function announced(logs: Record<string, LogRecord[]>, script: string): number[] | undefined {
  const line = logs.errors.find((r) => r.message.includes(`/cgi-bin/${script}: pids `));
  return line
    ? line.message
        .replace(/^.*pids /, '')
        .split(' ')
        .map(Number)
    : undefined;
}

async function expectGone(pids: readonly number[], within = 2_000): Promise<void> {
  await waitFor(() => !groupAlive(pids[0]!) && pids.every((pid) => !processAlive(pid)), within);
}

/** Opens a connection and sends a GET for `path`, leaving the socket open. */
function open(port: number, path: string): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
  return socket;
}

/** Starts sleeper.sh on a connection of its own; resolves once it has said its pids. */
async function startSleeper(port: number, logs: Record<string, LogRecord[]>): Promise<{ socket: net.Socket; pids: number[] }> {
  const socket = open(port, '/cgi-bin/sleeper.sh');
  await waitFor(() => announced(logs, 'sleeper.sh') !== undefined);
  return { socket, pids: announced(logs, 'sleeper.sh')! };
}

describe('CGI processes', () => {
  it('a script that does not answer in time: 504, and its whole process group killed', async () => {
    const { port, logs } = await startCgi({ timeLimit: 400 });
    const started = Date.now();
    const response = await request(port, { path: '/cgi-bin/sleeper.sh' });
    expect(response.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(3_000);
    const pids = announced(logs, 'sleeper.sh')!;
    expect(pids).toHaveLength(2); // the script and its background grandchild
    await expectGone(pids);
    expect(logs.monitor.some((r) => r.message.includes('over its time limit of 400 ms'))).toBe(true);
    expect(logs.errors.some((r) => r.message.startsWith('504 GET /cgi-bin/sleeper.sh'))).toBe(true);
  });

  it('a script over its time limit after its head: the response is cut short, the group killed', async () => {
    const { port, logs } = await startCgi({ timeLimit: 400 });
    const { bytes, responses, closed } = await raw(port, 'GET /cgi-bin/sleeper.sh?head HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(closed).toBe(true);
    expect(bytes.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(bytes.toString()).toContain('started');
    // Chunked and never finished: the client can tell it is truncated.
    expect(bytes.toString()).not.toMatch(/0\r\n\r\n$/);
    expect(responses).toEqual([]);
    await expectGone(announced(logs, 'sleeper.sh')!);
  });

  it('a script that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const { port, logs } = await startCgi({ timeLimit: 300, killGrace: 300 });
    const response = await request(port, { path: '/cgi-bin/stubborn.sh' });
    expect(response.status).toBe(504);
    const [pid] = announced(logs, 'stubborn.sh')!;
    expect(groupAlive(pid!)).toBe(true); // TERM did nothing
    await expectGone([pid!], 2_000);
  });

  it('a client that goes away (reset) gets its script killed at once', async () => {
    const { port, logs, server } = await startCgi({ timeLimit: 10_000 });
    const { socket, pids } = await startSleeper(port, logs);
    expect(server.cgiProcesses.running).toBe(1);
    socket.resetAndDestroy();
    await expectGone(pids);
    await waitFor(() => server.cgiProcesses.running === 0);
  });

  it('a client that closes its socket gets its script killed when the script next writes', async () => {
    const { port, server } = await startCgi({ timeLimit: 10_000 });
    const socket = open(port, '/samples/slow.py?n=100&delay=0.1');
    await new Promise((resolve) => socket.once('data', resolve));
    const script = childProcesses()[0]!;
    // A FIN: HTTP/1.1 lets a client half-close and still read, so the server learns it is gone on writing.
    socket.destroy();
    await waitFor(() => !processAlive(script.pid) && server.cgiProcesses.running === 0, 3_000);
  });

  it('stopping the server kills the scripts it runs', async () => {
    const { port, logs, server } = await startCgi({ timeLimit: 10_000 });
    const { socket, pids } = await startSleeper(port, logs);
    await server.stop(100);
    await expectGone(pids);
    socket.destroy();
  });

  it('runs 20 scripts at once', async () => {
    const { port } = await startCgi({ concurrency: 20 });
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 20 }, () => request(port, { path: '/cgi-bin/wait.sh' })));
    const elapsed = Date.now() - started;
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(responses.map((r) => r.text)).size).toBe(20);
    // Each sleeps 0.3 s: one after another would take 6 s.
    expect(elapsed).toBeLessThan(4_000);
  });

  it('caps the scripts running, queues the next ones, and answers 503 beyond the queue', async () => {
    const { port, server, logs } = await startCgi({ concurrency: 2, queue: 2 });
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, server.cgiProcesses.running)), 5);
    const responses = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        await sleep(i * 20); // arrive in order
        return request(port, { path: '/cgi-bin/wait.sh' });
      }),
    );
    clearInterval(watch);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(responses.find((r) => r.status === 503)!.headers['retry-after']).toBe('1');
    expect(most).toBeLessThanOrEqual(2);
    expect(logs.monitor.some((r) => r.message.includes('refused'))).toBe(true);
  });

  it('a queued request whose client leaves gives its place up and starts nothing', async () => {
    const { port, server, logs } = await startCgi({ concurrency: 1, queue: 4, timeLimit: 10_000 });
    const { socket: first } = await startSleeper(port, logs);
    const second = open(port, '/cgi-bin/wait.sh');
    await waitFor(() => server.cgiProcesses.queued === 1);
    second.resetAndDestroy();
    await waitFor(() => server.cgiProcesses.queued === 0);
    first.resetAndDestroy();
    await waitFor(() => server.cgiProcesses.running === 0);
    expect(logs.requests.some((r) => r.message.includes('wait.sh'))).toBe(false);
  });

  it('leaves nothing behind: components, links, handles, processes', async () => {
    const before = snapshot();
    const { server, port } = await startCgi({ timeLimit: 1_500 });
    await Promise.all([
      request(port, { path: '/samples/hello.sh' }),
      request(port, { path: '/cgi-bin/sleeper.sh' }),
      request(port, { path: '/cgi-bin/bad.sh' }),
      request(port, { path: '/cgi-bin/local.sh' }),
      request(port, { method: 'POST', path: '/cgi-bin/checksum.py', body: 'x'.repeat(100_000) }),
      raw(port, 'GET /samples/nph-hello.sh HTTP/1.1\r\nhost: x\r\n\r\n'),
    ]);
    await server.stop(200);
    await expectNoLeaks(before, 3_000);
  });
});
