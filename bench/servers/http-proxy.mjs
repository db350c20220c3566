// Peer: node's http-proxy package in front of the upstream on UPSTREAM_PORT, with a keep-alive agent to it.
import http from 'node:http';
import httpProxy from 'http-proxy';
const agent = new http.Agent({ keepAlive: true, maxSockets: 128, maxFreeSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${process.env.UPSTREAM_PORT}`, agent, xfwd: true });
proxy.on('error', (_error, _req, res) => {
  res.writeHead?.(502);
  res.end();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 10_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
