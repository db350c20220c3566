// Peer: a plain node:http server that runs CGI scripts with child_process.spawn,
// the least a CGI gateway does: find the script, a minimal environment, the body
// to stdin, the header section parsed, the rest of stdout streamed to the client.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../cgi/', import.meta.url));

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const name = url.pathname.slice('/cgi-bin/'.length);
  if (!url.pathname.startsWith('/cgi-bin/') || !/^[\w.-]+$/.test(name) || name.startsWith('.')) {
    res.writeHead(404).end();
    return;
  }
  const child = spawn(root + name, [], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: req.method,
      SCRIPT_NAME: url.pathname,
      QUERY_STRING: url.search.slice(1),
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      SERVER_NAME: 'localhost',
      SERVER_PORT: String(server.address().port),
      REMOTE_ADDR: req.socket.remoteAddress,
    },
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  child.stderr.resume();
  let head = Buffer.alloc(0);
  let started = false;
  child.stdout.on('data', (chunk) => {
    if (started) {
      if (!res.write(chunk)) child.stdout.pause();
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\n\n');
    if (end < 0) return;
    started = true;
    let status = 200;
    const headers = {};
    for (const line of head.subarray(0, end).toString('latin1').split('\n')) {
      const colon = line.indexOf(':');
      const field = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (field.toLowerCase() === 'status') status = parseInt(value, 10);
      else headers[field] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + 2));
  });
  res.on('drain', () => child.stdout.resume());
  child.stdout.on('end', () => (started ? res.end() : res.writeHead(502).end()));
  child.on('error', () => res.headersSent || res.writeHead(500).end());
  res.on('close', () => child.exitCode === null && child.kill());
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
