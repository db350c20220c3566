/**
 * Leak checks: what the runtime and the Node process hold alive. A test takes
 * a snapshot before it builds a graph and asserts, after shutdown, that the
 * runtime's counts and the process's active handles are back where they were.
 */
import { expect } from 'vitest';
import { liveCounts, type RuntimeStats } from '../../src/core/stats.js';

export interface Snapshot {
  readonly runtime: RuntimeStats;
  readonly handles: Record<string, number>;
}

const watched = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'ProcessWrap', 'PipeWrap', 'FSReqCallback', 'Immediate'];

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) if (watched.includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

export function snapshot(): Snapshot {
  return { runtime: liveCounts(), handles: handles() };
}

/** Waits until nothing more is alive than in `before` (handles close asynchronously), then asserts it. */
export async function expectNoLeaks(before: Snapshot, waitMs = 2_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = snapshot();
    const settled =
      JSON.stringify(now.runtime) === JSON.stringify(before.runtime) &&
      watched.every((kind) => (now.handles[kind] ?? 0) <= (before.handles[kind] ?? 0));
    if (settled || Date.now() > deadline) {
      expect(now.runtime).toEqual(before.runtime);
      for (const kind of watched) expect(now.handles[kind] ?? 0, `active ${kind}`).toBeLessThanOrEqual(before.handles[kind] ?? 0);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
