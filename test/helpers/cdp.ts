/**
 * Headless Chromium driven over the DevTools protocol, through the pipe
 * Chromium opens with --remote-debugging-pipe (fd 3 in, fd 4 out, each
 * message JSON ended by a NUL): no WebSocket, no download, just Debian's
 * chromium. Enough of the protocol to load a page, evaluate in it, size it
 * and take screenshots; the browser is killed, with its process group, by its own PID at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export interface Page {
  /** Sends a command to the page's session. */
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Evaluates an expression in the page (awaiting a promise) and gives back its value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Loads a URL and waits for its load event. */
  goto(url: string): Promise<void>;
  /** Waits until an expression is truthy in the page. */
  until(expression: string, ms?: number): Promise<void>;
  /** A PNG of the page as laid out, its full height. */
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openPage(width = 1000, height = 800): Promise<Page> {
  if (!chromium) throw new Error('no Chromium here (apt-get install chromium)');
  const profile = mkdtempSync(join(tmpdir(), 'boxwire-cdp-'));
  const browser: ChildProcess = spawn(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    // A process group of its own, so its helpers (renderer, GPU, zygote) go with it.
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true },
  );
  const input = browser.stdio[3] as Writable;
  const output = browser.stdio[4] as Readable;
  let serial = 0;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(message: { method: string; params: any; sessionId?: string }) => void>();
  let buffered = '';
  output.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(`${message.error.message} (${message.error.code})`));
        else waiter?.resolve(message.result);
      } else for (const listener of listeners) listener(message);
    }
  });
  const gone = new Promise<void>((resolve) => browser.once('exit', () => resolve()));
  gone.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error('Chromium exited'));
  });
  const command = <T>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++serial;
      pending.set(id, { resolve, reject });
      input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const close = async (): Promise<void> => {
    try {
      process.kill(-browser.pid!, 'SIGKILL');
    } catch {
      // The group has gone already.
    }
    await gone;
    // A helper process may still be writing its last files into the profile as it dies.
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  };
  try {
    const { targetId } = await command<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await command<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const send = <T>(method: string, params?: Record<string, unknown>) => command<T>(method, params, sessionId);
    await send('Page.enable');
    await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: width < 600 });
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = await send<{ result: { value: T }; exceptionDetails?: { text: string } }>('Runtime.evaluate', {
        expression,
        awaitPromise: true,
        returnByValue: true,
      });
      if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.text}`);
      return r.result.value;
    };
    return {
      send,
      evaluate,
      goto: async (url) => {
        const loaded = new Promise<void>((resolve) => {
          const listener = (m: { method: string; sessionId?: string }) => {
            if (m.method === 'Page.loadEventFired' && m.sessionId === sessionId) {
              listeners.delete(listener);
              resolve();
            }
          };
          listeners.add(listener);
        });
        await send('Page.navigate', { url });
        await loaded;
      },
      until: async (expression, ms = 10_000) => {
        const deadline = Date.now() + ms;
        while (!(await evaluate<boolean>(`Boolean(${expression})`))) {
          if (Date.now() > deadline) throw new Error(`the page never had ${expression}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      screenshot: async () => {
        const { contentSize } = await send<{ contentSize: { width: number; height: number } }>('Page.getLayoutMetrics');
        const { data } = await send<{ data: string }>('Page.captureScreenshot', {
          format: 'png',
          captureBeyondViewport: true,
          clip: { x: 0, y: 0, width: Math.ceil(contentSize.width), height: Math.ceil(contentSize.height), scale: 1 },
        });
        return Buffer.from(data, 'base64');
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
