/**
 * A PHP application with static assets beside it, run unchanged through
 * php-cgi (`cgiExtensions`, a process per request) and through php-fpm
 * (`fastcgi`, started here on a Unix socket with a pool of its own): the
 * same requests, the same answers, and its source never served by any path.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../../src/server/options.js';
import { raw, request, type TestServer } from '../helpers/http.js';
import { expectNoPhpCgi, phpApp, startKeptServer, startPhpFpm, type PhpApp, type PhpFpm } from './setup.js';

let app: PhpApp;
let fpm: PhpFpm;

beforeAll(async () => {
  app = phpApp();
  fpm = await startPhpFpm(4);
});

afterAll(async () => {
  await fpm.stop();
  app.remove();
});

const index = { index: ['index.php', 'index.html'] };
const modes: [string, () => ServerOptions][] = [
  [
    'php-cgi through cgiExtensions',
    () => ({ root: app.root, static: index, cgiExtensions: { '.php': true }, cgiOptions: { env: { SESSION_DIR: app.sessions } } }),
  ],
  [
    'php-fpm through fastcgi',
    () => ({
      root: app.root,
      static: index,
      fastcgi: [{ extension: '.php', address: `unix:${fpm.socket}` }],
      fastcgiOptions: { params: { SESSION_DIR: app.sessions } },
    }),
  ],
];

interface Info {
  sapi: string;
  get: Record<string, unknown>;
  post: Record<string, unknown>;
  cookie: Record<string, string>;
  server: Record<string, string | null>;
  input: string;
}

describe.each(modes)('a PHP application, %s', (mode, options) => {
  let s: TestServer;
  const cgi = mode.startsWith('php-cgi');

  beforeAll(async () => {
    s = await startKeptServer(options());
  });

  afterAll(async () => {
    await s.server.stop(500);
    // php-cgi ran as children of this process; none is left.
    await expectNoPhpCgi();
  });

  const info = async (path: string, init?: RequestInit): Promise<Info> => {
    const response = await fetch(s.url + path, init);
    expect(response.status).toBe(200);
    return (await response.json()) as Info;
  };

  it('GET: $_GET and the meta-variables PHP needs', async () => {
    const got = await info('/info.php?a=1&b[]=2&b[]=3', { headers: { 'X-Test': 'yes' } });
    expect(got.sapi).toBe(cgi ? 'cgi-fcgi' : 'fpm-fcgi');
    expect(got.get).toEqual({ a: '1', b: ['2', '3'] });
    expect(got.server).toMatchObject({
      SCRIPT_NAME: '/info.php',
      SCRIPT_FILENAME: `${app.root}/info.php`,
      DOCUMENT_ROOT: app.root,
      REQUEST_URI: '/info.php?a=1&b[]=2&b[]=3',
      QUERY_STRING: 'a=1&b[]=2&b[]=3',
      REQUEST_METHOD: 'GET',
      REDIRECT_STATUS: '200',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      HTTP_X_TEST: 'yes',
      PHP_SELF: '/info.php',
      PATH_INFO: null,
    });
  });

  it('POST: $_POST from a form, and from a chunked body (read in full first: PHP needs CONTENT_LENGTH)', async () => {
    const form = await info('/info.php', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'x=1&y=hello+world&z=%C3%A9',
    });
    expect(form.post).toEqual({ x: '1', y: 'hello world', z: 'é' });
    expect(form.server.CONTENT_LENGTH).toBe('26');
    const body = 'name=chunked&n=42';
    const chunked = await request(s.port, {
      method: 'POST',
      path: '/info.php',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
      body: `${(8).toString(16)}\r\n${body.slice(0, 8)}\r\n${(body.length - 8).toString(16)}\r\n${body.slice(8)}\r\n0\r\n\r\n`,
    });
    expect(chunked.status).toBe(200);
    const parsed = JSON.parse(chunked.text) as Info;
    expect(parsed.post).toEqual({ name: 'chunked', n: '42' });
    expect(parsed.server.CONTENT_LENGTH).toBe(String(body.length));
  });

  it('a multipart upload reaches $_FILES intact (checksummed)', async () => {
    const bytes = randomBytes(1024 * 1024 + 17);
    const form = new FormData();
    form.append('note', 'a field beside the file');
    form.append('file', new Blob([bytes]), 'random.bin');
    const response = await fetch(`${s.url}/upload.php`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const got = (await response.json()) as {
      files: Record<string, { name: string; size: number; error: number; sha256: string }>;
      post: unknown;
    };
    expect(got.post).toEqual({ note: 'a field beside the file' });
    expect(got.files.file).toEqual({
      name: 'random.bin',
      size: bytes.length,
      error: 0,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('sessions and cookies: the session cookie comes back, and the session remembers', async () => {
    const first = await fetch(`${s.url}/session.php`);
    expect(await first.text()).toBe('count=1\n');
    const cookies = first.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith('PHPSESSID='))).toBe(true);
    expect(cookies.some((c) => c.startsWith('visited=yes') && /HttpOnly/i.test(c))).toBe(true);
    const jar = cookies.map((c) => c.split(';')[0]).join('; ');
    const second = await fetch(`${s.url}/session.php`, { headers: { Cookie: jar } });
    expect(await second.text()).toBe('count=2\n');
    const seen = await info('/info.php', { headers: { Cookie: jar } });
    expect(seen.cookie.visited).toBe('yes');
  });

  it("header('Location: ...') and the status codes a script chooses", async () => {
    const found = await fetch(`${s.url}/redirect.php`, { redirect: 'manual' });
    expect(found.status).toBe(302);
    expect(found.headers.get('location')).toBe('/static/page.html');
    const moved = await fetch(`${s.url}/redirect.php?status=301&to=https://example.com/elsewhere`, { redirect: 'manual' });
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toBe('https://example.com/elsewhere');
    const followed = await fetch(`${s.url}/redirect.php`);
    expect(await followed.text()).toContain('a static page');
    const teapot = await fetch(`${s.url}/status.php?code=418`);
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get('x-script')).toBe('status');
    expect(await teapot.text()).toBe('status 418\n');
    const gone = await fetch(`${s.url}/status.php?code=410`);
    expect(gone.status).toBe(410);
  });

  it('PATH_INFO: the path is split where the script is', async () => {
    const wiki = await fetch(`${s.url}/wiki/doku.php/some/page`);
    expect(await wiki.text()).toBe('page=/some/page\nscript=/wiki/doku.php\n');
    const got = await info('/info.php/a%20b/c?q=1');
    expect(got.server).toMatchObject({
      SCRIPT_NAME: '/info.php',
      PATH_INFO: '/a b/c',
      PATH_TRANSLATED: `${app.root}/a b/c`,
      REQUEST_URI: '/info.php/a%20b/c?q=1',
    });
  });

  it('index files may be scripts: index.php before index.html', async () => {
    expect(await (await fetch(`${s.url}/`)).text()).toBe('home: /index.php\n');
    expect(await (await fetch(`${s.url}/sub/`)).text()).toBe('sub index: /sub/index.php\n');
    expect(await (await fetch(`${s.url}/docs/`)).text()).toContain('docs index');
    const bare = await fetch(`${s.url}/sub`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/sub/');
  });

  it('the static assets beside the scripts are served as files', async () => {
    const css = await fetch(`${s.url}/static/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('etag')).toBeTruthy();
    expect(await css.text()).toBe(readFileSync(`${app.root}/static/style.css`, 'utf8'));
    const range = await fetch(`${s.url}/static/hello.txt`, { headers: { Range: 'bytes=0-4' } });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe('hello');
    expect((await fetch(`${s.url}/static/hello.txt`, { method: 'POST' })).status).toBe(405);
  });

  it('a streamed response: each flush() reaches the client as it is made', async () => {
    const socket = net.connect(s.port, '127.0.0.1');
    const arrivals: [number, string][] = [];
    const started = performance.now();
    socket.on('data', (chunk: Buffer) => arrivals.push([performance.now() - started, chunk.toString('latin1')]));
    socket.write('GET /stream.php?parts=3&ms=400 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    const whenSeen = (text: string) => arrivals.find(([, chunk]) => chunk.includes(text))?.[0] ?? Number.NaN;
    const all = arrivals.map(([, chunk]) => chunk).join('');
    expect(all).toContain('part 1\n');
    expect(all).toContain('part 3\n');
    // Two pauses of 400 ms: the first part is out well before the last is made.
    expect(whenSeen('part 3') - whenSeen('part 1')).toBeGreaterThan(600);
  });

  it("stderr (error_log) goes to the server's errors channel", async () => {
    expect(await (await fetch(`${s.url}/stderr.php`)).text()).toBe('logged\n');
    await expect.poll(() => s.logs.errors.some((r) => r.message.includes('a line from stderr.php'))).toBe(true);
  });

  describe('its source is never served', () => {
    const marker = 'SOURCE-MARKER';
    const get = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
      const r = await request(s.port, { method, path, headers });
      expect(r.text, `${method} ${path}`).not.toContain(marker);
      expect(r.body.includes(Buffer.from('<?php')), `${method} ${path}`).toBe(false);
      return r;
    };

    it('the script itself runs', async () => {
      const r = await get('/source.php');
      expect(r.status).toBe(200);
      expect(r.text).toBe('ran source.php\n');
      expect((await get('/source.php', {}, 'HEAD')).status).toBe(200);
    });

    it('a Range request runs it (no partial file)', async () => {
      const r = await get('/source.php', { range: 'bytes=0-20' });
      expect(r.status).toBe(200);
      expect(r.headers['content-range']).toBeUndefined();
      expect(r.text).toBe('ran source.php\n');
    });

    it('a precompressed sibling is never chosen, nor sent when asked for', async () => {
      const r = await get('/source.php', { 'accept-encoding': 'gzip, br' });
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(r.text).toBe('ran source.php\n');
      const sibling = await get('/source.php.gz');
      expect(sibling.status).toBe(403);
    });

    it('case variants run or are missing, never shown', async () => {
      expect((await get('/SOURCE.PHP')).status).toBe(404);
      expect((await get('/Source.php')).status).toBe(404);
      // upper.PHP exists: php-cgi runs it; php-fpm refuses it itself (security.limit_extensions).
      const upper = await get('/upper.PHP');
      if (cgi) expect(upper.text).toBe('ran source.php\n');
      else expect(upper.status).toBe(403);
    });

    it('a trailing dot, %00, and encoded tricks', async () => {
      expect((await get('/source.php.')).status).toBe(404);
      expect((await get('/source.php%00.txt')).status).toBeGreaterThanOrEqual(400);
      expect((await get('/source.php%00')).status).toBeGreaterThanOrEqual(400);
      expect((await get('/source.php%2500')).status).toBe(404);
      expect((await get('/source%2ephp')).text).toBe('ran source.php\n');
      expect((await get('/static/../source.php')).text).toBe('ran source.php\n');
      expect((await get('/source.php::$DATA')).status).toBe(404);
      expect((await get('/source.php ')).status).toBeGreaterThanOrEqual(400);
    });

    it('a symlink by a document name to a script is refused; a script name leading to a document does not run', async () => {
      expect((await get('/notes.txt')).status).toBe(403);
      expect((await get('/fake.php')).status).toBe(403);
    });

    it('a directory named x.php is a directory: its files are served, its scripts run', async () => {
      expect((await get('/dir.php', {})).status).toBe(301);
      expect((await get('/dir.php/')).status).toBe(404); // no index, no listing
      const inside = await get('/dir.php/inside.txt');
      expect(inside.status).toBe(200);
      expect(inside.text).toBe('inside a directory named dir.php\n');
      expect((await get('/dir.php/inside.php')).text).toBe('ran inside dir.php\n');
    });

    it('every other method runs the script too, and never reads the file', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
        const r = await get('/source.php', { 'content-length': '0' }, method);
        expect(r.text, method).toBe('ran source.php\n');
      }
    });

    it('pipelined requests for the script and the files beside it are answered in order', async () => {
      const { responses } = await raw(
        s.port,
        'GET /source.php HTTP/1.1\r\nHost: x\r\n\r\nGET /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /source.php.gz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(responses.map((r) => r.status)).toEqual([200, 200, 403]);
      expect(responses.map((r) => r.text.includes(marker))).toEqual([false, false, false]);
    });
  });
});
