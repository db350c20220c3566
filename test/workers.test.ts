import { describe, expect, it } from 'vitest';
import { startCommand } from './helpers/cli.js';
import { request } from './helpers/http.js';

async function pidsAnswering(port: number, tries: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < tries; i++) pids.add(JSON.parse((await request(port, { path: '/s?format=json' })).text).pid);
  return pids;
}

describe('--workers', () => {
  it('serves from every worker, replaces one that dies, and stops them all on SIGTERM', async () => {
    const boxwire = await startCommand(
      ['--workers', '2', '--port', '0', '--status', '/s', '--access-log', 'off'],
      /listening on http:\/\/127\.0\.0\.1:(\d+) \(2 workers\)/,
    );
    const { child, port } = boxwire;
    try {
      // Connections go round-robin: both processes answer.
      let pids = await pidsAnswering(port, 10);
      for (let i = 0; pids.size < 2 && i < 5; i++) pids = new Set([...pids, ...(await pidsAnswering(port, 10))]);
      expect(pids.size).toBe(2);
      expect(pids.has(child.pid!)).toBe(false);
      const [victim] = pids;
      process.kill(victim!, 'SIGKILL');
      await boxwire.until(/was killed by SIGKILL; starting another/, 5_000);
      await boxwire.until(/worker \d+ is listening/);
      let after = new Set<number>();
      for (let i = 0; i < 10 && (after.size < 2 || after.has(victim!)); i++) after = await pidsAnswering(port, 10);
      expect(after.size).toBe(2);
      expect(after.has(victim!)).toBe(false);
      expect(await boxwire.stop()).toBe(0);
      // The workers are gone too.
      for (const pid of after) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      boxwire.kill();
    }
  }, 30_000);
});
