/**
 * The status page in a real browser: headless Chromium (Debian's package;
 * .ci/run installs it when absent) loads it, lets its script refresh the
 * figures from the JSON form, and we read the page as the browser left it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { request, startServer } from './helpers/http.js';

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!chromium) console.warn('status page browser test: no Chromium here (apt-get install chromium); .ci/run installs it');

const profile = mkdtempSync(join(tmpdir(), 'boxwire-chromium-'));
afterAll(() => rmSync(profile, { recursive: true, force: true }));

function browse(url: string, extra: string[]): Promise<string> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--virtual-time-budget=3000',
    ...extra,
    url,
  ];
  return promisify(execFile)(chromium!, args, { timeout: 30_000, maxBuffer: 8 * 1024 * 1024 }).then((r) => r.stdout);
}

describe.runIf(chromium)('the status page in headless Chromium', () => {
  it('shows the traffic and refreshes itself', async () => {
    const { port } = await startServer({ status: '/server-status', routes: [{ path: '/', handler: () => ({ body: 'hi' }) }] });
    for (let i = 0; i < 6; i++) await request(port);
    for (let i = 0; i < 2; i++) await request(port, { path: '/missing' });
    const dom = await browse(`http://127.0.0.1:${port}/server-status`, ['--dump-dom']);
    const cell = (id: string) => new RegExp(`<td id="${id}">([^<]*)</td>`).exec(dom)?.[1];
    // The script ran and fetched the JSON: the footnote says when.
    expect(dom).toMatch(/<p id="updated">Updated \d/);
    // 8 requests from the test and the page itself (and maybe a favicon).
    expect(Number(cell('requests-total'))).toBeGreaterThanOrEqual(9);
    const [ok] = cell('requests-ok')!.split(' / ').slice(1).map(Number);
    // the 6 from the test and the page itself (a JSON answer counts once it has gone, after its own snapshot)
    expect(ok).toBeGreaterThanOrEqual(7);
    const [fourxx, fivexx] = cell('requests-errors')!.split(' / ').map(Number);
    expect(fourxx).toBeGreaterThanOrEqual(2);
    expect(fivexx).toBe(0);
    const shot = join(profile, 'status.png');
    await browse(`http://127.0.0.1:${port}/server-status`, ['--window-size=900,700', `--screenshot=${shot}`]);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 60_000);
});
