// Peer: plain node:http streaming each file from $ROOT with fs.createReadStream (no cache),
// with Content-Length, and a single byte range when asked for one.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
const root = process.env.ROOT;
const server = http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(req.url.split('?')[0]));
  if (!file.startsWith(root + path.sep)) return res.writeHead(403).end();
  fs.stat(file, (error, stats) => {
    if (error || !stats.isFile()) return res.writeHead(404).end();
    let start = 0;
    let end = stats.size - 1;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), end) : end;
      res.writeHead(206, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': end - start + 1,
        'Content-Range': `bytes ${start}-${end}/${stats.size}`,
      });
    } else res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': stats.size });
    fs.createReadStream(file, { start, end }).pipe(res);
  });
});
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
