/** The demo application, as `npm start` serves it (examples/demo.config.mjs), under /app/. */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/server/config-file.js';
import { request, startServer } from '../helpers/http.js';

describe('the demo application', () => {
  it('is served under /app/ by the demo configuration: hello, then the environ, sorted', async () => {
    const demo = await loadConfig(fileURLToPath(new URL('../../examples/demo.config.mjs', import.meta.url)));
    const { port } = await startServer({ wsgi: demo.wsgi, pool: { minThreads: 1 } });
    const res = await request(port, { path: '/app/some/where?x=1' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    const [hello, blank, ...entries] = res.text.trimEnd().split('\n');
    expect([hello, blank]).toEqual(['Hello world!', '']);
    const keys = entries.map((line) => line.slice(0, line.indexOf(' = ')));
    expect(keys).toEqual([...keys].sort());
    expect(entries).toContain('PATH_INFO = "/some/where"');
    expect(entries).toContain('SCRIPT_NAME = "/app"');
    expect(entries).toContain('wsgi.multithread = true');
    expect(entries).toContain('wsgi.version = [1,0]');
  });
});
