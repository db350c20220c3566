/**
 * The password-check thread: checks queue and answer, a full queue says
 * 'busy' at once, the thread ends when idle and when closed (failing what
 * it held), and a new one starts for the next check.
 */
import { describe, expect, it } from 'vitest';
import { HashLane } from '../../components/auth/hash-lane.js';
import { waitFor } from '../helpers/http.js';

const stored = { kind: 'bcrypt' as const, text: '$2y$05$cL4Nju6nu3NYZHrP9Pr.Xu9QWAo9JrqajCXtFNYxhha21tjNmhVJ6' };
const slow = { kind: 'bcrypt' as const, text: '$2y$10$CPwyU21EZW3vDUVgJKWl/uF10RSGFvnjyTEAFGIz4p56PUG9VVjzq' };
const pw = (s: string) => Buffer.from(s);

describe('HashLane', () => {
  it('checks on its thread, refuses past its queue, and ends when idle', async () => {
    const lane = new HashLane({ queue: 2, idle: 50 });
    const a = lane.verify(pw('wonder land'), stored);
    const b = lane.verify(pw('wrong'), stored);
    expect(lane.verify(pw('third'), stored)).toBe('busy');
    expect(await a).toBe(true);
    expect(await b).toBe(false);
    expect(lane.started).toBe(1);
    await waitFor(() => !lane.running, 2_000);
    expect(await lane.verify(pw('x'), slow)).toBe(true);
    expect(lane.started).toBe(2);
    lane.close();
  });

  it('fails the checks it holds when closed, and starts afresh after', async () => {
    const lane = new HashLane({ queue: 4, idle: 10_000 });
    const held = lane.verify(pw('x'), slow);
    lane.close();
    await expect(held).rejects.toThrow(/stopped/);
    expect(lane.pending).toBe(0);
    expect(await lane.verify(pw('wonder land'), stored)).toBe(true);
    lane.close();
  });
});
