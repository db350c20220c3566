// examples/wsgi-server.ts: a WSGI application and a fetch-style one on one thread pool (PORT=0 picks a free port).
import { createServer } from 'boxwire';

const server = createServer({
  port: Number(process.env.PORT ?? 8080),
  root: false,
  cgi: false,
  wsgi: ['/hello/=./examples/wsgi/hello-app.mjs', { prefix: '/api/', module: './examples/wsgi/fetch-hello.mjs', interface: 'fetch' }],
  pool: { minThreads: 2, maxThreads: 8, queueSize: 100, requestTimeout: 30_000 },
});
await server.listen();
console.log(`serving ${server.url}/hello/ and ${server.url}/api/ on threads:`, server.poolStatus);
