// boxwire: the hello route behind the request stages named in $STAGES (auth, cors, rate, noop, comma-separated; none for the bare route).
import { basicAuth, cors, createServer, rateLimit, requestStage } from '../../dist/src/index.js';
const make = {
  auth: () => basicAuth({ file: process.env.USERS }),
  cors: () => cors(['https://app.example']),
  // A limit the load never reaches: every request takes a token, none is refused.
  rate: () => rateLimit({ rate: 1e9, burst: 1e9 }),
  // A stage that passes every request on as it came: what the stage itself, a component in the graph, costs.
  noop: () => () => requestStage(() => undefined),
};
const names = (process.env.STAGES ?? 'none').split(',').filter((n) => n !== 'none');
const server = createServer({
  port: 0,
  accessLog: false,
  log: { print: false },
  cgi: false,
  root: false,
  before: names.map((name) => make[name]()),
  routes: [{ path: '/', handler: () => ({ headers: { 'Content-Type': 'text/plain' }, body: 'hello world' }) }],
});
await server.listen();
process.send({ port: server.addresses[0].port });
