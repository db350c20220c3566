/**
 * For pages whose work outlasts their load (a WebSocket's, say), where
 * --dump-dom would read them too early: open a URL in headless Chromium
 * (cdp.ts) and evaluate an expression in it until it gives a value.
 */
import { openPage } from './cdp.js';

export { chromium } from './cdp.js';

/** Opens `url` in a fresh headless Chromium and resolves with `expression`'s first value that is not undefined or null. */
export async function evaluateIn(url: string, expression: string, timeout = 20_000): Promise<unknown> {
  const deadline = Date.now() + timeout;
  const page = await openPage();
  try {
    await page.goto(url);
    while (Date.now() < deadline) {
      const value = await page.evaluate<unknown>(expression);
      if (value !== undefined && value !== null) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the page at ${url} gave no value for ${expression} in ${timeout} ms`);
  } finally {
    await page.close();
  }
}
