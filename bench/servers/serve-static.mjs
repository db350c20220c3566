// Peer: express with serve-static on $ROOT, its defaults.
import express from 'express';
import serveStatic from 'serve-static';
const app = express();
app.use(serveStatic(process.env.ROOT));
const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
server.keepAliveTimeout = 10_000;
