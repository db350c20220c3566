/** The demo application, as the command serves it by default (npm start), under /app/. */
import { describe, expect, it } from 'vitest';
import { parseArgs, serverFlags } from '../../src/cli/args.js';
import { withWsgiDefaults, wsgiFlags } from '../../src/cli/flags-wsgi.js';
import { request, startServer } from '../helpers/http.js';

describe('the demo application', () => {
  it('is served under /app/ by default: hello, then the environ, sorted', async () => {
    const { options } = parseArgs(['--min-threads', '1'], [...serverFlags, ...wsgiFlags]);
    const { port } = await startServer(withWsgiDefaults(options));
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
