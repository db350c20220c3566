import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirWatches } from '../../components/static-file/dir-watches.js';
import { StaticFile, StaticSite } from '../../components/static-file/index.js';
import { Sink } from '../../components/sink.js';
import { link } from '../../src/core/link.js';
import type { HttpResponse, Reroute } from '../../src/http/messages.js';
import { resolveStaticOptions } from '../../components/static-file/options.js';
import { makeTree } from '../helpers/fixture-tree.js';
import { sleep, waitFor } from '../helpers/http.js';
import { fakeRequest } from '../helpers/requests.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';

/** Runs one StaticFile component on one request; what came out, and how it ended. */
async function handle(site: StaticSite, p: string) {
  const component = new StaticFile(site);
  const out = new Sink<HttpResponse | Reroute>();
  link(component.outboxes.outbox, out.inboxes.inbox);
  out.start();
  component.start();
  component.inboxes.inbox.send(fakeRequest(p));
  // Like the router, it sends producerFinished after the request: a handler ignores it.
  component.inboxes.control.send({ type: 'producerFinished' });
  const ended = await component.done;
  await out.shutdown();
  return { responses: out.received as HttpResponse[], ended };
}

describe('StaticFile (component)', () => {
  it('answers one request on outbox and finishes, from the cache or not, holding nothing', async () => {
    const root = makeTree({ 'a.txt': 'alpha', d: { 'index.html': 'home' } });
    const site = new StaticSite(root, resolveStaticOptions({}));
    const before = snapshot();
    for (const [p, status] of [
      ['/a.txt', 200],
      ['/a.txt', 200],
      ['/d', 301],
      ['/d/', 200],
      ['/missing', 404],
    ] as const) {
      const { responses, ended } = await handle(site, p);
      expect(ended.reason).toBe('finished');
      expect(responses.map((r) => r.status)).toEqual([status]);
    }
    site.close();
    await expectNoLeaks(before);
  });

  it('stops at once on shutdown (the client went away), answering nothing', async () => {
    const root = makeTree({ 'a.txt': 'alpha' });
    const site = new StaticSite(root, resolveStaticOptions({}));
    const component = new StaticFile(site);
    const out = new Sink<HttpResponse>();
    link(component.outboxes.outbox, out.inboxes.inbox);
    out.start();
    component.start();
    component.inboxes.inbox.send(fakeRequest('/a.txt')); // not cached yet: the answer is on its way
    const ended = await component.shutdown();
    expect(ended.reason).toBe('shutdown');
    await sleep(20);
    expect(out.received).toEqual([]);
    await out.shutdown();
    site.close();
  });
});

describe('DirWatches', () => {
  it('reports the keys of a directory that changed, once, and then stops watching it', async () => {
    const dir = makeTree({ 'f.txt': '1' });
    const fired: string[][] = [];
    const watches = new DirWatches((keys) => fired.push([...keys]));
    expect(watches.add(dir, '/f.txt')).toBe(true);
    expect(watches.add(dir, '/g.txt')).toBe(true);
    expect(watches.size).toBe(1);
    writeFileSync(path.join(dir, 'f.txt'), '2');
    await waitFor(() => fired.length > 0);
    expect(fired[0]!.sort()).toEqual(['/f.txt', '/g.txt']);
    expect(watches.size).toBe(0);
    writeFileSync(path.join(dir, 'f.txt'), '3');
    await sleep(50);
    expect(fired).toHaveLength(1);
    watches.close();
  });

  it('says when a directory cannot be watched, and closes what it watches', () => {
    const dir = makeTree({ sub: {} });
    const watches = new DirWatches(() => {});
    expect(watches.add(path.join(dir, 'missing'), '/x')).toBe(false);
    expect(watches.add(path.join(dir, 'sub'), '/y')).toBe(true);
    watches.remove(path.join(dir, 'sub'), '/y');
    expect(watches.size).toBe(0);
    expect(watches.add(path.join(dir, 'sub'), '/y')).toBe(true);
    watches.close();
    expect(watches.size).toBe(0);
    expect(watches.add(path.join(dir, 'sub'), '/z')).toBe(false);
  });
});
