/**
 * Request stages over real sockets: `before` stages between the parser and
 * the router, a route's own `before`, and the connection graph edited by name.
 */
import { describe, expect, it } from 'vitest';
import { raw, request, startServer } from '../helpers/http.js';
import { requestStage, stageAnswer } from '../../components/request-stage.js';
import { map, tap } from '../../components/transform.js';
import { Sink } from '../../components/sink.js';
import { logRecord } from '../../src/core/log.js';
import { HttpError } from '../../src/http/errors.js';
import { respond, type HttpRequest, type HttpResponse, type Sent } from '../../src/http/messages.js';
import { readText } from '../../src/http/request-body.js';
import type { Route } from '../../components/request-router.js';

const echoPath: Route = { path: '*', handler: (req) => ({ body: `${req.method} ${req.path}` }) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('request stages (before)', () => {
  it('see each request before the router: pass it on, change it, or answer it', async () => {
    const seen: string[] = [];
    const watch = () => requestStage((req) => void seen.push(req.path));
    const strip = () => requestStage((req) => (req.path.startsWith('/v1/') ? { ...req, path: req.path.slice(3) } : req));
    const guard = () => requestStage((req) => (req.headers.get('x-key') === 'ok' ? undefined : stageAnswer(req, { status: 403 })));
    const { port, logs } = await startServer({ routes: [echoPath], before: [watch, strip, guard] });
    expect((await request(port, { path: '/v1/a', headers: { 'x-key': 'ok' } })).text).toBe('GET /a');
    const refused = await request(port, { path: '/b' });
    expect(refused.status).toBe(403);
    // The answer went through the error page: a page, and a line on the errors channel.
    expect(refused.headers['content-type']).toMatch(/text\/html/);
    expect(logs.errors!.some((r) => r.message.startsWith('403 GET /b'))).toBe(true);
    expect(seen).toEqual(['/v1/a', '/b']);
  });

  it('answer in request order on one connection, whichever answers first', async () => {
    // The first request is held by an async stage; the second is answered by it at once.
    const slow = () =>
      requestStage(async (req) => {
        if (req.path === '/slow') await sleep(80);
        return req.path === '/deny' ? stageAnswer(req, { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="x"' } }) : req;
      });
    const { port } = await startServer({ routes: [echoPath], before: [slow] });
    const { responses } = await raw(
      port,
      'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /deny HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(responses.map((r) => [r.status, r.status === 200 ? r.text : r.headers['www-authenticate']])).toEqual([
      [200, 'GET /slow'],
      [401, 'Basic realm="x"'],
      [200, 'GET /fast'],
    ]);
  });

  it('contain a stage that throws or rejects: that request gets its status, the connection and the server go on', async () => {
    const bad = () =>
      requestStage(async (req) => {
        if (req.path === '/throw') throw new Error('stage bug');
        if (req.path === '/teapot') throw new HttpError(418);
        return req;
      });
    const sync = () =>
      requestStage((req) => {
        if (req.path === '/sync-throw') throw new TypeError('sync stage bug');
      });
    const { port, logs } = await startServer({ routes: [echoPath], before: [sync, bad] });
    const { responses } = await raw(
      port,
      'GET /throw HTTP/1.1\r\nHost: x\r\n\r\nGET /sync-throw HTTP/1.1\r\nHost: x\r\n\r\nGET /teapot HTTP/1.1\r\nHost: x\r\n\r\nGET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(responses.map((r) => r.status)).toEqual([500, 500, 418, 200]);
    expect(logs.errors!.find((r) => r.message.startsWith('500 GET /throw'))?.fields?.stack).toMatch(/stage bug/);
    expect((await request(port, { path: '/after' })).status).toBe(200);
  });

  it('leave an answered request body for the server to drain, and the connection on', async () => {
    const deny = () => requestStage((req) => (req.method === 'POST' ? stageAnswer(req, { status: 401 }) : req));
    const post: Route = { path: '/p', methods: ['GET', 'POST'], handler: async (req) => ({ body: await readText(req.body) }) };
    const { port } = await startServer({ routes: [post], before: [deny] });
    const { responses } = await raw(
      port,
      'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(responses.map((r) => r.status)).toEqual([401, 200]);
  });
});

describe("a route's own stages", () => {
  it('run before that route only, made fresh per request', async () => {
    let made = 0;
    const admin = () => {
      made++;
      return requestStage((req) =>
        req.headers.get('authorization') === 'Bearer yes' ? { ...req, path: `${req.path}!` } : stageAnswer(req, { status: 401 }),
      );
    };
    const routes: Route[] = [
      { path: '/admin/*', before: [admin], handler: (req) => ({ body: `admin ${req.path} ${req.params!['*']}` }) },
      { path: '/open', handler: () => ({ body: 'open' }) },
    ];
    const { port } = await startServer({ routes });
    const madeAtStart = made;
    expect((await request(port, { path: '/admin/x' })).status).toBe(401);
    expect((await request(port, { path: '/admin/y', headers: { authorization: 'Bearer yes' } })).text).toBe('admin /admin/y! /y');
    expect((await request(port, { path: '/open' })).text).toBe('open');
    expect(made - madeAtStart).toBe(2);
  });

  it('hand the request on to a task or a component handler too, and a stage that throws is a 500', async () => {
    const routes: Route[] = [
      {
        path: '/t',
        before: [() => requestStage((req) => req)],
        task: (req, call) => (call.answer(respond(req, { body: 'task' })), call.end(), { cancel() {} }),
      },
      { path: '/boom', before: [() => requestStage(() => Promise.reject(new Error('nope')))], handler: () => ({ body: 'never' }) },
    ];
    const { port } = await startServer({ routes });
    expect((await request(port, { path: '/t' })).text).toBe('task');
    expect((await request(port, { path: '/boom' })).status).toBe(500);
  });

  it('are refused at construction when a factory is not one', async () => {
    await expect(startServer({ routes: [{ path: '/', before: ['x' as never], handler: () => ({}) }] })).rejects.toThrow(
      /"before" must be an array of component factories/,
    );
  });
});

describe('the connection graph, edited by name', () => {
  it('inserts a component between two named children, replaces one, and taps a box', async () => {
    const sent: Sent[] = [];
    const { port, server, logs } = await startServer({
      routes: [echoPath],
      connection: (plan) =>
        plan
          .insert('strip', () => map((req: HttpRequest) => ({ ...req, path: req.path.replace(/^\/v1/, '') })), {
            after: 'parser',
            before: 'router',
          })
          .replace('accessLog', () => map((s: Sent) => logRecord('requests', 'info', `${s.status} ${s.request.path}`)))
          .tap('responder.sent', 'watch', () => tap((s: Sent) => void sent.push(s))),
    });
    expect((await request(port, { path: '/v1/hello' })).text).toBe('GET /hello');
    expect(sent.map((s) => s.status)).toEqual([200]);
    expect(logs.requests!.map((r) => r.message)).toEqual(['200 /hello']);
    const names = server.connectionPlan.children.map((c) => c.name);
    expect(names).toEqual(['parser', 'strip', 'router', 'errorPage', 'responder', 'accessLog', 'watch']);
  });

  it('places response stages (after, and its old name stages) and names them in the plan', async () => {
    const header = () => map((r: HttpResponse) => ({ ...r, headers: r.headers.clone().set('X-After', '1') }));
    const { port, server } = await startServer({ routes: [echoPath], after: [header] });
    expect((await request(port)).headers['x-after']).toBe('1');
    expect(server.connectionPlan.links).toContainEqual(['router.outbox', 'after0.inbox']);
    await expect(startServer({ after: [header], stages: [header] })).rejects.toThrow(/not both/);
  });

  it('refuses, when the server is made, an edit that does not give back a plan or links a box a child lacks', async () => {
    await expect(startServer({ connection: () => 'nope' as never })).rejects.toThrow(/must return the plan/);
    await expect(startServer({ connection: (plan) => plan.replace('accessLog', () => new Sink()) })).rejects.toThrow(
      /option "connection": .*accessLog has no outbox "outbox"/,
    );
  });
});
