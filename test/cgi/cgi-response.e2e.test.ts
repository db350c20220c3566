/**
 * What scripts write, and what the client gets: documents, local and client
 * redirects, nph- scripts, malformed output (502), stderr on the errors
 * channel, streaming with backpressure, and the sample scripts.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { raw, request, sleep, waitFor } from '../helpers/http.js';
import { startCgi } from './setup.js';

describe('CGI responses', () => {
  it('the sample hello scripts in sh, python3 and perl', async () => {
    const { port } = await startCgi();
    for (const [script, text] of [
      ['hello.sh', 'sh'],
      ['hello.py', 'python3'],
      ['hello.pl', 'perl'],
    ]) {
      const response = await request(port, { path: `/samples/${script}` });
      expect(response.status, script).toBe(200);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.text).toBe(`Hello, world! (${text})\n`);
      // No length from the script: chunked on HTTP/1.1.
      expect(response.headers['transfer-encoding']).toBe('chunked');
    }
  });

  it('a body without a length is close-delimited on HTTP/1.0', async () => {
    const { port } = await startCgi();
    const { responses, closed } = await raw(port, 'GET /samples/hello.sh HTTP/1.0\r\n\r\n');
    expect(closed).toBe(true);
    expect(responses[0]!.headers['transfer-encoding']).toBeUndefined();
    expect(responses[0]!.text).toBe('Hello, world! (sh)\n');
  });

  it('the sample environment dumps escape what the client sent', async () => {
    const { port } = await startCgi();
    for (const script of ['env.py', 'env.pl']) {
      const response = await request(port, { path: `/samples/${script}?<script>`, headers: { 'x-evil': '<img src=x onerror=alert(1)>' } });
      expect(response.status, script).toBe(200);
      expect(response.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(response.text).not.toContain('<img');
      expect(response.text).not.toContain('<script>');
    }
  });

  it('a local Location is an internal redirect: the client gets what that path gives, as a GET', async () => {
    const { port } = await startCgi();
    const response = await request(port, {
      method: 'POST',
      path: '/cgi-bin/local.sh?orig=1',
      headers: { 'content-type': 'text/plain' },
      body: 'posted',
    });
    expect(response.status).toBe(200);
    const { env } = JSON.parse(response.text) as { env: Record<string, string> };
    expect(env).toMatchObject({
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/cgi-bin/env.py',
      PATH_INFO: '/moved',
      QUERY_STRING: 'from=local',
      REQUEST_URI: '/cgi-bin/env.py/moved?from=local',
    });
    expect(env.CONTENT_LENGTH).toBeUndefined();
    expect(env.CONTENT_TYPE).toBeUndefined();
    expect(response.text).not.toContain('never sent');
    // The sample: local by default, the other script's answer.
    const sample = await request(port, { path: '/samples/redirect.sh' });
    expect(sample.status).toBe(200);
    expect(sample.text).toBe('Hello, world! (sh)\n');
  });

  it('a local redirect keeps HEAD a HEAD', async () => {
    const { port } = await startCgi();
    const { responses, bytes } = await raw(port, 'HEAD /samples/redirect.sh HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', {
      methods: ['HEAD'],
    });
    expect(responses[0]!.status).toBe(200);
    expect(bytes.toString()).not.toContain('Hello');
  });

  it('a redirect loop ends in a 500 after 10 internal redirects', async () => {
    const { port, logs } = await startCgi();
    const response = await request(port, { path: '/cgi-bin/loop.sh' });
    expect(response.status).toBe(500);
    expect(logs.errors.some((r) => r.message.includes('too many internal redirects'))).toBe(true);
  });

  it('an absolute Location is a 302 to the client; with a Status and a document, both are kept', async () => {
    const { port } = await startCgi();
    const sample = await request(port, { path: '/samples/redirect.sh?client' });
    expect(sample.status).toBe(302);
    expect(sample.headers.location).toBe('https://example.org/');
    const moved = await request(port, { path: '/cgi-bin/client.sh' });
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe('https://example.org/new');
    expect(moved.rawHeaders.filter(([name]) => name === 'Set-Cookie').map(([, v]) => v)).toEqual(['a=1', 'b=2']);
    expect(moved.text).toBe('<a href="https://example.org/new">moved</a>\n');
  });

  it('an nph- script writes the whole response; its bytes reach the client unchanged and the connection closes', async () => {
    const { port, logs } = await startCgi();
    const { bytes, closed } = await raw(port, 'GET /samples/nph-hello.sh HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(closed).toBe(true);
    expect(bytes.toString()).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n' +
        'Hello from an nph- script: every byte of this response was written by nph-hello.sh.\n',
    );
    const streamed = await raw(port, 'GET /cgi-bin/nph-slow.sh HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(streamed.bytes.toString()).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart two\n');
    await waitFor(() => logs.requests.length >= 2);
    expect(logs.requests[0]!.message).toMatch(/"GET \/samples\/nph-hello.sh HTTP\/1.1" 200 \d+/);
  });

  it('an nph- script without a status line is a 502', async () => {
    const { port } = await startCgi();
    expect((await request(port, { path: '/cgi-bin/nph-bad.sh' })).status).toBe(502);
  });

  it('malformed or missing output is a 502, logged with the reason', async () => {
    const { port, logs } = await startCgi();
    for (const [script, reason] of [
      ['bad.sh', 'not a header field'],
      ['silent.sh', 'the script wrote nothing'],
      ['crash.py', 'the script wrote nothing'],
    ]) {
      const response = await request(port, { path: `/cgi-bin/${script}` });
      expect(response.status, script).toBe(502);
      await waitFor(() => logs.errors.some((r) => r.message.includes(`502 GET /cgi-bin/${script}`) && r.message.includes(reason)));
    }
    // The crash's traceback, line by line, tagged with the script; the exit status of the silent one.
    await waitFor(() => logs.errors.some((r) => r.message.includes('/cgi-bin/crash.py: RuntimeError: boom from crash.py')));
    await waitFor(() => logs.errors.some((r) => r.message.includes('/cgi-bin/silent.sh exited with status 3')));
  });

  it('stderr lines go to the errors channel, tagged with the script', async () => {
    const { port, logs } = await startCgi();
    const response = await request(port, { path: '/cgi-bin/stderr.sh' });
    expect(response.text).toBe('ok');
    await waitFor(() => logs.errors.filter((r) => r.message.includes('/cgi-bin/stderr.sh:')).length === 3);
    const lines = logs.errors.filter((r) => r.message.includes('/cgi-bin/stderr.sh:'));
    expect(lines.map((r) => r.message.replace(/^.*\/cgi-bin\/stderr\.sh: /, ''))).toEqual([
      'first complaint',
      'second complaint',
      'third, without a newline',
    ]);
    expect(lines[0]!.level).toBe('warn');
    expect(lines[0]!.fields).toMatchObject({ script: expect.stringContaining('stderr.sh') as unknown });
  });

  it('HEAD runs the script and sends its head only', async () => {
    const { port } = await startCgi();
    const { responses, bytes } = await raw(port, 'HEAD /samples/hello.py HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', {
      methods: ['HEAD'],
    });
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(bytes.toString()).not.toContain('Hello');
  });

  it("streams: the slow sample's first line arrives long before its last", async () => {
    const { port } = await startCgi();
    const socket = net.connect(port, '127.0.0.1');
    const start = Date.now();
    const arrivals: [number, string][] = [];
    socket.on('data', (chunk: Buffer) => arrivals.push([Date.now() - start, chunk.toString()]));
    socket.write('GET /samples/slow.py?n=3&delay=0.4 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    const first = arrivals.find(([, text]) => text.includes('line 1 of 3'))!;
    const last = arrivals.find(([, text]) => text.includes('line 3 of 3'))!;
    expect(last[0] - first[0]).toBeGreaterThanOrEqual(700);
  });

  it('backpressure: a client that does not read holds the script up at a few buffers, and then gets every byte', async () => {
    const { port, logs } = await startCgi({ timeLimit: 15_000 });
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write('GET /cgi-bin/big.py?64 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    const written = (): number => {
      const lines = logs.errors.filter((r) => r.message.includes('/cgi-bin/big.py: wrote'));
      return lines.length === 0 ? 0 : Number(/wrote (\d+) MiB/.exec(lines.at(-1)!.message)![1]);
    };
    await waitFor(() => written() >= 1);
    await sleep(700);
    const stalled = written();
    await sleep(300);
    // The script is blocked in write: 64 MiB would take a fraction of this time otherwise.
    expect(written()).toBe(stalled);
    expect(stalled).toBeLessThan(24);
    let total = 0;
    const done = new Promise((resolve) => socket.on('close', resolve));
    socket.on('data', (chunk: Buffer) => (total += chunk.length));
    socket.resume();
    await done;
    expect(total).toBeGreaterThan(64 * 1024 * 1024);
    expect(written()).toBe(64);
  });
});
