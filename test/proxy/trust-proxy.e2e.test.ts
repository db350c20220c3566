/**
 * Behind a trusted proxy, everything after the trusted-proxy stage reads
 * the client from `request.connection`: the access log, CGI's REMOTE_ADDR
 * and HTTPS, WSGI's REMOTE_ADDR and wsgi.url_scheme (JavaScript and
 * Python), and the stages and handlers of the user's own. From anyone else,
 * forwarding fields change nothing and reach scripts as what they are.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { request, waitFor } from '../helpers/http.js';
import { startCgi } from '../cgi/setup.js';
import { pythonServer } from '../helpers/python.js';
import { requestStage } from '../../components/request-stage.js';

const pep3333 = fileURLToPath(new URL('../fixtures/wsgi/pep3333.mjs', import.meta.url));
const forwarded = { 'x-forwarded-for': '6.6.6.6, 198.51.100.7', 'x-forwarded-proto': 'https' };

describe('behind a trusted proxy', () => {
  it('the access log, CGI, WSGI and the stages after it all see the client the proxy named, and its scheme', async () => {
    const seen: string[] = [];
    const { port, logs } = await startCgi(
      {},
      {
        trustProxy: ['loopback'],
        accessLog: 'combined',
        wsgi: [{ prefix: '/app/', module: pep3333 }],
        pool: { minThreads: 1, maxThreads: 1 },
        before: [() => requestStage((r) => void seen.push(`${r.connection.remoteAddress} ${r.connection.peer?.remoteAddress}`))],
      },
    );
    const cgi = JSON.parse((await request(port, { path: '/cgi-bin/env.py', headers: forwarded })).text) as { env: Record<string, string> };
    expect(cgi.env).toMatchObject({
      REMOTE_ADDR: '198.51.100.7',
      REMOTE_HOST: '198.51.100.7',
      HTTPS: 'on',
      HTTP_X_FORWARDED_FOR: '6.6.6.6, 198.51.100.7',
    });
    const wsgi = JSON.parse((await request(port, { path: '/app/environ', headers: forwarded })).text) as Record<string, string>;
    expect(wsgi).toMatchObject({ REMOTE_ADDR: '198.51.100.7', HTTPS: 'on', 'wsgi.url_scheme': 'https' });
    expect(seen).toEqual(['198.51.100.7 127.0.0.1', '198.51.100.7 127.0.0.1']);
    await waitFor(() => logs.requests.length === 2);
    for (const line of logs.requests) expect(line.message).toMatch(/^198\.51\.100\.7 - - \[/);
  });

  it('a Python application sees the client and the scheme too', async () => {
    const { port } = await pythonServer(undefined, {}, { trustProxy: ['127.0.0.1'] });
    const environ = JSON.parse((await request(port, { path: '/py/environ', headers: forwarded })).text) as Record<string, string>;
    expect(environ).toMatchObject({
      REMOTE_ADDR: '198.51.100.7',
      'wsgi.url_scheme': 'https',
      HTTP_X_FORWARDED_FOR: '6.6.6.6, 198.51.100.7',
    });
  });

  it('from a peer that is not trusted, the fields change nothing, and scripts still see them as the client’s say-so', async () => {
    const { port, logs } = await startCgi(
      {},
      { trustProxy: ['10.0.0.0/8'], accessLog: 'common', wsgi: [{ prefix: '/app/', module: pep3333 }] },
    );
    const cgi = JSON.parse((await request(port, { path: '/cgi-bin/env.py', headers: forwarded })).text) as { env: Record<string, string> };
    expect(cgi.env.REMOTE_ADDR).toBe('127.0.0.1');
    expect(cgi.env.HTTPS).toBeUndefined();
    expect(cgi.env.HTTP_X_FORWARDED_FOR).toBe('6.6.6.6, 198.51.100.7');
    const wsgi = JSON.parse((await request(port, { path: '/app/environ', headers: forwarded })).text) as Record<string, string>;
    expect(wsgi).toMatchObject({ REMOTE_ADDR: '127.0.0.1', 'wsgi.url_scheme': 'http', HTTP_X_FORWARDED_FOR: '6.6.6.6, 198.51.100.7' });
    await waitFor(() => logs.requests.length === 2);
    for (const line of logs.requests) expect(line.message).toMatch(/^127\.0\.0\.1 - - \[/);
  });
});
