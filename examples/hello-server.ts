// examples/hello-server.ts: routes, a request stage, and the per-connection graph edited by name (PORT=0: a free port).
import { createServer, map, readText, requestStage, stageAnswer, type HttpResponse } from 'boxwire';

const key = process.env.API_KEY ?? 's3cret';
// A request stage: a POST without the key is answered 401 here and never reaches the router.
const apiKey = () =>
  requestStage((req) => (req.method !== 'POST' || req.headers.get('x-api-key') === key ? req : stageAnswer(req, { status: 401 })));
// A component put into the graph by name, between the router and the error page: every response says how long it took.
const timing = () =>
  map((res: HttpResponse) => ({
    ...res,
    headers: res.headers.clone().set('Server-Timing', `app;dur=${(performance.now() - res.request.received).toFixed(2)}`),
  }));

const server = createServer({
  port: Number(process.env.PORT ?? 8080),
  routes: [
    { path: '/', handler: () => ({ body: 'hello\n' }) },
    { path: '/users/:id', methods: ['GET'], handler: (req) => ({ body: `user ${req.params!.id}\n` }) },
    { path: '/echo', methods: ['POST'], handler: async (req) => ({ body: await readText(req.body, 1 << 20) }) },
  ],
  before: [apiKey],
  connection: (plan) => plan.insert('timing', timing, { after: 'router', before: 'errorPage' }),
});
await server.listen();
console.log(`listening on ${server.url}`);
