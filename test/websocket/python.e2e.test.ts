/**
 * WebSocket against a real client: Python's websockets (Debian's
 * python3-websockets, run by /usr/bin/python3; test/fixtures/websocket/client.py).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { chatRoom } from '../../examples/chat/chat.js';
import { startServer, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { Obedient, echo, heard } from './apps.js';

const client = fileURLToPath(new URL('../fixtures/websocket/client.py', import.meta.url));
const python = '/usr/bin/python3';
const available =
  existsSync(python) &&
  (await promisify(execFile)(python, ['-c', 'import websockets']).then(
    () => true,
    () => false,
  ));
if (!available)
  console.warn('WebSocket tests: no python3-websockets for /usr/bin/python3 (apt-get install python3-websockets); .ci/run installs it');

async function run(port: number, path: string, ...args: (string | number)[]): Promise<Record<string, unknown>> {
  return runWith({}, port, path, ...args);
}

async function runWith(
  env: Record<string, string>,
  port: number,
  path: string,
  ...args: (string | number)[]
): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(python, [client, args[0] as string, String(port), path, ...args.slice(1).map(String)], {
    timeout: 60_000,
    maxBuffer: 1024 * 1024,
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

const routes = [
  { path: '/echo', websocket: echo },
  { path: '/plain', websocket: echo, websocketOptions: { deflate: false } },
  { path: '/obey', websocket: () => new Obedient() },
  { path: '/pinged', websocket: echo, websocketOptions: { pingInterval: 150, pongTimeout: 300 } },
];

beforeEach(() => {
  heard.length = 0;
});

describe.runIf(available)('WebSocket with Python websockets', () => {
  const echoed = (deflate: boolean) => ({
    extensions: deflate ? 'permessage-deflate' : null,
    text: true,
    unicode: true,
    'empty text': true,
    binary: true,
    'empty binary': true,
    'text 125': true,
    'text 126': true,
    'binary 65536': true,
    'text 1 MiB': true,
    'text 16 MiB': true,
    'binary 16 MiB': true,
    'fragmented text': true,
    'fragmented binary': true,
    pong: true,
    close: [1000, ''],
  });

  it('echoes text and binary up to 16 MiB, whole and fragmented, with permessage-deflate', async () => {
    const { port } = await startServer({ routes });
    expect(await run(port, '/echo', 'echo', 'deflate')).toEqual(echoed(true));
  }, 60_000);

  it('echoes the same without compression: offered and not taken, and not offered', async () => {
    const { port } = await startServer({ routes });
    expect(await run(port, '/plain', 'echo', 'deflate')).toEqual(echoed(false));
    expect(await run(port, '/echo', 'echo', 'none')).toEqual(echoed(false));
  }, 60_000);

  it('speaks wss on a TLS interface', async () => {
    const tls = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)));
    const { port } = await startServer({
      routes,
      interfaces: [{ host: '127.0.0.1', port: 0, tls: { key: tls('server-key.pem'), cert: tls('server.pem') } }],
    });
    const ca = fileURLToPath(new URL('../fixtures/tls/ca.pem', import.meta.url));
    expect(await runWith({ BOXWIRE_CA: ca }, port, '/obey', 'close', 4002)).toEqual({ code: 4002, reason: '' });
    expect(heard[0]).toBe('open /obey - permessage-deflate');
  });

  it("answers the client's close with its code, and the component hears open and a clean close", async () => {
    const { port } = await startServer({ routes });
    expect(await run(port, '/obey', 'close', 4001, 'done here')).toEqual({ code: 4001, reason: '' });
    await waitFor(() => heard.includes('close 4001 clean'));
    expect(heard).toEqual(['open /obey - permessage-deflate', 'close 4001 clean', 'producerFinished']);
  });

  it('closes when the component asks, with its code and reason, or with 1000 when it finishes', async () => {
    const { port } = await startServer({ routes });
    expect(await run(port, '/obey', 'told', 'close 4100 we are done')).toEqual({ code: 4100, reason: 'we are done', got: [] });
    expect(await run(port, '/obey', 'told', 'finish')).toEqual({ code: 1000, reason: '', got: [] });
  });

  it('closes with 1011 when the component fails, or sends what is not a message; the server serves on', async () => {
    const { port, logs } = await startServer({ routes });
    expect(await run(port, '/obey', 'told', 'throw')).toMatchObject({ code: 1011 });
    expect(await run(port, '/obey', 'told', 'bad')).toMatchObject({ code: 1011 });
    expect(logs.errors.some((r) => /not a string, bytes or a close/.test(r.message))).toBe(true);
    expect(logs.errors.some((r) => /the component failed: the component failed on purpose/.test(r.message))).toBe(true);
    expect(await run(port, '/obey', 'close', 1000)).toEqual({ code: 1000, reason: '' });
  });

  it('pings an idle client, which answers, and keeps it', async () => {
    const { port } = await startServer({ routes });
    expect(await run(port, '/pinged', 'idle', 1)).toEqual({ back: 'still here', code: 1000 });
  });

  it('stops the component of a client that vanishes, and holds nothing of it after', async () => {
    const { port, server } = await startServer({ routes });
    // One connection first, so what the server keeps for good (its timers, caches) is there before the snapshot.
    await run(port, '/obey', 'close', 1000);
    await waitFor(() => server.tcp.connectionCount === 0);
    heard.length = 0;
    const before = snapshot();
    expect(await run(port, '/obey', 'vanish')).toEqual({ vanished: true });
    await waitFor(() => heard.includes('close 1006 unclean'));
    await expectNoLeaks(before);
    expect(server.tcp.connectionCount).toBe(0);
  });

  it('carries a chat room of 1,000 clients through one Backplane', async () => {
    const { port, server } = await startServer({ routes: [{ path: '/chat', ...chatRoom() }], limits: { connections: 2000 } });
    const before = Date.now();
    const result = await run(port, '/chat', 'chat', 1000, 10);
    expect(result).toMatchObject({ heardAll: 1000, closed: 1000 });
    expect(Date.now() - before).toBeLessThan(45_000);
    await waitFor(() => server.tcp.connectionCount === 0, 10_000);
  }, 60_000);
});
