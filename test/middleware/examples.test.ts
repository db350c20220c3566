/**
 * The examples of docs/middleware.md, run: each one is quoted whole in the
 * guide (checked here, so the two cannot drift apart) and serves as the
 * guide says.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminServer } from '../../examples/middleware/basic-auth.js';
import { apiServer } from '../../examples/middleware/cors.js';
import { editedServer } from '../../examples/middleware/plan-edit.js';
import { limitedServer } from '../../examples/middleware/rate-limit.js';
import { movedServer } from '../../examples/middleware/redirects.js';
import { sitesServer } from '../../examples/middleware/sites.js';
import { resolveOptions, type ServerOptions } from '../../src/server/options.js';
import type { BoxwireServer } from '../../src/server/server.js';
import { makeTree } from '../helpers/fixture-tree.js';
import { request } from '../helpers/http.js';

const here = (file: string) => new URL(`../../${file}`, import.meta.url);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const running: BoxwireServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop(200)));
});

async function start(server: BoxwireServer): Promise<number> {
  running.push(server);
  const [address] = await server.listen();
  return address!.port;
}

function usersFile(user: string, password: string): string {
  const file = path.join(makeTree({}), 'users');
  execFileSync('htpasswd', ['-cbB', file, user, password], { stdio: 'ignore' });
  return file;
}

describe('docs/middleware.md', () => {
  it('quotes every example whole', () => {
    const guide = readFileSync(here('docs/middleware.md'), 'utf8');
    for (const name of ['basic-auth', 'cors', 'rate-limit', 'redirects', 'sites', 'plan-edit']) {
      expect(guide, name).toContain(`\`\`\`ts\n${readFileSync(here(`examples/middleware/${name}.ts`), 'utf8')}\`\`\``);
    }
  });

  it('shows configuration files that the server takes', () => {
    const guide = readFileSync(here('docs/middleware.md'), 'utf8');
    const blocks = [...guide.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as ServerOptions);
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    // Document roots must exist: the ones the guide names are made under a temporary directory.
    const base = mkdtempSync(join(tmpdir(), 'boxwire-guide-'));
    const rooted = (value: unknown, key = ''): unknown => {
      if (key === 'root' && typeof value === 'string') {
        const dir = join(base, value);
        mkdirSync(dir, { recursive: true });
        return dir;
      }
      if (Array.isArray(value)) return value.map((v) => rooted(v));
      if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rooted(v, k)]));
      return value;
    };
    try {
      for (const options of blocks) expect(() => resolveOptions(rooted(options) as ServerOptions)).not.toThrow();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('basic authentication: by prefix, and a route of its own', async () => {
    const port = await start(adminServer(usersFile('alice', 'a'), usersFile('sam', 's')));
    expect((await request(port, { path: '/' })).text).toBe('open to all\n');
    expect((await request(port, { path: '/admin/x' })).headers['www-authenticate']).toBe('Basic realm="Admin", charset="UTF-8"');
    expect((await request(port, { path: '/admin/x', headers: { authorization: basic('alice', 'a') } })).text).toBe('hello, alice\n');
    expect((await request(port, { path: '/reports', headers: { authorization: basic('alice', 'a') } })).status).toBe(401);
    expect((await request(port, { path: '/reports', headers: { authorization: basic('sam', 's') } })).text).toBe('reports\n');
  });

  it('CORS', async () => {
    const port = await start(apiServer());
    const r = await request(port, { path: '/api/items', headers: { origin: 'https://eu.app.example.com' } });
    expect(r.headers).toMatchObject({
      'access-control-allow-origin': 'https://eu.app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Total-Count',
    });
  });

  it('rate limits', async () => {
    const port = await start(limitedServer());
    const logins: number[] = [];
    for (let i = 0; i < 6; i++) logins.push((await request(port, { method: 'POST', path: '/login' })).status);
    expect(logins).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await request(port, { path: '/' })).status).toBe(200);
  });

  it('redirects and rewrites', async () => {
    const port = await start(movedServer());
    expect((await request(port, { path: '/blog/a/b' })).headers.location).toBe('https://blog.example.com/a/b');
    expect((await request(port, { path: '/old-page' })).status).toBe(302);
    expect((await request(port, { path: '/users/ann' })).text).toBe('profile ann\n');
  });

  it('an SPA, a virtual host and security headers', async () => {
    const port = await start(sitesServer(makeTree({ 'index.html': '<app>' }), makeTree({ 'index.html': 'docs' })));
    const app = await request(port, { path: '/some/route', headers: { accept: 'text/html' } });
    expect([app.text, app.headers['x-frame-options']]).toEqual(['<app>', 'DENY']);
    expect((await request(port, { headers: { host: 'docs.example.com' } })).text).toBe('docs');
  });

  it('stages placed by name', async () => {
    const port = await start(editedServer(usersFile('ann', 'pw')));
    const refused = await request(port, { headers: { origin: 'https://app.example.com' } });
    expect([refused.status, refused.headers['access-control-allow-origin'], refused.headers['x-content-type-options']]).toEqual([
      401,
      'https://app.example.com',
      'nosniff',
    ]);
    const ok = await request(port, { headers: { authorization: basic('ann', 'pw') } });
    expect([ok.text, ok.headers['x-content-type-options']]).toEqual(['hi ann\n', 'nosniff']);
  });
});
