/**
 * Request bodies to scripts: a 10 MiB POST and chunked uploads arriving
 * intact (checksums), for programs that read CONTENT_LENGTH bytes and for
 * programs that read to end-of-file; bodies the script ignores; 100-continue;
 * bodies that fail on the way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { raw, request, sleep } from '../helpers/http.js';
import { snapshot, expectNoLeaks } from '../helpers/leaks.js';
import { startCgi } from './setup.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function chunked(data: Buffer, sizes: readonly number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const size = Math.min(sizes[i % sizes.length]!, data.length - at);
    parts.push(Buffer.from(`${size.toString(16)}\r\n`), data.subarray(at, at + size), Buffer.from('\r\n'));
    at += size;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

function post(path: string, body: Buffer, headers: Record<string, string> = {}): Buffer {
  const fields = Object.entries({ host: 'x', connection: 'close', 'content-length': String(body.length), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\n${fields}\r\n`), body]);
}

function postChunked(path: string, body: Buffer, sizes: readonly number[]): Buffer {
  return Buffer.concat([
    Buffer.from(`POST ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n`),
    chunked(body, sizes),
  ]);
}

const spoolFiles = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith(`boxwire-body-${process.pid}-`));

describe('CGI request bodies', () => {
  const tenMiB = randomBytes(10 * 1024 * 1024);

  it('a 10 MiB POST reaches a script that reads CONTENT_LENGTH bytes, intact', async () => {
    const { port } = await startCgi();
    const { responses } = await raw(port, post('/cgi-bin/checksum.py', tenMiB), { timeout: 20_000 });
    expect(responses[0]?.status).toBe(200);
    expect(responses[0]!.text).toBe(`${tenMiB.length} ${sha256(tenMiB)}\n`);
  });

  it('a 10 MiB POST reaches a script that reads to end-of-file, intact', async () => {
    const { port } = await startCgi();
    const { responses } = await raw(port, post('/cgi-bin/checksum-eof.sh', tenMiB), { timeout: 20_000 });
    expect(responses[0]!.text).toBe(`${sha256(tenMiB)}  -\n`);
  });

  it('a chunked upload is read in full first (spilling to a file past spillAt), then given with CONTENT_LENGTH', async () => {
    const before = snapshot();
    const { server, port } = await startCgi({ spillAt: 64 * 1024 });
    const body = tenMiB.subarray(0, 3 * 1024 * 1024 + 17);
    for (const script of ['checksum.py', 'checksum-eof.sh']) {
      const { responses } = await raw(port, postChunked(`/cgi-bin/${script}`, body, [1, 4096, 100_000, 65_536, 7]), { timeout: 20_000 });
      expect(responses[0]?.status, script).toBe(200);
      expect(responses[0]!.text, script).toBe(script === 'checksum.py' ? `${body.length} ${sha256(body)}\n` : `${sha256(body)}  -\n`);
    }
    // The temporary file was unlinked as soon as it was opened, and closed after.
    expect(spoolFiles()).toEqual([]);
    await server.stop(200);
    await expectNoLeaks(before);
  });

  it('a small chunked upload stays in memory, and an empty one is CONTENT_LENGTH 0', async () => {
    const { port } = await startCgi();
    const body = Buffer.from('name=chunky&message=in+pieces');
    const { responses } = await raw(port, postChunked('/cgi-bin/checksum.py', body, [3, 5]));
    expect(responses[0]!.text).toBe(`${body.length} ${sha256(body)}\n`);
    const empty = await raw(port, postChunked('/cgi-bin/checksum.py', Buffer.alloc(0), [1]));
    expect(empty.responses[0]!.text).toBe(`0 ${sha256(Buffer.alloc(0))}\n`);
  });

  it('a sample form script echoes a urlencoded POST, escaped', async () => {
    const { port } = await startCgi();
    for (const script of ['form.py', 'form.pl']) {
      const response = await request(port, {
        method: 'POST',
        path: `/samples/${script}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=%3Cb%3EBob%3C%2Fb%3E&message=hi+there',
      });
      expect(response.status, script).toBe(200);
      expect(response.text, script).toContain('<dd>&lt;b&gt;Bob&lt;/b&gt;</dd>');
      expect(response.text, script).toContain('<dd>hi there</dd>');
    }
  });

  it('a script that never reads its body still answers; the unread body does not keep the server busy', async () => {
    const before = snapshot();
    const { server, port } = await startCgi();
    const { responses } = await raw(port, post('/cgi-bin/noread.sh', tenMiB), { timeout: 10_000 });
    expect(responses[0]?.status).toBe(200);
    expect(responses[0]!.text).toBe('not reading that\n');
    await server.stop(200);
    await expectNoLeaks(before);
  });

  it('sends 100 Continue when the script starts reading, then takes the body', async () => {
    const { port } = await startCgi();
    const body = Buffer.from('after the continue');
    const head = `POST /cgi-bin/checksum.py HTTP/1.1\r\nhost: x\r\nconnection: close\r\nexpect: 100-continue\r\ncontent-length: ${body.length}\r\n\r\n`;
    const net = await import('node:net');
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => {
      received.push(c);
      if (Buffer.concat(received).toString().startsWith('HTTP/1.1 100 Continue\r\n\r\n') && received.length === 1) socket.write(body);
    });
    socket.write(head);
    await new Promise((resolve) => socket.on('close', resolve));
    const text = Buffer.concat(received).toString();
    expect(text.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK')).toBe(true);
    expect(text.endsWith(`${body.length} ${sha256(body)}\n`) || text.includes(`${body.length} ${sha256(body)}\n`)).toBe(true);
  });

  it('a chunked body over the server limit is 413, and the script never runs', async () => {
    const { port, logs } = await startCgi({}, { limits: { body: 1024 } });
    const { responses } = await raw(port, postChunked('/cgi-bin/checksum.py', Buffer.alloc(4096, 1), [512]));
    expect(responses[0]?.status).toBe(413);
    expect(logs.errors.some((r) => r.message.includes('413'))).toBe(true);
  });

  it('a body that stops arriving is 408 to a script still waiting for it, and the script is killed', async () => {
    const { port, logs } = await startCgi({}, { timeouts: { body: 300 } });
    const start = Buffer.from('POST /cgi-bin/checksum.py HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\npartial');
    const { responses } = await raw(port, start, { timeout: 5_000 });
    expect(responses[0]?.status).toBe(408);
    expect(logs.errors.some((r) => r.message.includes('408'))).toBe(true);
    await sleep(50);
  });
});
