/**
 * The runner (components/wsgi/python/boxwire_wsgi.py) spoken to directly,
 * without a pool: frames written to its socket however the writes cut
 * them, several in one write, one across many, a frame larger than one
 * read, must each be read whole and answered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameReader, requestFrame, toWorker, updateFrames, type FromWorker } from '../../components/wsgi/python-frames.js';
import { runnerScript } from '../../components/wsgi/python-pool.js';
import { python3, pythonFixtures } from '../helpers/python.js';

const credit = { bytes: 1 << 20, chunks: 64 };

interface Runner {
  readonly child: ChildProcess;
  readonly channel: Socket;
  readonly messages: FromWorker[];
}

const running: Runner[] = [];

afterEach(async () => {
  for (const { child, channel } of running.splice(0)) {
    channel.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
});

async function startRunner(): Promise<Runner> {
  const child = spawn(python3, [runnerScript, 'apps:application', '1', '0'], {
    cwd: pythonFixtures,
    stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe'],
  });
  const channel = child.stdio[3] as Socket;
  const runner: Runner = { child, channel, messages: [] };
  running.push(runner);
  const reader = new FrameReader();
  channel.on('data', (chunk: Buffer) => reader.push(chunk, (message) => runner.messages.push(message)));
  await until(runner, (m) => m.type === 'ready');
  return runner;
}

/** Waits (a bounded while) for a message that `match` picks. */
async function until(runner: Runner, match: (message: FromWorker) => boolean): Promise<FromWorker> {
  for (let i = 0; i < 500; i++) {
    const found = runner.messages.find(match);
    if (found) return found;
    await sleep(10);
  }
  throw new Error(`no such message; got ${JSON.stringify(runner.messages.map((m) => m.type))}`);
}

function get(id: number, path: string): Buffer {
  return requestFrame(
    id,
    { REQUEST_METHOD: 'GET', SCRIPT_NAME: '', PATH_INFO: path, QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1' },
    credit,
    false,
  );
}

const idOf = (message: FromWorker) => ('id' in message ? message.id : undefined);
const bodyOf = (message: FromWorker | undefined) =>
  message?.type === 'head' ? Buffer.from(message.body as Uint8Array).toString('latin1') : undefined;

describe('the runner', () => {
  it('reads frames however the writes cut them: two in one write, one in pieces with its header split', async () => {
    const runner = await startRunner();
    runner.channel.write(Buffer.concat([get(1, '/hello'), get(2, '/hello')]));
    // Both answered from that one write, before anything else is sent.
    for (const id of [1, 2]) expect(bodyOf(await until(runner, (m) => m.type === 'head' && m.id === id))).toBe('Hello world!\n');
    const third = get(3, '/hello');
    // Pieces that arrive as separate reads: inside the header, at its end, inside the variables.
    for (const [from, to] of [
      [0, 4],
      [4, 9],
      [9, 30],
      [30, third.length],
    ] as const) {
      runner.channel.write(third.subarray(from, to));
      await sleep(30);
    }
    expect(bodyOf(await until(runner, (m) => m.type === 'head' && m.id === 3))).toBe('Hello world!\n');
    expect(runner.messages.filter((m) => m.type === 'head').map(idOf)).toEqual([1, 2, 3]);
  });

  it('reads a body frame larger than one read whole', async () => {
    const runner = await startRunner();
    const body = Buffer.alloc(700 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251;
    const environ = {
      REQUEST_METHOD: 'POST',
      SCRIPT_NAME: '',
      PATH_INFO: '/echo',
      QUERY_STRING: `size=${body.length}`,
      CONTENT_LENGTH: String(body.length),
      SERVER_PROTOCOL: 'HTTP/1.1',
    };
    runner.channel.write(requestFrame(5, environ, credit, true));
    await until(runner, (m) => m.type === 'wantInput' && m.id === 5);
    const [header, chunk] = updateFrames({ type: 'input', id: 5, chunk: body }) as readonly [Buffer, Uint8Array];
    expect(header[0]).toBe(toWorker.body);
    runner.channel.write(Buffer.concat([header, chunk, updateFrames({ type: 'inputEnd', id: 5 }) as Buffer]));
    const head = await until(runner, (m) => m.type === 'head' && m.id === 5);
    expect(head.type === 'head' && new Map(head.headers).get('X-Length')).toBe(String(body.length));
    // The body comes back with the head, or after it in DATA frames: all of it, byte for byte.
    await until(runner, (m) => (m.type === 'head' && m.id === 5 && m.last) || (m.type === 'end' && m.id === 5));
    const echoed = Buffer.concat(
      runner.messages.flatMap((m) =>
        idOf(m) !== 5 ? [] : m.type === 'head' && m.body ? [m.body as Uint8Array] : m.type === 'chunk' ? [m.chunk as Uint8Array] : [],
      ),
    );
    expect(echoed.equals(body)).toBe(true);
  });
});
