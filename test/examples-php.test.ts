import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phpCgiSite, phpFpmSite, serve, siteWithApi, spawnedPhpSite } from '../examples/php-site.js';
import { FakeApp } from './fastcgi/fake-app.js';
import { expectNoPhpCgi, phpApp, startPhpFpm, type PhpApp, type PhpFpm } from './php/setup.js';

let app: PhpApp;
let fpm: PhpFpm;

beforeAll(async () => {
  app = phpApp();
  fpm = await startPhpFpm(2);
});

afterAll(async () => {
  await fpm.stop();
  app.remove();
});

describe('PHP examples (docs/php.md)', () => {
  const sites: [string, () => Parameters<typeof serve>[0], string][] = [
    ['php-fpm', () => phpFpmSite(app.root, fpm.socket), 'fpm-fcgi'],
    ['php-cgi per request', () => phpCgiSite(app.root), 'cgi-fcgi'],
    ['php-cgi processes boxwire runs', () => spawnedPhpSite(app.root), 'cgi-fcgi'],
  ];
  for (const [name, options, sapi] of sites) {
    it(`${name}: scripts run, files are served, sources are not`, async () => {
      const server = await serve({ ...options(), log: { print: false } }, 0);
      try {
        const url = server.url;
        expect(await (await fetch(`${url}/`)).text()).toBe('home: /index.php\n');
        expect(((await (await fetch(`${url}/info.php`)).json()) as { sapi: string }).sapi).toBe(sapi);
        expect(await (await fetch(`${url}/static/hello.txt`)).text()).toBe('hello from a static file\n');
        expect((await fetch(`${url}/source.php.gz`)).status).toBe(403);
      } finally {
        await server.stop(500);
      }
      await expectNoPhpCgi();
    });
  }

  it('a FastCGI application at a URL prefix beside the PHP site', async () => {
    const api = await new FakeApp((r) => r.reply('Content-Type: application/json', JSON.stringify({ path: r.params.PATH_INFO }))).listen();
    const server = await serve({ ...siteWithApi(app.root, fpm.socket, api.address), log: { print: false } }, 0);
    try {
      expect(await (await fetch(`${server.url}/api/users/7`)).json()).toEqual({ path: '/users/7' });
      expect(await (await fetch(`${server.url}/`)).text()).toBe('home: /index.php\n');
    } finally {
      await server.stop(500);
      await api.close();
    }
  });
});
