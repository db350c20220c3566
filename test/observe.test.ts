/**
 * Seeing the server run: introspect() against the traffic sent, /metrics
 * parsed by Prometheus's own Python parser (Debian's python3-prometheus-client,
 * for /usr/bin/python3) in both formats, and JSON log lines parsed back.
 */
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { request, raw, sleep, startServer, waitFor } from './helpers/http.js';
import { fixture } from './helpers/wsgi.js';
import { hasParser, parseMetrics as parse, sampleValue as value } from './helpers/metrics.js';

const routes = [
  { path: '/ok', name: 'ok', handler: () => ({ body: 'x'.repeat(100) }) },
  {
    path: '/fail',
    handler: () => {
      throw new Error('no');
    },
  },
];

describe('introspect()', () => {
  it('shows the server-wide components and the connection graph, with figures that follow the traffic', async () => {
    const { server, port } = await startServer({ routes });
    const before = server.introspect();
    const router = (v: typeof before) => v.connection.children.find((c) => c.name === 'router')!;
    const sentOn = (v: typeof before, from: string, to: string) => v.connection.links.find((l) => l.from === from && l.to === to)!.sent;
    for (let i = 0; i < 5; i++) await request(port, { path: '/ok' });
    await request(port, { path: '/fail' });
    const idle = net.connect(port, '127.0.0.1');
    await once(idle, 'connect');
    await waitFor(() => server.introspect().nodes.find((n) => n.id === 'interface:0')!.figures.open === 1);
    const view = server.introspect();
    expect(view.version).toBe(1);
    expect(view.nodes.map((n) => n.id)).toEqual(['interface:0', 'tcp', 'connections', 'logger', 'cgi:processes']);
    expect(view.nodes[0]!.name).toBe(`http://127.0.0.1:${port}`);
    expect(view.nodes[0]!.figures).toMatchObject({ open: 1, accepted: 7, refused: 0, paused: 0, blocked: 0 });
    expect(view.links.map((l) => `${l.from}->${l.to}`)).toEqual([
      'interface:0->tcp',
      'tcp->connections',
      'connections->logger',
      'connections->cgi:processes',
    ]);
    // The connection graph: every child of the plan, by name, with its class and role.
    expect(view.connection.name).toBe('HTTP connection');
    expect(view.connection.children.map((c) => [c.name, c.className])).toEqual([
      ['parser', 'HttpParser'],
      ['router', 'RequestRouter'],
      ['errorPage', 'ErrorPage'],
      ['responder', 'Responder'],
      ['accessLog', 'AccessLog'],
    ]);
    expect(view.connection.links.length).toBe(server.connectionPlan.view().links.length);
    expect(view.connection.socket?.className).toBe('TcpConnection');
    expect(view.connection.alive).toBe(1);
    // Six requests routed: the router's inbox and outbox carried six messages each more than before (the census is the process's).
    const box = (v: typeof before, name: string) => router(v).boxes.find((b) => b.name === name)!.sent;
    expect(box(view, 'inbox') - box(before, 'inbox')).toBe(6);
    expect(sentOn(view, 'router.outbox', 'errorPage.inbox') - sentOn(before, 'router.outbox', 'errorPage.inbox')).toBe(6);
    expect(sentOn(view, 'responder.sent', 'accessLog.inbox') - sentOn(before, 'responder.sent', 'accessLog.inbox')).toBe(6);
    // Every class counted, with its boxes.
    const classes = view.components.map((c) => c.className);
    expect(classes).toEqual(expect.arrayContaining(['TcpServer', 'Logger', 'TcpConnection', 'HttpParser', 'Responder']));
    expect(view.server.requests).toBe(6);
    idle.destroy();
  });

  it('shows a registered gauge, and the pools while they run', async () => {
    const { server, port } = await startServer({
      wsgi: [`/app/=${fixture('fetch-named.mjs')}#fetch`],
      pool: { minThreads: 1, maxThreads: 2 },
    });
    const remove = server.counters.gauges.add({ kind: 'upstream', name: 'example', role: 'a test upstream', read: () => ({ open: 3 }) });
    expect((await request(port, { path: '/app/x' })).status).toBe(200);
    const view = server.introspect();
    expect(view.nodes.find((n) => n.id === 'upstream:example')).toMatchObject({ kind: 'upstream', figures: { open: 3 } });
    expect(view.nodes.find((n) => n.id === 'pool:wsgi')!.figures).toMatchObject({ served: 1 });
    expect(view.links).toContainEqual({ from: 'connections', to: 'upstream:example', label: 'jobs' });
    remove();
    expect(server.introspect().nodes.some((n) => n.id === 'upstream:example')).toBe(false);
    expect(() => server.counters.gauges.add({ kind: 'Bad Kind', name: 'x', read: () => ({}) })).toThrow(/lower-case word/);
  });

  it('the sampler keeps rows of the last seconds', async () => {
    const { server, port } = await startServer({ routes, status: '/s' });
    for (let i = 0; i < 4; i++) await request(port, { path: '/ok' });
    await request(port, { path: '/missing' });
    await sleep(1100);
    const feed = JSON.parse((await request(port, { path: '/s?format=feed&since=0' })).text);
    expect(feed.history.columns).toContain('2xx');
    expect(feed.history.rows.length).toBeGreaterThanOrEqual(1);
    const at = (name: string) => feed.history.columns.indexOf(name) + 1;
    const total2xx = feed.history.rows.reduce((n: number, r: number[]) => n + r[at('2xx')]!, 0);
    expect(total2xx).toBeGreaterThan(0);
    expect(feed.view.server.requests).toBe(5);
    // Rows newer than the last one: none yet.
    const last = feed.history.rows.at(-1)[0];
    const later = JSON.parse((await request(port, { path: `/s?format=feed&since=${last}` })).text);
    expect(later.history.rows).toEqual([]);
    expect(server.introspect().server.pid).toBe(process.pid);
  });
});

describe.runIf(hasParser)('/metrics, parsed by prometheus_client', () => {
  it('serves the families with values that match the requests sent, in 0.0.4 text and in OpenMetrics', async () => {
    const { port } = await startServer({
      routes,
      metrics: '/metrics',
      wsgi: [`/app/=${fixture('fetch-named.mjs')}#fetch`],
      pool: { minThreads: 1, maxThreads: 2 },
    });
    for (let i = 0; i < 7; i++) await request(port, { path: '/ok' });
    for (let i = 0; i < 3; i++) await request(port, { path: '/missing' });
    await request(port, { path: '/fail' });
    expect((await request(port, { path: '/app/hello' })).status).toBe(200);
    const interfaceName = `http://127.0.0.1:${port}`;
    const plain = await request(port, { path: '/metrics' });
    expect(plain.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await parse(plain.text, 'text');
    const open = await request(port, {
      path: '/metrics',
      headers: {
        accept:
          'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      },
    });
    expect(open.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(open.text.endsWith('# EOF\n')).toBe(true);
    const openMetrics = await parse(open.text, 'openmetrics');
    for (const families of [text, openMetrics]) {
      const names = families.map((f) => f.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'boxwire_http_requests',
          'boxwire_http_request_duration_seconds',
          'boxwire_http_response_bytes',
          'boxwire_connections_open',
          'boxwire_connections_accepted',
          'boxwire_connections_paused',
          'boxwire_component_live',
          'boxwire_component_failures',
          'boxwire_box_messages',
          'boxwire_box_dropped',
          'boxwire_pool_busy',
          'boxwire_pool_served',
          'boxwire_cgi_running',
          'process_cpu_seconds',
          'process_resident_memory_bytes',
          'process_open_fds',
          'nodejs_eventloop_lag_p99_seconds',
        ]),
      );
      const requests = (labels: Record<string, string>) => value(families, 'boxwire_http_requests', labels, 'boxwire_http_requests_total');
      expect(requests({ route: 'ok', status_class: '2xx', interface: interfaceName })).toBe(7);
      expect(requests({ route: '(none)', status_class: '4xx' })).toBe(3);
      expect(requests({ route: '/fail', status_class: '5xx' })).toBe(1);
      expect(requests({ route: 'wsgi /app', status_class: '2xx' })).toBe(1);
      const durations = families.find((f) => f.name === 'boxwire_http_request_duration_seconds')!;
      expect(durations.type).toBe('histogram');
      expect(value(families, 'boxwire_http_request_duration_seconds', { route: 'ok' }, 'boxwire_http_request_duration_seconds_count')).toBe(
        7,
      );
      expect(
        value(
          families,
          'boxwire_http_request_duration_seconds',
          { route: 'ok', le: '+Inf' },
          'boxwire_http_request_duration_seconds_bucket',
        ),
      ).toBe(7);
      expect(value(families, 'boxwire_http_response_bytes', { route: 'ok' }, 'boxwire_http_response_bytes_total')).toBe(700);
      expect(value(families, 'boxwire_pool_served', { pool: 'wsgi' }, 'boxwire_pool_served_total')).toBe(1);
      expect(value(families, 'boxwire_pool_busy', { pool: 'wsgi' })).toBe(0);
      // The connection this scrape came on is open; the requests before it were each on their own.
      expect(value(families, 'boxwire_connections_open', { interface: interfaceName })).toBe(1);
      expect(value(families, 'boxwire_connections_accepted', { interface: interfaceName }, 'boxwire_connections_accepted_total')).toBe(
        families === text ? 13 : 14,
      );
      expect(value(families, 'boxwire_component_live', { class: 'TcpServer' })).toBe(1);
      expect(value(families, 'process_open_fds')).toBeGreaterThan(3);
    }
  }, 30_000);
});

describe('JSON logs', () => {
  it('writes one JSON object a line on every channel, access log included, and it parses back byte for byte', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const sink = (into: string[]) => ({ write: (chunk: string) => (into.push(chunk), true) }) as unknown as NodeJS.WritableStream;
    const { port } = await startServer({
      routes: [
        {
          path: '/boom',
          handler: () => {
            throw new Error('bad "thing"\nsecond line');
          },
        },
        { path: '/*', name: 'any', handler: () => ({ body: 'hi' }) },
      ],
      log: { format: 'json', level: 'debug', stdout: sink(out), stderr: sink(err) },
    });
    const agent = Buffer.concat([Buffer.from('Mo"zilla\\ \t'), Buffer.from([0xe2, 0x9c, 0x93, 0xff])]);
    // A valid target with quotes in it, and a user agent with a quote, a backslash, a tab and bytes outside ASCII.
    await raw(
      port,
      Buffer.concat([
        Buffer.from('GET /q"uote?a="b"&n=%0A HTTP/1.1\r\nHost: x\r\nReferer: http://r/"x"\r\nUser-Agent: '),
        agent,
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]),
    );
    // A target with bytes outside ASCII: refused, and logged as sent.
    await raw(port, Buffer.concat([Buffer.from('GET /caf'), Buffer.from([0xc3, 0xa9, 0x0b]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
    await raw(port, 'GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await waitFor(
      () =>
        out
          .join('')
          .split('\n')
          .filter((l) => l.includes('"requestId"')).length >= 3 && err.join('').includes('bad'),
    );
    const lines = [...out.join('').split('\n'), ...err.join('').split('\n')].filter((l) => l !== '');
    for (const line of lines) expect(line).toMatch(/^[\x20-\x7e]+$/);
    const records = lines.map((l) => JSON.parse(l));
    const access = records.filter((r) => 'requestId' in r);
    expect(access.map((r) => [r.method, r.target, r.status])).toEqual([
      ['GET', '/q"uote?a="b"&n=%0A', 200],
      ['GET', Buffer.from([...Buffer.from('/caf'), 0xc3, 0xa9, 0x0b]).toString('latin1'), 400],
      ['GET', '/boom', 500],
    ]);
    const first = access[0]!;
    expect(Object.keys(first)).toEqual([
      'time',
      'client',
      'method',
      'target',
      'version',
      'status',
      'bytes',
      'duration',
      'complete',
      'userAgent',
      'referer',
      'requestId',
    ]);
    // The user agent comes back as its bytes, one code point per byte.
    expect(Buffer.from(first.userAgent, 'latin1')).toEqual(agent);
    expect(first).toMatchObject({ client: '127.0.0.1', version: 'HTTP/1.1', bytes: 2, complete: true, referer: 'http://r/"x"' });
    expect(new Date(first.time).toISOString()).toBe(first.time);
    expect(first.duration).toBeGreaterThanOrEqual(0);
    expect(new Set(access.map((r) => r.requestId)).size).toBe(3);
    // Other channels: time, channel, level, message and fields; a message with quotes and a newline stays on one line.
    const failure = records.find((r) => r.channel === 'errors' && r.message.includes('bad "thing"\nsecond line'));
    expect(failure).toMatchObject({ level: 'error' });
    expect(records.find((r) => r.channel === 'server' && /listening on/.test(r.message))).toBeDefined();
  });

  it('refuses a log format it does not know', async () => {
    await expect(startServer({ log: { format: 'xml' as never } })).rejects.toThrow(/"log.format" must be "text" or "json"/);
    await expect(startServer({ accessLog: 'yaml' as never })).rejects.toThrow(/"accessLog" must be/);
  });
});
