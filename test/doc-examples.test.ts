/**
 * The runnable examples the docs show whole, run as a user runs them: the built file in a process of
 * its own (`node dist/examples/NAME.js`, PORT=0), talked to over a real socket and stopped by its
 * PID; and the Python example application on python3 processes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from './helpers/http.js';
import { python3, pythonServer } from './helpers/python.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const running: (() => void)[] = [];

afterEach(() => {
  for (const kill of running.splice(0)) kill();
});

/** Starts a built example with PORT=0; resolves with its port once it prints its URL. */
function runExample(name: string): Promise<number> {
  const child = spawn(process.execPath, [`dist/examples/${name}.js`], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(() => child.exitCode === null && child.kill('SIGKILL'));
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no URL within 10 s:\n${out}`)), 10_000);
    const hear = (chunk: Buffer) => {
      out += chunk;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) clearTimeout(timer), resolve(Number(m[1]));
    };
    child.stdout.on('data', hear);
    child.stderr.on('data', hear);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${name} exited with ${code}:\n${out}`))));
  });
}

describe('examples the docs show', () => {
  it('examples/hello-server.ts (README): routes, the key check before the router, the timing component put in by name', async () => {
    const port = await runExample('hello-server');
    const hello = await request(port, { path: '/' });
    expect([hello.status, hello.text]).toEqual([200, 'hello\n']);
    expect(hello.headers['server-timing']).toMatch(/^app;dur=\d+\.\d\d$/);
    expect((await request(port, { path: '/users/7' })).text).toBe('user 7\n');
    const refused = await request(port, { method: 'POST', path: '/echo', body: 'hi' });
    expect(refused.status).toBe(401);
    const echoed = await request(port, { method: 'POST', path: '/echo', body: 'hi', headers: { 'x-api-key': 's3cret' } });
    expect([echoed.status, echoed.text]).toEqual([200, 'hi']);
    // The error page comes after the timing component: a 404 is timed too.
    expect((await request(port, { path: '/nothing/here' })).headers['server-timing']).toMatch(/^app;dur=/);
  });

  it('examples/wsgi-server.ts (docs/wsgi.md): the WSGI and the fetch-style application on one pool', async () => {
    const port = await runExample('wsgi-server');
    const hello = await request(port, { path: '/hello/there' });
    expect([hello.status, hello.headers['content-type'], hello.text]).toEqual([200, 'text/plain; charset=utf-8', 'Hello from /there\n']);
    const api = await request(port, { path: '/api/some/where' });
    expect(JSON.parse(api.text)).toEqual({ path: '/api/some/where', from: '127.0.0.1' });
  });

  it('examples/python/hello.py (docs/python.md): the path as text, the query, and a body echoed', async () => {
    const { port } = await pythonServer(['/hello/=python:hello:application'], { executable: python3, cwd: `${root}examples/python` });
    const hello = await request(port, { path: '/hello/caf%C3%A9?x=1' });
    expect(JSON.parse(hello.text)).toEqual({ hello: '/hello/café', query: 'x=1' });
    const echoed = await request(port, { method: 'POST', path: '/hello/echo', body: 'bytes back' });
    expect(echoed.text).toBe('bytes back');
  });
});
