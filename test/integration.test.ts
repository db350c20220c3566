/**
 * What only the whole server shows: the handlers together, as createServer
 * wires them.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request, startServer } from './helpers/http.js';

const base = mkdtempSync(join(tmpdir(), 'boxwire-together-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('static files and CGI together', () => {
  it('never serves a CGI script as source, even when the document root holds the CGI directory', async () => {
    mkdirSync(join(base, 'cgi'));
    writeFileSync(join(base, 'index.html'), '<p>home</p>');
    writeFileSync(join(base, 'cgi', 'secret.sh'), '#!/bin/sh\n# password=hunter2\nprintf "Content-Type: text/plain\\r\\n\\r\\nran"\n');
    chmodSync(join(base, 'cgi', 'secret.sh'), 0o755);
    const { port } = await startServer({ root: base, cgi: [{ prefix: '/cgi-bin/', path: join(base, 'cgi') }] });
    expect((await request(port, { path: '/' })).text).toBe('<p>home</p>');
    const ran = await request(port, { path: '/cgi-bin/secret.sh' });
    expect([ran.status, ran.text]).toEqual([200, 'ran']);
    for (const path of ['/cgi/secret.sh', '/cgi/', '/./cgi/secret.sh', '/CGI/secret.sh']) {
      const r = await request(port, { path });
      expect(r.status, path).toBe(404);
      expect(r.text, path).not.toContain('hunter2');
    }
  });
});
