/**
 * Headless Chromium driven over the DevTools protocol: it is started with
 * --remote-debugging-port=0 (its own temporary profile, stopped by its PID),
 * a page is opened at a URL, and an expression is evaluated in it until it
 * gives a value (or time runs out). For pages whose work outlasts their load
 * (a WebSocket's, say), where --dump-dom would read them too early.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Opens `url` in a fresh headless Chromium and resolves with `expression`'s first value that is not undefined or null. */
export async function evaluateIn(url: string, expression: string, timeout = 20_000): Promise<unknown> {
  const profile = mkdtempSync(join(tmpdir(), 'boxwire-cdp-'));
  const browser = spawn(
    chromium!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const deadline = Date.now() + timeout;
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let said = '';
      const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${said}`)), timeout);
      browser.stderr!.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(said);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
      browser.once('exit', (code) => reject(new Error(`Chromium exited with ${code}: ${said}`)));
    });
    const port = new URL(endpoint).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const target = targets.find((t) => t.type === 'page')!;
    const socket = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    let id = 0;
    const pending = new Map<number, (result: unknown) => void>();
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) pending.get(message.id)?.(message.result);
    });
    const call = (method: string, params: object): Promise<any> =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      });
    await call('Page.navigate', { url });
    try {
      while (Date.now() < deadline) {
        const { result } = await call('Runtime.evaluate', { expression, returnByValue: true });
        if (result?.value !== undefined && result.value !== null) return result.value;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`the page at ${url} gave no value for ${expression} in ${timeout} ms`);
    } finally {
      socket.close();
    }
  } finally {
    await new Promise<void>((resolve) => {
      if (browser.exitCode !== null) return resolve();
      browser.once('exit', () => resolve());
      browser.kill('SIGKILL');
    });
    rmSync(profile, { recursive: true, force: true });
  }
}
