/**
 * The status page in a real browser: headless Chromium (Debian's package;
 * .ci/run installs it) driven over the DevTools protocol loads the page
 * while the test sends it a known load, and we read the page as drawn: the
 * graphs' nodes and links by name, a figure that follows the requests, the
 * plots' points. Screenshots (light, and a phone in the dark theme) are
 * kept under test-artifacts/ (git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chromium, openPage } from './helpers/cdp.js';
import { request, startServer } from './helpers/http.js';

if (!chromium) console.warn('status page browser test: no Chromium here (apt-get install chromium); .ci/run installs it');

const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

/** Requests to `path` one after another until stopped (each on a connection of its own), counted. */
function steadyLoad(port: number, path: string) {
  let going = true;
  let sent = 0;
  const done = (async () => {
    while (going) {
      await request(port, { path: sent % 10 === 9 ? '/missing' : path });
      sent++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    get sent() {
      return sent;
    },
    stop: async () => {
      going = false;
      await done;
    },
  };
}

describe.runIf(chromium)('the status page in headless Chromium', () => {
  it('draws the graphs with their names, follows the traffic, plots it', async () => {
    const { port } = await startServer({
      status: '/server-status',
      routes: [{ path: '/', name: 'hello', handler: () => ({ body: 'hi' }) }],
    });
    const load = steadyLoad(port, '/');
    const page = await openPage(1000, 900);
    try {
      await page.goto(`http://127.0.0.1:${port}/server-status`);
      // The script has run and refreshed from the feed.
      await page.until(`document.getElementById('updated').className === 'live'`);
      const nodes = await page.evaluate<string[]>(
        `[...document.querySelectorAll('#connection-graph [data-node]')].map((n) => n.dataset.node)`,
      );
      expect(nodes).toEqual(['self', 'parser', 'router', 'errorPage', 'responder', 'accessLog', 'log']);
      const names = await page.evaluate<string[]>(
        `[...document.querySelectorAll('#connection-graph [data-node] .name')].map((n) => n.textContent)`,
      );
      expect(names).toEqual(['socket', 'parser', 'router', 'errorPage', 'responder', 'accessLog', 'server log']);
      const server = await page.evaluate<string[]>(
        `[...document.querySelectorAll('#server-graph [data-node]')].map((n) => n.dataset.node)`,
      );
      expect(server).toEqual(['interface:0', 'tcp', 'connections', 'logger', 'cgi:processes']);
      const links = await page.evaluate<string[]>(
        `[...document.querySelectorAll('#connection-graph [data-link]')].map((l) => l.dataset.link)`,
      );
      expect(links).toEqual(
        expect.arrayContaining([
          'self.inbox->parser.inbox',
          'parser.outbox->router.inbox',
          'router.outbox->errorPage.inbox',
          'errorPage.outbox->responder.inbox',
          'responder.outbox->self.outbox',
          'responder.sent->parser.sent',
          'responder.sent->accessLog.inbox',
          'parser.rejected->errorPage.inbox',
        ]),
      );
      // Each link is drawn: a path with an arrow.
      expect(await page.evaluate<number>(`document.querySelectorAll('#connection-graph [data-link] path').length`)).toBe(links.length);
      // The class figures name the classes of the graph's children.
      const classes = await page.evaluate<string[]>(
        `[...document.querySelectorAll('table.classes tr[data-class]')].map((r) => r.dataset.class)`,
      );
      expect(classes).toEqual(expect.arrayContaining(['HttpParser', 'RequestRouter', 'ErrorPage', 'Responder', 'AccessLog', 'TcpServer']));
      // A figure follows the requests: the total grows as the load goes on.
      const requests = () => page.evaluate<number>(`Number(document.querySelector('[data-figure="server.requests"]').textContent)`);
      const first = await requests();
      const sentThen = load.sent;
      await page.until(`Number(document.querySelector('[data-figure="server.requests"]').textContent) >= ${first + 20}`, 15_000);
      expect(load.sent).toBeGreaterThan(sentThen);
      // The router's rate on the graph is live: messages per second into it.
      await page.until(`Number(document.querySelector('[data-link="parser.outbox->router.inbox"]').dataset.rate) > 0`);
      // The plots have points: a sample a second.
      await page.until(`Number(document.querySelector('[data-plot="requests"] polyline[data-series="2xx"]').dataset.points) >= 3`, 15_000);
      const points = await page.evaluate<string>(
        `document.querySelector('[data-plot="requests"] polyline[data-series="2xx"]').getAttribute('points')`,
      );
      expect(points.split(' ').every((p) => /^\d+(\.\d+)?,\d+(\.\d+)?$/.test(p))).toBe(true);
      for (const plot of ['latency', 'bytes', 'open', 'pools']) {
        expect(
          await page.evaluate<number>(`Number(document.querySelector('[data-plot="${plot}"] polyline').dataset.points)`),
        ).toBeGreaterThanOrEqual(3);
      }
      // 4xx answers (the load's /missing) show in their own series.
      expect(await page.evaluate<string>(`document.querySelector('[data-figure="requests.4xx"]').textContent`)).toMatch(/^4xx /);
      mkdirSync(artifacts, { recursive: true });
      const light = await page.screenshot();
      writeFileSync(`${artifacts}status-page.png`, light);
      expect(light.length).toBeGreaterThan(20_000);
      // A phone, in the dark theme.
      await page.send('Emulation.setDeviceMetricsOverride', { width: 390, height: 844, deviceScaleFactor: 1, mobile: true });
      await page.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] });
      expect(await page.evaluate<string>(`getComputedStyle(document.body).backgroundColor`)).toBe('rgb(21, 23, 26)');
      // Nothing is wider than the phone's screen but the scrolling table of classes.
      expect(await page.evaluate<number>(`document.documentElement.scrollWidth`)).toBeLessThanOrEqual(390);
      writeFileSync(`${artifacts}status-page-phone-dark.png`, await page.screenshot());
    } finally {
      await page.close();
      await load.stop();
    }
  }, 60_000);
});
