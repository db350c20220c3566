/**
 * The responder's file path (a shared component, changed for issue 4): files
 * are read one chunk ahead, in chunks that grow while the socket keeps up and
 * stay small while it does not.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Responder } from '../../components/responder.js';
import { Sink } from '../../components/sink.js';
import { link } from '../../src/core/link.js';
import { HeaderMap } from '../../src/http/headers.js';
import type { HttpResponse } from '../../src/http/messages.js';
import { makeTree } from '../helpers/fixture-tree.js';
import { waitFor } from '../helpers/http.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';
import { fakeRequest } from '../helpers/requests.js';

const KiB = 1024;

/** Sends a 4 MiB file through a Responder; `full` decides, after each chunk, whether the socket says it is full for a moment. */
async function send(full: boolean): Promise<{ sizes: number[]; body: Buffer; file: Buffer }> {
  const file = randomBytes(4096 * KiB);
  const dir = makeTree({});
  writeFileSync(path.join(dir, 'f.bin'), file);
  const responder = new Responder({ server: false });
  const chunks: Buffer[] = [];
  const out = new Sink<string | Uint8Array>((bytes) => {
    chunks.push(Buffer.from(bytes));
    if (full && chunks.length > 1) {
      responder.inboxes.writable.send({ type: 'writable', writable: false });
      setTimeout(() => responder.inboxes.writable.send({ type: 'writable', writable: true }), 1);
    }
  });
  link(responder.outboxes.outbox, out.inboxes.inbox);
  const sent = new Sink();
  link(responder.outboxes.sent, sent.inboxes.inbox);
  out.start();
  sent.start();
  responder.start();
  const response: HttpResponse = {
    type: 'response',
    request: fakeRequest('/f.bin'),
    status: 200,
    headers: new HeaderMap(),
    body: { type: 'file', path: path.join(dir, 'f.bin'), start: 0, end: file.length },
  };
  responder.inboxes.inbox.send(response);
  await waitFor(() => sent.received.length === 1);
  await responder.shutdown();
  await out.shutdown();
  await sent.shutdown();
  const body = Buffer.concat(chunks.slice(1));
  return { sizes: chunks.slice(1).map((c) => c.length), body, file };
}

describe('Responder: file bodies', () => {
  it('grows its chunks up to 512 KiB for a socket that keeps up', async () => {
    const before = snapshot();
    const { sizes, body, file } = await send(false);
    expect(body.equals(file)).toBe(true);
    // The second read was already under way, ahead, when the first write showed the socket keeping up.
    expect(sizes.slice(0, 6)).toEqual([64 * KiB, 64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, 512 * KiB]);
    await expectNoLeaks(before);
  });

  it('keeps them at 64 KiB for a socket that fills up after each', async () => {
    const { sizes, body, file } = await send(true);
    expect(body.equals(file)).toBe(true);
    // The read ahead was made at the size before the wait: at most one larger chunk.
    expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(128 * KiB);
    expect(sizes.filter((n) => n === 64 * KiB).length).toBeGreaterThan(sizes.length / 2);
  });
});
