import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { request, waitFor } from './helpers/http.js';

const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));

async function pidsAnswering(port: number, tries: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < tries; i++) pids.add(JSON.parse((await request(port, { path: '/s?format=json' })).text).pid);
  return pids;
}

describe('--workers', () => {
  it('serves from every worker, replaces one that dies, and stops them all on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, '--workers', '2', '--port', '0', '--status', '/s', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    const exited = once(child, 'exit');
    try {
      await waitFor(() => /listening on http:\/\/127\.0\.0\.1:(\d+) \(2 workers\)/.test(out), 10_000);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)![1]);
      // Connections go round-robin: both processes answer.
      let pids = await pidsAnswering(port, 10);
      for (let i = 0; pids.size < 2 && i < 5; i++) pids = new Set([...pids, ...(await pidsAnswering(port, 10))]);
      expect(pids.size).toBe(2);
      expect(pids.has(child.pid!)).toBe(false);
      const [victim] = pids;
      process.kill(victim!, 'SIGKILL');
      await waitFor(() => /was killed by SIGKILL; starting another/.test(out), 5_000);
      await waitFor(() => /worker \d+ is listening/.test(out), 10_000);
      let after = new Set<number>();
      for (let i = 0; i < 10 && (after.size < 2 || after.has(victim!)); i++) after = await pidsAnswering(port, 10);
      expect(after.size).toBe(2);
      expect(after.has(victim!)).toBe(false);
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      // The workers are gone too.
      for (const pid of after) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
