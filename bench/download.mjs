// A load generator for large downloads: autocannon parses every byte of every body and tops
// out far below what the servers can send, so for the big-file scenario each connection
// here just counts bytes against Content-Length, on keep-alive, as fast as the server sends.
// Returns the same row shape as harness.mjs's load().
//
// `downloadInChild` runs it in a fresh process: after a long autocannon session the bench's
// own process is slow enough (a large heap, long collections) to become the bottleneck of a
// download and blur the comparison.
import net from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measured } from './harness.mjs';

const self = fileURLToPath(import.meta.url);

export function downloadInChild(url, options = {}) {
  const child = fork(self, [JSON.stringify({ url, options })], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code) => (code ? reject(new Error(`download client exited with ${code}`)) : undefined));
  });
}

if (process.argv[1] === self && process.send) {
  const { url, options } = JSON.parse(process.argv[2]);
  process.send(await download(url, options), () => process.exit(0));
}

export async function download(url, { connections = 4, duration = 5, headers = {} } = {}) {
  const { hostname, port, pathname } = new URL(url);
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request = `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\n${extra}\r\n`;
  const latencies = [];
  let bytes = 0;
  let errors = 0;
  let non2xx = 0;
  let stopping = false;
  const runOne = () =>
    new Promise((resolve) => {
      const socket = net.connect(Number(port), hostname);
      let head = Buffer.alloc(0);
      let remaining = -1;
      let started = 0;
      const send = () => {
        if (stopping) return socket.destroy();
        started = performance.now();
        head = Buffer.alloc(0);
        remaining = -1;
        socket.write(request);
      };
      socket.on('connect', send);
      socket.on('data', (chunk) => {
        if (remaining < 0) {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          const text = head.toString('latin1', 0, end);
          const status = Number(text.slice(9, 12));
          if (status < 200 || status >= 300) non2xx++;
          const length = /\r\ncontent-length: *(\d+)/i.exec(text);
          if (!length) {
            errors++;
            return socket.destroy();
          }
          remaining = Number(length[1]);
          chunk = head.subarray(end + 4);
        }
        remaining -= chunk.length;
        bytes += chunk.length;
        if (remaining <= 0) {
          latencies.push(performance.now() - started);
          send();
        }
      });
      socket.on('error', () => errors++);
      socket.on('close', resolve);
    });
  const runs = Array.from({ length: connections }, runOne);
  const began = performance.now();
  await new Promise((r) => setTimeout(r, duration * 1000));
  stopping = true;
  const seconds = (performance.now() - began) / 1000;
  await Promise.all(runs);
  return measured({ latencies, bytes, seconds, errors, non2xx });
}
