import { describe, expect, it } from 'vitest';
import { allCases, invalidCases, validCases, type Case } from './parser-cases.js';
import { feed, type Seen } from './parser-harness.js';

function outcomes(seen: readonly Seen[]): (number | string)[] {
  return seen.map((s) => (s.kind === 'refused' ? s.status! : s.bodyError !== undefined ? `body:${s.bodyError}` : 200));
}

async function check(c: Case, piece: number): Promise<Seen[]> {
  const seen = await feed(Buffer.from(c.raw, 'latin1'), piece, c.limits);
  expect(outcomes(seen), `${c.name} (pieces of ${piece || 'all'})`).toEqual(c.expect);
  c.check?.(seen);
  return seen;
}

describe('HttpParser case table', () => {
  it('has at least 150 cases, valid and invalid', () => {
    expect(allCases.length).toBeGreaterThanOrEqual(150);
    expect(validCases.length).toBeGreaterThan(40);
    expect(invalidCases.length).toBeGreaterThan(80);
    expect(new Set(allCases.map((c) => c.name)).size).toBe(allCases.length);
  });

  it.each(allCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const whole = await check(c, 0);
    const byteByByte = await check(c, 1);
    const inSevens = await check(c, 7);
    // The same bytes give the same messages however they are cut.
    expect(byteByByte).toEqual(whole);
    expect(inSevens).toEqual(whole);
  });
});
