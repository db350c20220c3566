/**
 * Large files are streamed at the client's pace: a client that reads slowly,
 * or not at all, costs the server a few buffers, never the file; and every
 * file handle is closed however the download ends.
 */
import net from 'node:net';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync, readlinkSync, ftruncateSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTree } from '../helpers/fixture-tree.js';
import { sleep, startServer, waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { settledMemory } from '../helpers/memory.js';

const MiB = 1024 * 1024;

/** A sparse file: its size on disk is nothing, so a test can afford a large one. */
function sparseFile(dir: string, name: string, size: number): string {
  const file = path.join(dir, name);
  const fd = openSync(file, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  return file;
}

/** File descriptors this process holds open on `file`. */
function openHandles(file: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe.runIf(process.platform === 'linux')('large files', () => {
  it('a client that stops reading a 256 MiB file costs a few buffers, and its file is closed when it goes', async () => {
    const root = makeTree({});
    const file = sparseFile(root, 'huge.bin', 256 * MiB);
    const { port } = await startServer({ root, accessLog: false, timeouts: { write: 60_000 } });
    const before = snapshot();
    const memoryBefore = await settledMemory();
    const socket = await connect(port);
    socket.pause(); // read nothing: the kernel's buffers fill, then the server's writes stall
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.write('GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(800);
    expect(openHandles(file)).toBe(1);
    const stalled = await settledMemory();
    expect(stalled.arrayBuffers - memoryBefore.arrayBuffers).toBeLessThan(8 * MiB);
    // Now read slowly, a little at a time, for a while.
    for (let i = 0; i < 10; i++) {
      socket.resume();
      await sleep(20);
      socket.pause();
      await sleep(20);
    }
    const reading = await settledMemory();
    expect(reading.arrayBuffers - memoryBefore.arrayBuffers).toBeLessThan(8 * MiB);
    expect(reading.rss - memoryBefore.rss).toBeLessThan(64 * MiB);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(256 * MiB);
    socket.destroy();
    await waitFor(() => openHandles(file) === 0);
    await expectNoLeaks(before);
  });

  it('a client that reads a 64 MiB file to the end gets every byte, and the file is closed', async () => {
    const root = makeTree({});
    const size = 64 * MiB;
    const file = sparseFile(root, 'big.bin', size);
    const { port } = await startServer({ root, accessLog: false });
    const before = snapshot();
    const socket = await connect(port);
    let total = 0;
    let head = '';
    let nonZero = false;
    socket.on('data', (chunk: Buffer) => {
      if (!head.includes('\r\n\r\n')) {
        const text = chunk.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return void (head += text);
        head += text.slice(0, end + 4);
        chunk = chunk.subarray(end + 4);
      }
      total += chunk.length;
      if (!nonZero && chunk.some((b) => b !== 0)) nonZero = true;
    });
    socket.write('GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await once(socket, 'close');
    expect(head).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(head).toContain(`Content-Length: ${size}\r\n`);
    expect(total).toBe(size);
    expect(nonZero).toBe(false);
    await waitFor(() => openHandles(file) === 0);
    await expectNoLeaks(before);
  });

  it('a client that never reads is cut off after the write timeout, and the file is closed', async () => {
    const root = makeTree({});
    const file = sparseFile(root, 'huge.bin', 64 * MiB);
    const { port } = await startServer({ root, accessLog: false, timeouts: { write: 300 } });
    const before = snapshot();
    const socket = await connect(port);
    socket.on('error', () => {});
    socket.pause();
    socket.write('GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => openHandles(file) === 1);
    // The server gives up on its own: the handle closes with the client still connected and silent.
    await waitFor(() => openHandles(file) === 0, 3_000);
    socket.destroy();
    await expectNoLeaks(before);
  });
});
