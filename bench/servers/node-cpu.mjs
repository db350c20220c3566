// Peer: the wsgi benchmark's CPU-bound work in a plain node:http handler.
import http from 'node:http';
import { work } from '../apps/work.mjs';
const server = http.createServer((req, res) => {
  const result = work((req.url.split('?')[1] ?? '').length + 1);
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(`${result}\n`);
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
