import { describe, expect, it } from 'vitest';
import { startCommand } from './helpers/cli.js';
import { request } from './helpers/http.js';
import { hasParser, parseMetrics, samplesOf } from './helpers/metrics.js';

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

  it.runIf(hasParser)(
    "gathers every worker's figures for the status page and /metrics, each worker labelled",
    async () => {
      const boxwire = await startCommand(
        ['--workers', '2', '--port', '0', '--status', '/s', '--metrics', '/m'],
        /listening on http:\/\/127\.0\.0\.1:(\d+) \(2 workers\)/,
      );
      const { port } = boxwire;
      try {
        // Each request on a connection of its own: round-robin spreads them over both workers.
        const pids = new Set<number>();
        let sent = 0;
        for (let i = 0; i < 40 && (pids.size < 2 || sent < 12); i++, sent++)
          pids.add(JSON.parse((await request(port, { path: '/s?format=json' })).text).pid);
        expect(pids.size).toBe(2);
        const families = await parseMetrics((await request(port, { path: '/m' })).text, 'text');
        const served = samplesOf(families, 'boxwire_http_requests', 'boxwire_http_requests_total', { route: 'status' });
        // Both workers answer, each under its own label, and together they served every status request sent.
        expect(new Set(served.map(([, labels]) => labels.worker))).toEqual(new Set(['1', '2']));
        expect(served.reduce((n, [, , v]) => n + v, 0)).toBe(sent);
        const live = samplesOf(families, 'boxwire_component_live', 'boxwire_component_live', { class: 'TcpServer' });
        expect(live.map(([, l, v]) => [l.worker, v]).sort()).toEqual([
          ['1', 1],
          ['2', 1],
        ]);
        // The page's JSON and feed: the sum of both, each worker listed.
        const snapshot = JSON.parse((await request(port, { path: '/s?format=json' })).text);
        expect(snapshot.workers.map((w: { pid: number }) => w.pid).sort()).toEqual([...pids].sort());
        expect(snapshot.requests.total).toBe(sent + 1);
        const feed = JSON.parse((await request(port, { path: '/s?format=feed&since=0' })).text);
        expect(feed.view.workers.length).toBe(2);
        expect(feed.view.server.requests).toBe(sent + 2);
        expect(feed.view.connection.children.map((c: { name: string }) => c.name)).toContain('router');
        expect(await boxwire.stop()).toBe(0);
      } finally {
        boxwire.kill();
      }
    },
    30_000,
  );
});
