// Peer: plain node:http answering from memory: every file of $ROOT read once at start,
// each response one writeHead and one end(buffer); a single byte range by slicing.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
const root = process.env.ROOT;
const files = new Map(fs.readdirSync(root).map((name) => [`/${name}`, fs.readFileSync(path.join(root, name))]));
const server = http.createServer((req, res) => {
  const body = files.get(req.url.split('?')[0]);
  if (!body) return res.writeHead(404).end();
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (!m) {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    return res.end(body);
  }
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
  res.writeHead(206, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': end - start + 1,
    'Content-Range': `bytes ${start}-${end}/${body.length}`,
  });
  res.end(body.subarray(start, end + 1));
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
