/**
 * WebSocket in a real browser: headless Chromium (Debian's package), driven
 * over the DevTools protocol, loads a page that opens its own WebSocket
 * (with permessage-deflate, as Chromium always offers it), and the chat
 * example's page.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chatRoom } from '../../examples/chat/chat.js';
import { chromium, evaluateIn } from '../helpers/chromium.js';
import { startServer } from '../helpers/http.js';
import { echo } from './apps.js';

if (!chromium) console.warn('WebSocket browser test: no Chromium here (apt-get install chromium); .ci/run installs it');

const page = (file: URL) => () => ({ headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: readFileSync(fileURLToPath(file)) });

describe.runIf(chromium)('WebSocket in headless Chromium', () => {
  it("echoes the page's text and binary, compressed, and closes with the page's code", async () => {
    const { port, logs } = await startServer({
      routes: [
        { path: '/echo/', handler: page(new URL('../fixtures/websocket/echo.html', import.meta.url)) },
        { path: '/echo/socket', websocket: echo },
      ],
    });
    const result = await evaluateIn(
      `http://127.0.0.1:${port}/echo/`,
      `(() => { const t = document.getElementById('result')?.textContent; return t && t !== 'running' ? t : null; })()`,
    );
    expect(JSON.parse(result as string)).toEqual({
      extensions: 'permessage-deflate',
      text: true,
      unicode: true,
      binary: true,
      long: true,
      close: [4000, '', true],
    });
    expect(logs.requests.some((r) => /"GET \/echo\/socket HTTP\/1.1" 101 /.test(r.message))).toBe(true);
  }, 60_000);

  it('runs the chat example: the page says a line and hears it back through the Backplane', async () => {
    const { port } = await startServer({
      routes: [
        { path: '/chat/', handler: page(new URL('../../examples/chat/index.html', import.meta.url)) },
        { path: '/chat/socket', ...chatRoom() },
      ],
    });
    const heard = await evaluateIn(
      `http://127.0.0.1:${port}/chat/?say=hello%20room`,
      `document.querySelector('#log li')?.textContent ?? null`,
    );
    expect(heard).toBe('guest: hello room');
  }, 60_000);
});
