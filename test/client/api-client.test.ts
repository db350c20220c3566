/**
 * The API client against a real boxwire server started in the test: routes
 * whose handlers check what arrived (method, path, query and body encodings,
 * signatures, authorization) and answer as remote APIs do, well and badly.
 */
import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, waitFor } from '../helpers/http.js';
import { readText } from '../../src/http/request-body.js';
import type { HttpRequest } from '../../src/http/messages.js';
import type { Route } from '../../components/request-router.js';
import { HttpHandler } from '../../components/http-handler.js';
import { ApiError, basicAuth, defineApi, signer, type ApiCall, type ApiResponse, type Fetch } from '../../src/client/index.js';

/** What a request looked like when it arrived. */
interface Arrived {
  method: string;
  path: string;
  rawPath: string;
  query: [string, string][];
  contentType: string | null;
  accept: string | null;
  authorization: string | null;
  body: string;
}

async function arrived(req: HttpRequest): Promise<Arrived> {
  return {
    method: req.method,
    path: req.path,
    rawPath: req.rawPath,
    query: [...new URLSearchParams(req.query)],
    contentType: req.headers.get('content-type') ?? null,
    accept: req.headers.get('accept') ?? null,
    authorization: req.headers.get('authorization') ?? null,
    body: await readText(req.body),
  };
}

const json = (value: unknown, status = 200) => ({ status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });

/** Echoes what arrived, as JSON, for any method and path below it. */
const echoRoute: Route = { path: '*', handler: async (req) => json(await arrived(req)) };

/** Handlers waiting on this are let go after each test, so nothing outlives it. */
let release: () => void = () => {};
let released = new Promise<void>((resolve) => (release = resolve));
afterEach(() => {
  release();
  released = new Promise<void>((resolve) => (release = resolve));
});

/** A handler that never answers (it is shut down when the server stops after the test). */
class Silent extends HttpHandler {
  constructor(private readonly seen: string[]) {
    super();
  }
  protected main(): void {
    this.on('inbox', (request) => this.seen.push(`arrived ${request.path}`));
  }
}

const echoApi = {
  'things/{id}': {
    get: [
      ['q', 'string'],
      ['page', 'integer', 'optional'],
      ['tags', 'string[]', 'optional'],
      ['on', 'boolean', 'optional'],
    ],
    post: [
      ['name', 'string'],
      ['size', 'number', 'optional'],
      ['key', 'string', 'query'],
    ],
    put: [
      ['name', 'string'],
      ['extra', 'json', 'optional'],
    ],
    patch: [['name', 'string', 'optional']],
    delete: [['reason', 'string', 'optional']],
  },
  'SMS/Messages': { get: [] },
} as const;

describe('every method, against a real server', () => {
  it('get and delete send their arguments in the query; optional ones left out are not sent', async () => {
    const { url } = await startServer({ routes: [echoRoute] });
    const api = defineApi(echoApi, { baseUrl: `${url}/v1` });
    const got = (await api.things.get({ id: 7, q: 'a b&c=d', tags: ['x', 'y'], on: false })) as Arrived;
    expect(got).toEqual({
      method: 'GET',
      path: '/v1/things/7',
      rawPath: '/v1/things/7',
      query: [
        ['q', 'a b&c=d'],
        ['tags', 'x'],
        ['tags', 'y'],
        ['on', 'false'],
      ],
      contentType: null,
      accept: 'application/json',
      authorization: null,
      body: '',
    });
    const deleted = (await api.things.delete({ id: 'x' })) as Arrived;
    expect([deleted.method, deleted.path, deleted.query, deleted.body]).toEqual(['DELETE', '/v1/things/x', [], '']);
    const none = (await api.SMSMessages.get()) as Arrived;
    expect([none.method, none.path, none.query]).toEqual(['GET', '/v1/SMS/Messages', []]);
  });

  it('post, put and patch send a form body; a query-flagged parameter stays in the query', async () => {
    const { url } = await startServer({ routes: [echoRoute] });
    const api = defineApi(echoApi, { baseUrl: `${url}/v1/` });
    const posted = (await api.things.post({ id: 1, name: 'ü & =', size: 1.5, key: 'k' })) as Arrived;
    expect(posted.method).toBe('POST');
    expect(posted.query).toEqual([['key', 'k']]);
    expect(posted.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect([...new URLSearchParams(posted.body)]).toEqual([
      ['name', 'ü & ='],
      ['size', '1.5'],
    ]);
    const put = (await api.things.put({ id: 1, name: 'n', extra: { deep: [1, null] } })) as Arrived;
    expect([put.method, [...new URLSearchParams(put.body)]]).toEqual([
      'PUT',
      [
        ['name', 'n'],
        ['extra', '{"deep":[1,null]}'],
      ],
    ]);
    const patched = (await api.things.patch({ id: 1 })) as Arrived;
    expect([patched.method, patched.body, patched.contentType]).toEqual(['PATCH', '', null]);
  });

  it('sends JSON bodies when asked, types kept', async () => {
    const { url } = await startServer({ routes: [echoRoute] });
    const api = defineApi(echoApi, { baseUrl: `${url}/v1/`, body: 'json' });
    const put = (await api.things.put({ id: 1, name: 'n', extra: { deep: [1, null] } })) as Arrived;
    expect(put.contentType).toBe('application/json');
    expect(JSON.parse(put.body)).toEqual({ name: 'n', extra: { deep: [1, null] } });
    const posted = (await api.things.post({ id: 2, name: 'm', size: 3, key: 'k' })) as Arrived;
    expect([JSON.parse(posted.body), posted.query]).toEqual([{ name: 'm', size: 3 }, [['key', 'k']]]);
  });

  it('fills path variables as one encoded segment each, below the base path', async () => {
    const { url } = await startServer({ routes: [echoRoute] });
    const api = defineApi(echoApi, { baseUrl: `${url}/v1` });
    for (const [id, rawPath, path] of [
      ['x?y#z', '/v1/things/x%3Fy%23z', '/v1/things/x?y#z'],
      ['é', '/v1/things/%C3%A9', '/v1/things/é'],
      ['a b', '/v1/things/a%20b', '/v1/things/a b'],
    ] as const) {
      const got = (await api.things.get({ id, q: '' })) as Arrived;
      expect(got.rawPath, id).toBe(rawPath);
      expect(got.path, id).toBe(path);
    }
    // A "/" inside a variable stays inside its segment, encoded; boxwire refuses an encoded "/" as ambiguous (400).
    for (const [id, encoded] of [
      ['a/b', '/v1/things/a%2Fb'],
      ['../../admin', '/v1/things/..%2F..%2Fadmin'],
    ] as const) {
      const error = await api.things.get({ id, q: '' }).then(
        () => undefined,
        (e: unknown) => e as Error & { status?: number },
      );
      expect(error?.message, id).toContain(encoded);
      expect(error?.message, id).toMatch(/400/);
    }
    await expect(api.things.get({ id: '..', q: '' })).rejects.toThrow(/GET things: path variable "id" must not be "\.\."/);
  });

  it('a missing required parameter is a clear error at run time, and nothing is sent', async () => {
    let requests = 0;
    const { url } = await startServer({ routes: [{ path: '*', handler: () => (requests++, json({})) }] });
    const api = defineApi(echoApi, { baseUrl: url });
    const untyped = api as unknown as Record<string, Record<string, (args?: unknown) => Promise<unknown>>>;
    const cases: [Promise<unknown>, RegExp][] = [
      [untyped.things!.get!({ id: 1 }), /^GET things: missing required parameter "q" \(string\)$/],
      [untyped.things!.get!({ q: 'x' }), /^GET things: missing required path variable "id"$/],
      [untyped.things!.get!(), /missing required path variable "id"/],
      [untyped.things!.post!({ id: 1, name: 2, key: 'k' }), /^POST things: parameter "name" must be of type string, got number 2$/],
      [untyped.things!.get!({ id: 1, q: 'x', pgae: 2 }), /unknown parameter "pgae"/],
    ];
    for (const [call, message] of cases) {
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).kind).toBe('arguments');
      expect((error as ApiError).message).toMatch(message);
    }
    expect(requests).toBe(0);
  });
});

describe('hooks', () => {
  it('url, headers and arguments hooks shape the request; per-call headers add to them', async () => {
    const { url } = await startServer({ routes: [echoRoute] });
    const seen: ApiCall[] = [];
    const api = defineApi(echoApi, {
      baseUrl: `${url}/v1/`,
      url: (call) => (seen.push(call), `${call.base}${call.path}.json`),
      headers: (call) => ({ 'X-Call': `${call.method} ${call.name}` }),
      arguments: async (args) => ({ ...args, api_key: 'KEY' }),
    });
    const got = (await api.things.get({ id: 3, q: 'x' }, { headers: { 'X-Trace': 't1' } })) as Arrived;
    expect(got.path).toBe('/v1/things/3.json');
    expect(got.query).toEqual([
      ['q', 'x'],
      ['api_key', 'KEY'],
    ]);
    expect(seen[0]).toMatchObject({ namespace: 'things/{id}', name: 'things', method: 'get', base: `${url}/v1/`, path: 'things/3' });
  });

  it('headers arrive as given', async () => {
    let headers: Record<string, string | undefined> = {};
    const { url } = await startServer({
      routes: [
        { path: '*', handler: (req) => ((headers = { call: req.headers.get('x-call'), trace: req.headers.get('x-trace') }), json({})) },
      ],
    });
    const api = defineApi(echoApi, { baseUrl: url, headers: (call) => ({ 'X-Call': `${call.method} ${call.name}` }) });
    await api.SMSMessages.get({}, { headers: { 'X-Trace': 't1' } });
    expect(headers).toEqual({ call: 'get SMSMessages', trace: 't1' });
  });

  it('a hook that throws fails the call with kind "hook", naming the hook and the call', async () => {
    const api = defineApi(echoApi, {
      baseUrl: 'http://127.0.0.1:9/',
      arguments: () => {
        throw new Error('no key configured');
      },
    });
    await expect(api.SMSMessages.get()).rejects.toMatchObject({
      kind: 'hook',
      message: 'GET SMSMessages: the arguments hook failed: no key configured',
    });
    const careless = defineApi(echoApi, { baseUrl: 'http://127.0.0.1:9/', arguments: () => undefined as never });
    await expect(careless.SMSMessages.get()).rejects.toMatchObject({
      kind: 'hook',
      reason: 'the arguments hook failed: it returned undefined, not an object of arguments',
    });
    const badUrl = defineApi(echoApi, { baseUrl: 'http://127.0.0.1:9/', url: (call) => call.path });
    await expect(badUrl.SMSMessages.get()).rejects.toMatchObject({ kind: 'hook', reason: 'the url hook failed: Invalid URL' });
    const badHeaders = defineApi(echoApi, { baseUrl: 'http://127.0.0.1:9/', headers: () => ({ 'X-Key': 'a\nb' }) });
    await expect(badHeaders.SMSMessages.get()).rejects.toMatchObject({
      kind: 'hook',
      reason: expect.stringMatching(/^the headers hook failed: /),
    });
  });

  it("check raises the API's own typed error from a 200 response; the data is the result otherwise", async () => {
    class MusicError extends ApiError {
      constructor(
        call: ApiCall,
        response: ApiResponse,
        readonly body: { error: number; message: string },
      ) {
        super('api', call, body.message, { url: response.url, status: response.status, data: body, code: body.error });
        this.name = 'MusicError';
      }
    }
    const { url } = await startServer({
      routes: [
        { path: '/artists/bad/calendar', handler: () => json({ error: 10, message: 'Invalid API key' }) },
        { path: '/artists/:id/calendar', handler: (req) => json({ events: [{ artist: req.params!.id }] }) },
      ],
    });
    const api = defineApi(
      { 'artists/{artist_id}/calendar': { get: [] } },
      {
        baseUrl: url,
        decode: (response) => JSON.parse(response.text()) as { error?: number; message?: string; events?: unknown[] },
        check: (data, response, call) => {
          if (data.error !== undefined) throw new MusicError(call, response, data as { error: number; message: string });
        },
      },
    );
    expect(await api.artistsCalendar.get({ artist_id: '258948' })).toEqual({ events: [{ artist: '258948' }] });
    const error = await api.artistsCalendar.get({ artist_id: 'bad' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MusicError);
    expect(error).toMatchObject({
      kind: 'api',
      code: 10,
      status: 200,
      message: `GET artistsCalendar (${url}/artists/bad/calendar): Invalid API key`,
    });
  });

  it('a status outside 200-299 is an error with the decoded body; a non-JSON error page too', async () => {
    const { url } = await startServer({
      routes: [
        { path: '/broken', handler: () => json({ message: 'database on fire' }, 503) },
        { path: '/html-error', handler: () => ({ status: 502, headers: { 'Content-Type': 'text/html' }, body: '<h1>Bad gateway</h1>' }) },
      ],
    });
    const api = defineApi({ broken: { get: [] }, 'html-error': { get: [] }, missing: { post: [] } }, { baseUrl: url });
    await expect(api.broken.get()).rejects.toMatchObject({
      kind: 'status',
      status: 503,
      data: { message: 'database on fire' },
      message: `GET broken (${url}/broken): the server answered 503 Service Unavailable`,
    });
    await expect(api.htmlError.get()).rejects.toMatchObject({ kind: 'status', status: 502, data: '<h1>Bad gateway</h1>' });
    // boxwire's own 404 page, in JSON because the client prefers it.
    await expect(api.missing.post()).rejects.toMatchObject({ kind: 'status', status: 404, data: { status: 404 } });
  });

  it('a 2xx body that is not JSON is a decode error; an empty one is undefined; decode can be swapped', async () => {
    const { url } = await startServer({
      routes: [
        { path: '/text', handler: () => ({ headers: { 'Content-Type': 'text/plain' }, body: 'just text' }) },
        { path: '/empty', handler: () => ({ status: 204 }) },
      ],
    });
    const api = defineApi({ text: { get: [] }, empty: { delete: [] } }, { baseUrl: url });
    await expect(api.text.get()).rejects.toMatchObject({
      kind: 'decode',
      status: 200,
      data: 'just text',
      message: `GET text (${url}/text): the response is not JSON (text/plain): "just text"`,
    });
    expect(await api.empty.delete()).toBeUndefined();
    const plain = defineApi({ text: { get: [] } }, { baseUrl: url, decode: (r) => r.text().toUpperCase() });
    expect(await plain.text.get()).toBe('JUST TEXT');
  });
});

describe('signing and auth, checked by the server', () => {
  /** The server's own check: written separately from the client's signer, as a remote API would have it. */
  function expectedSignature(
    pairs: [string, string][],
    secret: string,
    hash: string,
    secretAt: 'end' | 'start',
    over: 'pairs' | 'values',
  ): string {
    const kept = pairs.filter(([k]) => k !== 'signature');
    const items =
      over === 'pairs'
        ? kept.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`)
        : kept.map(([, v]) => v).sort();
    const text = items.join('&');
    return createHash(hash)
      .update(secretAt === 'end' ? text + secret : secret + text)
      .digest('hex');
  }

  function signedRoute(secret: string, hash: string, secretAt: 'end' | 'start', over: 'pairs' | 'values'): Route {
    return {
      path: '*',
      handler: async (req) => {
        const text = await readText(req.body);
        const pairs = [...new URLSearchParams(req.query), ...new URLSearchParams(text)];
        const given = pairs.find(([k]) => k === 'signature')?.[1];
        const ok = given === expectedSignature(pairs, secret, hash, secretAt, over);
        return ok ? json({ ok: true, pairs }) : json({ error: 'bad signature' }, 401);
      },
    };
  }

  const signedApi = {
    'tracks/{id}/scrobble': {
      post: [
        ['artist', 'string'],
        ['track', 'string'],
        ['timestamp', 'integer'],
        ['tags', 'string[]', 'optional'],
      ],
    },
    search: {
      get: [
        ['q', 'string'],
        ['limit', 'integer', 'optional'],
      ],
    },
  } as const;

  it('sha256 over sorted key=value pairs, secret appended (the default)', async () => {
    const { url } = await startServer({ routes: [signedRoute('s3cret', 'sha256', 'end', 'pairs')] });
    const sign = signer({ secret: 's3cret' });
    const api = defineApi(signedApi, { baseUrl: url, arguments: (args) => sign({ ...args, api_key: 'K' }) });
    expect(await api.search.get({ q: 'the & cure', limit: 5 })).toMatchObject({ ok: true });
    // A body and a query-string signature alike; arrays are repeated keys.
    expect(
      await api.tracksScrobble.post({ id: 9, artist: 'Cher', track: 'Believe', timestamp: 1_700_000_000, tags: ['pop', 'dance'] }),
    ).toMatchObject({ ok: true });
    const wrong = defineApi(signedApi, { baseUrl: url, arguments: signer({ secret: 'guess' }) });
    await expect(wrong.search.get({ q: 'x' })).rejects.toMatchObject({ kind: 'status', status: 401, data: { error: 'bad signature' } });
  });

  it('md5 over the sorted values, secret prepended', async () => {
    const { url } = await startServer({ routes: [signedRoute('old-secret', 'md5', 'start', 'values')] });
    const api = defineApi(signedApi, {
      baseUrl: url,
      body: 'form',
      arguments: signer({ secret: 'old-secret', hash: 'md5', secretAt: 'start', over: 'values' }),
    });
    expect(await api.search.get({ q: 'zz', limit: 10 })).toMatchObject({ ok: true });
    expect(await api.tracksScrobble.post({ id: 'a b', artist: 'ü', track: 'x', timestamp: 3 })).toMatchObject({ ok: true });
  });

  it('basic auth reaches the server as RFC 7617 says', async () => {
    const { url } = await startServer({
      routes: [
        {
          path: '*',
          handler: (req) => {
            const [scheme, token] = (req.headers.get('authorization') ?? '').split(' ');
            const [user, password] = Buffer.from(token ?? '', 'base64')
              .toString('utf8')
              .split(/:(.*)/s);
            return scheme === 'Basic' && user === 'ACxxxx' && password === 'p:ä'
              ? json({ user })
              : { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="api"' } };
          },
        },
      ],
    });
    const api = defineApi({ 'SMS/Messages': { post: [['To', 'string']] } }, { baseUrl: url, headers: basicAuth('ACxxxx', 'p:ä') });
    expect(await api.SMSMessages.post({ To: '+15555555555' })).toEqual({ user: 'ACxxxx' });
    const denied = defineApi({ 'SMS/Messages': { post: [['To', 'string']] } }, { baseUrl: url, headers: basicAuth('ACxxxx', 'wrong') });
    await expect(denied.SMSMessages.post({ To: '1' })).rejects.toMatchObject({ kind: 'status', status: 401 });
  });

  it('keeps secrets out of error messages: no query, no credentials', async () => {
    const { url } = await startServer({ routes: [{ path: '*', handler: () => json({}, 500) }] });
    const api = defineApi(signedApi, {
      baseUrl: url,
      arguments: (args) => signer({ secret: 'TOPSECRET' })({ ...args, api_key: 'APIKEY123' }),
    });
    const error = (await api.search.get({ q: 'x' }).catch((e: unknown) => e)) as ApiError;
    expect(error.message).toBe(`GET search (${url}/search): the server answered 500 Internal Server Error`);
    expect(JSON.stringify({ message: error.message, url: error.url, stack: error.stack })).not.toMatch(/APIKEY123|signature=|TOPSECRET/);
  });
});

describe('transport: timeouts, failures, limits', () => {
  it('times out on a route that never answers, and names the call', async () => {
    const seen: string[] = [];
    const { url } = await startServer({ routes: [{ path: '/slow/*', component: () => new Silent(seen) }] });
    const api = defineApi({ 'slow/{n}': { get: [] } }, { baseUrl: url, timeout: 150 });
    const started = performance.now();
    const error = (await api.slow.get({ n: 1 }).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe(`GET slow (${url}/slow/1): no complete response within 150 ms`);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(seen).toEqual(['arrived /slow/1']);
    // A per-call timeout wins over the API's.
    await expect(api.slow.get({ n: 2 }, { timeout: 50 })).rejects.toMatchObject({
      kind: 'timeout',
      reason: 'no complete response within 50 ms',
    });
  });

  it('the time limit covers the body: a response that stalls half-way times out', async () => {
    const { url } = await startServer({
      routes: [
        {
          path: '/stall',
          handler: () => ({
            headers: { 'Content-Type': 'application/json' },
            body: (async function* () {
              yield '{"partial":';
              await released;
            })(),
          }),
        },
      ],
    });
    const api = defineApi({ stall: { get: [] } }, { baseUrl: url, timeout: 150 });
    await expect(api.stall.get()).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('a refused connection is a network error that says so', async () => {
    const { url, server } = await startServer();
    await server.stop(100);
    const api = defineApi({ email: { post: [['to', 'string']] } }, { baseUrl: url });
    const error = (await api.email.post({ to: 'x' }).catch((e: unknown) => e)) as ApiError;
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(new RegExp(`^POST email \\(${url}/email\\): no response: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+`));
  });

  it('refuses a body over maxResponseBytes, declared or streamed', async () => {
    const big = JSON.stringify({ data: 'x'.repeat(5_000) });
    const { url } = await startServer({
      routes: [
        { path: '/declared', handler: () => ({ body: big }) },
        {
          path: '/streamed',
          handler: () => ({
            body: (async function* () {
              for (let i = 0; i < 100; i++) yield 'x'.repeat(1_000);
            })(),
          }),
        },
      ],
    });
    const api = defineApi({ declared: { get: [] }, streamed: { get: [] } }, { baseUrl: url, maxResponseBytes: 4_096 });
    await expect(api.declared.get()).rejects.toMatchObject({
      kind: 'too-large',
      reason: `the response is larger than 4096 bytes (Content-Length: ${big.length})`,
    });
    await expect(api.streamed.get()).rejects.toMatchObject({ kind: 'too-large', reason: 'the response is larger than 4096 bytes' });
    const roomy = defineApi({ declared: { get: [] } }, { baseUrl: url, maxResponseBytes: 10_000 });
    expect(await roomy.declared.get()).toEqual({ data: 'x'.repeat(5_000) });
  });

  it('counts decoded bytes: a small gzip body that inflates past the limit is refused (a zip bomb)', async () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20));
    const { url } = await startServer({
      routes: [
        { path: '/bomb', handler: () => ({ headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: bomb }) },
      ],
    });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const api = defineApi({ bomb: { get: [] } }, { baseUrl: url, maxResponseBytes: 64 * 1024 });
    await expect(api.bomb.get()).rejects.toMatchObject({ kind: 'too-large', reason: 'the response is larger than 65536 bytes' });
  });

  it('does not carry credentials across a redirect to another origin; redirect: "error" refuses redirects', async () => {
    const other = await startServer({
      routes: [{ path: '*', handler: (req) => json({ authorization: req.headers.get('authorization') ?? null }) }],
    });
    const { url } = await startServer({
      routes: [{ path: '*', handler: () => ({ status: 307, headers: { Location: `${other.url}/landed` } }) }],
    });
    const api = defineApi({ me: { get: [] } }, { baseUrl: url, headers: basicAuth('user', 'password') });
    expect(await api.me.get()).toEqual({ authorization: null });
    const strict = defineApi({ me: { get: [] } }, { baseUrl: url, headers: basicAuth('user', 'password'), redirect: 'error' });
    await expect(strict.me.get()).rejects.toMatchObject({ kind: 'network', reason: 'no response: unexpected redirect' });
  });

  it('refuses a header option that could split the request', async () => {
    const api = defineApi({ me: { get: [] } }, { baseUrl: 'http://127.0.0.1:9/' });
    await expect(api.me.get({}, { headers: { 'X-Note': 'a\r\nX-Injected: 1' } })).rejects.toMatchObject({
      kind: 'arguments',
      reason: expect.stringMatching(/^bad header option/),
    });
  });

  it('the caller can abort a call', async () => {
    const seen: string[] = [];
    const { url } = await startServer({ routes: [{ path: '/slow', component: () => new Silent(seen) }] });
    const api = defineApi({ slow: { get: [] } }, { baseUrl: url });
    const controller = new AbortController();
    const call = api.slow.get({}, { signal: controller.signal });
    await waitFor(() => seen.length > 0);
    controller.abort();
    await expect(call).rejects.toMatchObject({ kind: 'aborted', message: `GET slow (${url}/slow): aborted by the caller` });
    await expect(api.slow.get({}, { signal: controller.signal })).rejects.toMatchObject({
      kind: 'aborted',
      reason: 'aborted before it was sent',
    });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('transport resources', () => {
  /** A fetch that answers when told to, or fails when aborted. */
  function heldFetch(): { fetch: Fetch; answer: (r: Response) => void; fail: (e: Error) => void } {
    let answer: (r: Response) => void = () => {};
    let fail: (e: Error) => void = () => {};
    const fetch: Fetch = (_url, init) =>
      new Promise<Response>((resolve, reject) => {
        answer = resolve;
        fail = reject;
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    return { fetch, answer: (r) => answer(r), fail: (e) => fail(e) };
  }

  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

  it("releases its timer and the caller's abort listener on every path", async () => {
    const before = timers();
    const controller = new AbortController();
    const outcomes: string[] = [];
    for (const end of ['answer', 'fail', 'timeout', 'abort'] as const) {
      const held = heldFetch();
      const api = defineApi(
        { x: { get: [] } },
        { baseUrl: 'http://127.0.0.1:9/', fetch: held.fetch, timeout: end === 'timeout' ? 30 : 10_000 },
      );
      const caller = end === 'abort' ? new AbortController() : controller;
      const call = api.x.get({}, { signal: caller.signal }).then(
        () => 'ok',
        (e: ApiError) => e.kind,
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers()).toBe(before + 1);
      if (end === 'answer') held.answer(new Response('{"a":1}'));
      if (end === 'fail')
        held.fail(new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }));
      if (end === 'abort') caller.abort();
      outcomes.push(await call);
      expect(timers(), end).toBe(before);
      expect(getEventListeners(caller.signal, 'abort'), end).toHaveLength(0);
    }
    expect(outcomes).toEqual(['ok', 'network', 'timeout', 'aborted']);
  });
});
