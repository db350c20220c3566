/**
 * php-fpm when things go wrong: stopped with requests in flight, a client
 * too slow for a 10 MiB response, a client that goes away half way, and
 * more requests at once than the pool has connections.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../../src/server/options.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, waitFor } from '../helpers/http.js';
import { settledMemory } from '../helpers/memory.js';
import { expectNoPhpCgi, phpApp, startKeptServer, startPhpFpm, type PhpApp, type PhpFpm } from './setup.js';

let app: PhpApp;

beforeAll(() => {
  app = phpApp();
});

afterAll(() => app.remove());

const fastcgi = (fpm: PhpFpm, fastcgiOptions: ServerOptions['fastcgiOptions'] = {}): ServerOptions => ({
  root: app.root,
  fastcgi: [{ extension: '.php', address: `unix:${fpm.socket}` }],
  fastcgiOptions,
});

/** The bytes big.php writes: its 64 KiB block, `mb` * 16 times. */
function bigDigest(mb: number): string {
  const block = Buffer.from('0123456789abcdef'.repeat(4096));
  const hash = createHash('sha256');
  for (let i = 0; i < mb * 16; i++) hash.update(block);
  return hash.digest('hex');
}

/** Sends a request and reads nothing for `stallMs`; then reads the response to its end. */
async function slowClient(
  port: number,
  path: string,
  stallMs: number,
  during: () => Promise<void>,
): Promise<{ head: string; body: Buffer }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.pause();
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await sleep(stallMs);
  await during();
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.resume();
  await new Promise((resolve) => socket.once('close', resolve));
  const all = Buffer.concat(chunks);
  const end = all.indexOf('\r\n\r\n');
  return { head: all.toString('latin1', 0, end), body: dechunk(all.subarray(end + 4)) };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const line = bytes.indexOf('\r\n', at);
    const size = Number.parseInt(bytes.toString('latin1', at, line), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(bytes.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
}

describe('php-fpm faults', () => {
  let fpm: PhpFpm;

  beforeAll(async () => {
    fpm = await startPhpFpm(4);
  });

  afterAll(async () => {
    await fpm.stop();
  });

  it('a 10 MiB response to a slow client costs a few buffers, and arrives whole', async () => {
    const s = await startKeptServer(fastcgi(fpm));
    try {
      const before = (await settledMemory()).arrayBuffers;
      let held = 0;
      const { head, body } = await slowClient(s.port, '/big.php?mb=10', 1_500, async () => {
        held = (await settledMemory()).arrayBuffers - before;
      });
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      // While the client reads nothing, php-fpm blocks writing: far less than the 10 MiB is held here.
      expect(held).toBeLessThan(2 * 1024 * 1024);
      expect(body.length).toBe(10 * 1024 * 1024);
      expect(createHash('sha256').update(body).digest('hex')).toBe(bigDigest(10));
    } finally {
      await s.server.stop(500);
    }
  });

  it('a client that goes away half way: the request is aborted, and php-fpm and the pool serve the next ones', async () => {
    const s = await startKeptServer(fastcgi(fpm, { connections: 2 }));
    try {
      const socket = net.connect(s.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let received = 0;
      const enough = new Promise<void>((resolve) =>
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 200_000) resolve();
        }),
      );
      socket.write('GET /big.php?mb=10 HTTP/1.1\r\nHost: x\r\n\r\n');
      await enough;
      socket.destroy();
      const { pool } = s.server.fastcgi[0]!;
      await waitFor(() => pool.status.busy === 0, 5_000);
      const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${s.url}/info.php`).then((r) => r.status)));
      expect(answers).toEqual([200, 200, 200, 200, 200, 200]);
      expect(pool.status.connections).toBeLessThanOrEqual(2);
    } finally {
      await s.server.stop(500);
    }
  });

  it('a pool of 4 connections under 50 requests at once: the rest wait their turn, and none is lost', async () => {
    const s = await startKeptServer(fastcgi(fpm, { connections: 4 }));
    try {
      const { pool } = s.server.fastcgi[0]!;
      let most = 0;
      let queued = 0;
      const watch = setInterval(() => {
        most = Math.max(most, pool.status.connections);
        queued = Math.max(queued, pool.status.queued);
      }, 2);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => fetch(`${s.url}/slow.php?s=0.05&i=${i}`).then(async (r) => `${r.status} ${await r.text()}`)),
      );
      clearInterval(watch);
      expect(answers).toEqual(Array.from({ length: 50 }, () => '200 slept\n'));
      expect(most).toBe(4);
      expect(queued).toBeGreaterThan(20);
    } finally {
      await s.server.stop(500);
    }
  });
});

describe('php-fpm stopped with requests in flight', () => {
  it('answers them 502, keeps serving everything else, and uses php-fpm again once it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boxwire-php-fpm-'));
    let fpm = await startPhpFpm(2, [], dir);
    const s = await startKeptServer(fastcgi(fpm));
    try {
      const inFlight = [1, 2].map(() => fetch(`${s.url}/slow.php?s=5`).then((r) => r.status));
      await waitFor(() => s.server.fastcgi[0]!.pool.status.busy === 2, 3_000);
      await sleep(100);
      const stopped = fpm.stop('SIGTERM');
      expect(await Promise.all(inFlight)).toEqual([502, 502]);
      await stopped;
      // Files are still served; a script now is a quick 502, not a wait.
      expect((await fetch(`${s.url}/static/hello.txt`)).status).toBe(200);
      const started = performance.now();
      expect((await fetch(`${s.url}/info.php`)).status).toBe(502);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(s.logs.errors.some((r) => r.message.includes('502'))).toBe(true);
      // php-fpm comes back on the same socket: within a second or so, scripts run again.
      fpm = await startPhpFpm(2, [], dir);
      await expect.poll(async () => (await fetch(`${s.url}/info.php`)).status, { timeout: 5_000, interval: 200 }).toBe(200);
    } finally {
      await s.server.stop(500);
      await fpm.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('php-cgi through cgiExtensions', () => {
  it('a 10 MiB response to a slow client costs a few buffers too (the script blocks on its pipe)', async () => {
    const s = await startKeptServer({ root: app.root, cgiExtensions: { '.php': true } });
    try {
      const before = (await settledMemory()).arrayBuffers;
      let held = 0;
      const { body } = await slowClient(s.port, '/big.php?mb=10', 1_500, async () => {
        held = (await settledMemory()).arrayBuffers - before;
      });
      expect(held).toBeLessThan(2 * 1024 * 1024);
      expect(body.length).toBe(10 * 1024 * 1024);
      expect(createHash('sha256').update(body).digest('hex')).toBe(bigDigest(10));
    } finally {
      await s.server.stop(500);
      await expectNoPhpCgi();
    }
  });
});
