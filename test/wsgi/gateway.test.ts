/**
 * WsgiGateway as a task: a request in, a job out to the pool; the pool's
 * replies in, the response out to the router. No threads here, and no
 * router: the test plays the pool, reading what reaches its `jobs` inbox and
 * writing to the reply box the job names, and plays the router, keeping
 * what the gateway answers, logs and when it ends.
 */
import { describe, expect, it } from 'vitest';
import type { Box } from '../../src/core/box.js';
import type { LogRecord } from '../../src/core/log.js';
import { Sink } from '../../components/sink.js';
import type { HandlerCall } from '../../components/request-router.js';
import { HeaderMap } from '../../src/http/headers.js';
import type { HttpRequest, HttpResponse, Reroute, StreamBody } from '../../src/http/messages.js';
import { RequestBody } from '../../src/http/request-body.js';
import { WsgiGateway } from '../../components/wsgi/gateway.js';
import { creditWindow, type FromGateway, type JobRequest } from '../../components/wsgi/messages.js';
import { expectNoLeaks, snapshot } from '../helpers/leaks.js';

function request(body?: RequestBody): HttpRequest {
  return {
    type: 'request',
    seq: 0,
    method: body ? 'POST' : 'GET',
    target: '/app/x?q=1',
    path: '/app/x',
    rawPath: '/app/x',
    query: 'q=1',
    version: 'HTTP/1.1',
    headers: new HeaderMap([['Host', 'example.com']]),
    host: 'example.com',
    hostPort: undefined,
    connection: {
      id: 1,
      remoteAddress: '127.0.0.1',
      remotePort: 5000,
      localAddress: '127.0.0.1',
      localPort: 8080,
      family: 'IPv4',
      secure: false,
    },
    body,
    keepAlive: true,
    received: 0,
    mount: '/app',
    params: { '*': '/x' },
  };
}

function harness(body?: RequestBody) {
  const jobs = new Sink<FromGateway>().start();
  const out: HttpResponse[] = [];
  const log: LogRecord[] = [];
  let ends = 0;
  // The router's side, as plain as it gets: its boundary runs everything at once.
  const call: HandlerCall = {
    answer: (answer: HttpResponse | Reroute) => void out.push(answer as HttpResponse),
    end: () => void ends++,
    log: (record) => void log.push(record),
    run: (work) => work(),
    dispatchTo: (handler, message) => handler(message),
  };
  const gateway = new WsgiGateway(request(body), call, jobs.inboxes.inbox as Box<FromGateway>, 3, { serverSoftware: 'test' });
  const job = jobs.received[0] as JobRequest;
  const stop = async () => {
    gateway.cancel();
    await jobs.shutdown();
  };
  return { gateway, job, jobs: jobs.received, out, log, ends: () => ends, id: job.id, reply: job.reply, stop };
}

describe('WsgiGateway', () => {
  it('sends one job: the application, the environ, whether there is a body, and where to reply', async () => {
    const before = snapshot();
    const h = harness();
    expect(h.job).toMatchObject({ type: 'job', app: 3, hasBody: false, label: 'GET /app/x?q=1 HTTP/1.1' });
    expect(h.job.environ).toMatchObject({ SCRIPT_NAME: '/app', PATH_INFO: '/x', QUERY_STRING: 'q=1', SERVER_SOFTWARE: 'test' });
    expect(h.reply.closed).toBe(false);
    await h.stop();
    // Called off: the job is cancelled, its reply box closed, and the router told once.
    expect(h.jobs.map((m) => m.type)).toEqual(['job', 'cancel']);
    expect(h.reply.closed).toBe(true);
    expect(h.ends()).toBe(1);
    await expectNoLeaks(before);
  });

  it('answers a whole response at once and finishes', async () => {
    const before = snapshot();
    const h = harness();
    h.reply.send({ type: 'head', id: h.id, status: 201, headers: [['Content-Type', 'text/plain']], body: 'made', last: true });
    expect(h.out).toHaveLength(1);
    expect([h.out[0]!.status, h.out[0]!.headers.get('content-type'), h.out[0]!.body]).toEqual([201, 'text/plain', 'made']);
    expect(h.ends()).toBe(1);
    expect(h.reply.closed).toBe(true);
    // Done with its job: calling it off now sends no cancel, and it ends only once.
    h.gateway.cancel();
    expect(h.jobs.map((m) => m.type)).toEqual(['job']);
    expect(h.ends()).toBe(1);
    await h.stop();
    await expectNoLeaks(before);
  });

  it('hands a file to the responder as a FileBody', async () => {
    const h = harness();
    h.reply.send({ type: 'head', id: h.id, status: 200, headers: [], file: { path: '/tmp/x', start: 0, end: 10 }, last: true });
    expect(h.out[0]!.body).toEqual({ type: 'file', path: '/tmp/x', start: 0, end: 10 });
    await h.stop();
  });

  it('streams: chunks wait for the responder, credit follows what it takes, the end finishes the gateway', async () => {
    const before = snapshot();
    const h = harness();
    h.reply.send({ type: 'head', id: h.id, status: 200, headers: [], body: 'a', last: false });
    const iterator = (h.out[0]!.body as StreamBody)[Symbol.asyncIterator]();
    h.reply.send({ type: 'chunk', id: h.id, chunk: 'bb', last: false });
    expect(await iterator.next()).toEqual({ done: false, value: 'a' });
    expect(await iterator.next()).toEqual({ done: false, value: 'bb' });
    // Nothing else waits: the thread gets credit for all of it at once.
    expect(h.jobs.filter((m) => m.type === 'credit')).toEqual([{ type: 'credit', id: h.id, bytes: 3, chunks: 2 }]);
    const pending = iterator.next();
    h.reply.send({ type: 'chunk', id: h.id, chunk: new Uint8Array([1, 2]), last: false });
    expect(await pending).toEqual({ done: false, value: new Uint8Array([1, 2]) });
    h.reply.send({ type: 'end', id: h.id });
    expect(h.ends()).toBe(0);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(h.ends()).toBe(1);
    expect(h.jobs.some((m) => m.type === 'cancel')).toBe(false);
    await h.stop();
    await expectNoLeaks(before);
  });

  it('credits in batches while chunks keep waiting', async () => {
    const h = harness();
    h.reply.send({ type: 'head', id: h.id, status: 200, headers: [], body: 'x', last: false });
    for (let i = 0; i < 40; i++) h.reply.send({ type: 'chunk', id: h.id, chunk: 'x', last: false });
    const iterator = (h.out[0]!.body as StreamBody)[Symbol.asyncIterator]();
    for (let i = 0; i < 20; i++) await iterator.next();
    expect(h.jobs.filter((m) => m.type === 'credit')).toEqual([
      { type: 'credit', id: h.id, bytes: creditWindow.chunks / 4, chunks: creditWindow.chunks / 4 },
    ]);
    await h.stop();
  });

  it('feeds the request body one chunk per ask, then its end', async () => {
    const body = new RequestBody(5);
    const h = harness(body);
    expect(h.job.hasBody).toBe(true);
    h.reply.send({ type: 'wantInput', id: h.id });
    body.push(Buffer.from('hel'));
    await new Promise((r) => setImmediate(r));
    h.reply.send({ type: 'wantInput', id: h.id });
    body.push(Buffer.from('lo'));
    body.end();
    await new Promise((r) => setImmediate(r));
    h.reply.send({ type: 'wantInput', id: h.id });
    await new Promise((r) => setImmediate(r));
    expect(h.jobs.slice(1).map((m) => (m.type === 'input' ? Buffer.from(m.chunk).toString() : m.type))).toEqual(['hel', 'lo', 'inputEnd']);
    await h.stop();
  });

  it('passes on a body that fails, with its status', async () => {
    const body = new RequestBody(undefined);
    const h = harness(body);
    h.reply.send({ type: 'wantInput', id: h.id });
    const { HttpError } = await import('../../src/http/errors.js');
    body.fail(new HttpError(413, 'too big'));
    await new Promise((r) => setImmediate(r));
    expect(h.jobs[1]).toEqual({ type: 'inputError', id: h.id, status: 413, message: 'too big' });
    await h.stop();
  });

  it('answers a failure before the head with its status; a 503 says when to retry', async () => {
    const h = harness();
    h.reply.send({ type: 'failed', id: h.id, status: 503, message: 'queue full' });
    const response = h.out[0]!;
    expect([response.status, response.body, response.headers.get('retry-after'), (response.error as Error).message]).toEqual([
      503,
      undefined,
      '1',
      'queue full',
    ]);
    expect(h.ends()).toBe(1);
    await h.stop();
  });

  it('cuts the response short on a failure after the head, and logs the application error', async () => {
    const h = harness();
    h.reply.send({ type: 'head', id: h.id, status: 200, headers: [], body: 'part', last: false });
    const iterator = (h.out[0]!.body as StreamBody)[Symbol.asyncIterator]();
    await iterator.next();
    h.reply.send({ type: 'failed', id: h.id, status: 500, message: 'boom', stack: 'Error: boom\n    at app.mjs:1' });
    await expect(iterator.next()).rejects.toThrow('boom');
    expect(h.log[0]!.message).toMatch(/GET \/app\/x\?q=1 HTTP\/1\.1: the application failed after its response began: boom/);
    expect(h.log[0]!.fields).toEqual({ stack: 'Error: boom\n    at app.mjs:1' });
    await h.stop();
  });

  it('cancels the job when the client goes away, and drops what the pool says after', async () => {
    const before = snapshot();
    const h = harness();
    h.gateway.cancel();
    expect(h.jobs.map((m) => m.type)).toEqual(['job', 'cancel']);
    h.reply.send({ type: 'head', id: h.id, status: 200, headers: [], body: 'late', last: true });
    expect(h.out).toHaveLength(0);
    expect(h.ends()).toBe(1);
    await h.stop();
    await expectNoLeaks(before);
  });

  it('cancels the job and finishes when the responder abandons the body', async () => {
    const h = harness();
    h.reply.send({ type: 'head', id: h.id, status: 200, headers: [], body: 'part', last: false });
    const iterator = (h.out[0]!.body as StreamBody)[Symbol.asyncIterator]();
    await iterator.return!();
    expect(h.jobs.map((m) => m.type)).toEqual(['job', 'cancel']);
    expect(h.ends()).toBe(1);
    await h.stop();
  });
});
