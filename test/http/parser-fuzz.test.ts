/**
 * Mutated requests, fed to the parser in random pieces: whatever arrives, the
 * parser never fails as a component (an exception would drop the connection
 * without an answer); it accepts, refuses with a status, or waits for more.
 * Deterministic (seeded), bounded.
 */
import { describe, expect, it } from 'vitest';
import { HttpParser, defaultParserLimits, defaultParserTimeouts } from '../../components/http-parser.js';
import { producerFinished } from '../../src/core/signals.js';
import { HeaderMap } from '../../src/http/headers.js';
import { validCases } from './parser-cases.js';
import { testConnection } from './parser-harness.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const interesting = [0, 9, 10, 13, 32, 34, 37, 44, 47, 58, 59, 0x7f, 0x80, 0xff, 48, 65, 102];

function mutate(input: Buffer, next: () => number): Buffer {
  const bytes = [...input];
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (bytes.length + 1));
    const kind = Math.floor(next() * 5);
    const byte = next() < 0.7 ? interesting[Math.floor(next() * interesting.length)]! : Math.floor(next() * 256);
    if (kind === 0) bytes[at] = byte;
    else if (kind === 1) bytes.splice(at, 0, byte);
    else if (kind === 2) bytes.splice(at, 1);
    else if (kind === 3) bytes.splice(at, 0, ...bytes.slice(at, at + 1 + Math.floor(next() * 20)));
    else bytes.length = Math.min(bytes.length, at);
  }
  return Buffer.from(bytes);
}

describe('parser fuzz', () => {
  it('never fails as a component, whatever the bytes', async () => {
    const next = random(20261121);
    const seeds = validCases.map((c) => Buffer.from(c.raw, 'latin1'));
    let refusals = 0;
    let accepted = 0;
    for (let round = 0; round < 1500; round++) {
      const input = mutate(seeds[round % seeds.length]!, next);
      const parser = new HttpParser(testConnection, { ...defaultParserLimits, headerSize: 2048, body: 4096 }, defaultParserTimeouts);
      parser.outboxes.outbox.subscribe((request) => {
        accepted++;
        void (async () => {
          try {
            if (request.body) for await (const chunk of request.body) void chunk;
          } catch {
            // A body error is a status for the handler, not a parser failure.
          }
          parser.inboxes.sent.send({
            type: 'sent',
            request,
            status: 200,
            bytes: 0,
            duration: 0,
            complete: true,
            close: !request.keepAlive,
            headers: new HeaderMap(),
          });
        })();
      });
      parser.outboxes.rejected.subscribe((response) => {
        refusals++;
        expect(response.status).toBeGreaterThanOrEqual(400);
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
      for (let at = 0; at < input.length; ) {
        const size = 1 + Math.floor(next() * 64);
        parser.inboxes.inbox.send(input.subarray(at, at + size));
        at += size;
      }
      await new Promise((r) => setImmediate(r));
      parser.inboxes.control.send(producerFinished);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      const ended = await Promise.race([parser.done, new Promise<'running'>((r) => setTimeout(() => r('running'), 0))]);
      if (ended !== 'running') expect(ended.reason, `round ${round}: ${JSON.stringify(input.toString('latin1'))}`).not.toBe('failed');
      await parser.shutdown();
    }
    expect(accepted).toBeGreaterThan(100);
    expect(refusals).toBeGreaterThan(100);
  });
});
