/**
 * The server seen from inside: what `server.introspect()`, the status page
 * and /metrics show. It reads the figures the parts keep (the runtime's
 * census, the server's counters, each interface's, the gauges) and keeps
 * the one thing none of them does, the recent past: once a second it takes
 * a sample (rates over that second, latency percentiles, connections,
 * pools) into a ten-minute history, and a copy of the census's message
 * counters, which turns totals into the rates on the graph's nodes and
 * links. Its timer is unref'd and runs only while the server listens.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { allKinds, figuresOf, sentNow, tallies, type ComponentKind } from '../core/census.js';
import type { ConnectionInfo } from '../core/connection-info.js';
import type { GaugeReading } from '../core/gauges.js';
import type { GraphPlan, PlanLink } from '../core/graph-plan.js';
import { durationBuckets, statusClasses, type ServerCounters } from '../http/counters.js';
import type {
  BoxView,
  ChildView,
  ComponentView,
  ConnectionView,
  GraphView,
  LinkView,
  NodeView,
  ServerFigures,
  ServerLinkView,
} from '../http/graph-view.js';
import { mergeBoxes } from '../http/graph-view.js';
import { History, type HistoryView } from '../http/history.js';
import { family, histogramSamples, metricName, type MetricFamily, type MetricSample } from '../http/metrics.js';
import { TcpConnection, type BoundAddress, type TcpServer } from '../../components/tcp-server/index.js';
import type { Logger } from '../../components/logger.js';

/** What the introspector reads of its server. */
export interface ObservedServer {
  readonly name: string;
  readonly counters: ServerCounters;
  readonly tcp: () => TcpServer;
  readonly logger: Logger;
  /** The per-connection plan in force, and whether a `protocol` of the user's replaces it. */
  connectionPlan(): { readonly plan: GraphPlan<ConnectionInfo>; readonly custom: boolean };
  /** Connection graphs alive, from every configuration still serving one. */
  graphsAlive(): number;
  /** The cluster worker's id, when this server is one of several workers. */
  readonly worker?: number;
}

/** What a context-free build of the plan is given, to learn its children's classes (see GraphPlan.childKinds). */
const probe: ConnectionInfo = { id: 0, remoteAddress: '', remotePort: 0, family: 'IPv4', localAddress: '', localPort: 0, secure: false };

export class Introspector {
  readonly history = new History();
  private timer: NodeJS.Timeout | undefined = undefined;
  private delay: IntervalHistogram | undefined = undefined;
  /** The census's message counters at the last two samples, and the seconds between them. */
  private previous: Float64Array | undefined = undefined;
  private latest: Float64Array | undefined = undefined;
  private span = 1;
  private lastAt = Date.now();
  private lastBytes = 0;
  private lastClasses = [0, 0, 0, 0, 0];
  private lastRequests = 0;
  private lastAccepted: number[] = [];
  private lastCpu = process.cpuUsage();
  /** Figures of the last second. */
  private recent = { cpu: 0, loopDelay: 0, loopP50: 0, loopP90: 0, loopMax: 0, requestsPerSecond: 0, accepted: [] as number[] };

  constructor(private readonly server: ObservedServer) {}

  /** Starts sampling (the server has started listening). */
  start(): void {
    if (this.timer) return;
    this.lastAt = Date.now();
    this.latest = sentNow();
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
    this.timer = setInterval(() => this.sample(), this.history.interval);
    this.timer.unref();
  }

  /** Stops sampling (the server has stopped). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.delay?.disable();
    this.delay = undefined;
  }

  /** Takes one sample: what the plots show for the second just gone. */
  sample(now = Date.now()): void {
    const { counters } = this.server;
    const tcp = this.server.tcp();
    const span = Math.max(0.001, (now - this.lastAt) / 1000);
    this.lastAt = now;
    this.previous = this.latest;
    this.latest = sentNow();
    this.span = span;
    const classes = counters.byClass.map((n, i) => (n - this.lastClasses[i]!) / span);
    this.lastClasses = [...counters.byClass];
    const bytes = (counters.bytesSent - this.lastBytes) / span;
    this.lastBytes = counters.bytesSent;
    this.recent.requestsPerSecond = (counters.requests - this.lastRequests) / span;
    this.lastRequests = counters.requests;
    this.recent.accepted = tcp.listeners.map((l, i) => (l.accepted - (this.lastAccepted[i] ?? 0)) / span);
    this.lastAccepted = tcp.listeners.map((l) => l.accepted);
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    this.recent.cpu = (cpu.user + cpu.system) / 1e6 / span;
    const delay = this.delay;
    if (delay && delay.count > 0) {
      this.recent.loopP50 = delay.percentile(50) / 1e6;
      this.recent.loopP90 = delay.percentile(90) / 1e6;
      this.recent.loopDelay = delay.percentile(99) / 1e6;
      this.recent.loopMax = delay.max / 1e6;
      delay.reset();
    }
    const window = counters.window;
    const gauges = counters.gauges.read();
    const pools = sumOf(gauges.filter((g) => g.kind === 'pool'));
    const cgi = sumOf(gauges.filter((g) => g.kind === 'cgi'));
    this.history.add(now, {
      '1xx': classes[0]!,
      '2xx': classes[1]!,
      '3xx': classes[2]!,
      '4xx': classes[3]!,
      '5xx': classes[4]!,
      p50: window.percentile(0.5),
      p90: window.percentile(0.9),
      p99: window.percentile(0.99),
      bytes,
      open: tcp.connectionCount,
      busy: pools.busy ?? 0,
      idle: pools.idle ?? 0,
      queued: pools.queued ?? 0,
      cgiRunning: cgi.running ?? 0,
      cgiQueued: cgi.queued ?? 0,
    });
    window.clear();
  }

  /** The history rows after `since` (ms since the epoch). */
  historySince(since = 0): HistoryView {
    return this.history.view(since);
  }

  /** Messages per second through a census slot over the last sample. */
  private rate(slot: number): number {
    const { previous, latest } = this;
    if (slot === 0 || !previous || !latest || slot >= latest.length) return 0;
    // A slot made since the earlier sample counted nothing before it.
    return (latest[slot]! - (slot < previous.length ? previous[slot]! : 0)) / this.span;
  }

  private boxesOf(kind: ComponentKind): BoxView[] {
    return figuresOf(kind).boxes.map((b) => ({ ...b, rate: this.rate(kind.slotOf(b.direction, b.name)) }));
  }

  private childOf(name: string, role: string, kind: ComponentKind | undefined): ChildView {
    if (!kind) return { name, role, className: '', live: 0, failed: 0, boxes: [] };
    return { name, role, className: kind.className, live: kind.live, failed: kind.failed, boxes: this.boxesOf(kind) };
  }

  /** The server as it runs, as JSON (see GraphView in src/http/graph-view.ts). */
  view(now = Date.now()): GraphView {
    const { counters, logger } = this.server;
    const tcp = this.server.tcp();
    const gauges = counters.gauges.read();
    const connection = this.connectionView();
    const addresses = tcp.addresses;
    const interfaces: NodeView[] = tcp.listeners.map((l, i) => ({
      id: `interface:${i}`,
      kind: 'interface',
      name: addresses[i] ? addressName(addresses[i]!) : `${tcp.options.interfaces[i]!.host}:${tcp.options.interfaces[i]!.port}`,
      role: 'a listening socket',
      figures: {
        open: l.open,
        accepted: l.accepted,
        acceptedPerSecond: this.recent.accepted[i] ?? 0,
        refused: l.refused,
        paused: l.paused,
        blocked: l.blocked,
      },
    }));
    const loggerKind = logger.censusKind;
    const logRate = loggerKind ? this.rate(loggerKind.slotOf('in', 'inbox')) : 0;
    const gaugeNodes: NodeView[] = gauges.map((g) => ({
      id: `${g.kind}:${g.name}`,
      kind: g.kind,
      name: g.name,
      role: g.role,
      figures: g.figures,
    }));
    const nodes: NodeView[] = [
      ...interfaces,
      {
        id: 'tcp',
        kind: 'component',
        name: 'TcpServer',
        role: 'accepts connections and builds a graph for each',
        figures: { open: tcp.connectionCount, accepted: tcp.accepted, refused: tcp.refused },
      },
      {
        id: 'connections',
        kind: 'connections',
        name: connection.name,
        role: 'one graph per connection, this shape',
        figures: {
          alive: connection.alive,
          requests: counters.requests,
          requestsPerSecond: this.recent.requestsPerSecond,
          paused: tcp.listeners.reduce((n, l) => n + l.paused, 0),
          blocked: tcp.listeners.reduce((n, l) => n + l.blocked, 0),
          failed: connection.children.reduce((n, c) => n + c.failed, 0),
        },
      },
      {
        id: 'logger',
        kind: 'component',
        name: 'Logger',
        role: 'log records to channels and lines',
        figures: { records: loggerKind ? figuresOf(loggerKind).boxes.find((b) => b.name === 'inbox')!.sent : 0, recordsPerSecond: logRate },
      },
      ...gaugeNodes,
    ];
    const links: ServerLinkView[] = [
      ...interfaces.map((n, i) => ({ from: n.id, to: 'tcp', label: 'connections', rate: this.recent.accepted[i] ?? 0 })),
      { from: 'tcp', to: 'connections', label: 'a graph per connection' },
      { from: 'connections', to: 'logger', label: 'log records', rate: logRate },
      ...gaugeNodes.map((n) => ({ from: 'connections', to: n.id, label: n.kind === 'backplane' ? 'messages' : 'jobs' })),
    ];
    return {
      version: 1,
      server: this.serverFigures(now),
      nodes,
      links,
      connection,
      components: this.components(),
    };
  }

  private serverFigures(now: number): ServerFigures {
    const memory = process.memoryUsage();
    const { counters } = this.server;
    return {
      name: this.server.name,
      pid: process.pid,
      worker: this.server.worker,
      uptime: (now - counters.startedAt) / 1000,
      time: now,
      requests: counters.requests,
      requestsPerSecond: this.recent.requestsPerSecond,
      cpu: this.recent.cpu,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      loopDelay: this.recent.loopDelay,
      fds: openFds(),
    };
  }

  /** The per-connection graph's shape, with the figures of each child's class. */
  private connectionView(): ConnectionView {
    const { plan, custom } = this.server.connectionPlan();
    const socketKind = allKinds().find((k) => k.type === TcpConnection);
    const socket = socketKind ? this.childOf('socket', 'the connection: bytes in and out, backpressure', socketKind) : undefined;
    const alive = this.server.graphsAlive();
    if (custom) return { name: 'protocol of your own', alive, socket, children: [], links: [] };
    const view = plan.view();
    const kinds = plan.childKinds(probe);
    const children = view.children.map((c, i) => this.childOf(c.name, c.role, kinds[i]));
    const kindOf = new Map(view.children.map((c, i) => [c.name, kinds[i]]));
    const links: LinkView[] = view.links.map((link) => {
      const slot = linkSlot(link, kindOf);
      const total = slot === 0 ? 0 : tallies.sent[slot]!;
      return { from: link[0], to: link[1], sent: total, rate: this.rate(slot) };
    });
    return { name: view.name, alive, socket, children, links };
  }

  /** Every counted class, kinds of one class (a Graphline's many shapes) as one. */
  private components(): ComponentView[] {
    const byClass = new Map<string, ComponentKind[]>();
    for (const kind of allKinds()) byClass.set(kind.className, [...(byClass.get(kind.className) ?? []), kind]);
    return [...byClass.entries()].map(([className, kinds]) => ({
      className,
      live: kinds.reduce((n, k) => n + k.live, 0),
      started: kinds.reduce((n, k) => n + k.started, 0),
      failed: kinds.reduce((n, k) => n + k.failed, 0),
      boxes: mergeBoxes(kinds.map((k) => this.boxesOf(k))),
    }));
  }

  /** The server's figures as metric families (see docs/observability.md for the list). */
  metrics(): MetricFamily[] {
    const { counters } = this.server;
    const tcp = this.server.tcp();
    const addresses = tcp.addresses;
    const interfaceName = (i: number) =>
      addresses[i] ? addressName(addresses[i]!) : `${tcp.options.interfaces[i]?.host}:${tcp.options.interfaces[i]?.port}`;
    const routes = [...counters.routes.values()];
    const requests: [Record<string, string>, number][] = [];
    for (const r of routes) {
      for (let at = 0; at < r.byInterface.length; at++) {
        const n = r.byInterface[at]!;
        if (n > 0)
          requests.push([{ route: r.route, interface: interfaceName(Math.floor(at / 5)), status_class: statusClasses[at % 5]! }, n]);
      }
    }
    const durations: MetricSample[] = routes.flatMap((r) =>
      histogramSamples({ route: r.route }, durationBuckets, r.durations.counts, r.durations.sum),
    );
    const families: MetricFamily[] = [
      family('boxwire_http_requests', 'Responses written, by route, interface and status class.', 'counter', requests),
      {
        name: 'boxwire_http_request_duration_seconds',
        help: 'Time from the request head to the last byte of the response, by route.',
        type: 'histogram',
        samples: durations,
      },
      family(
        'boxwire_http_response_bytes',
        'Response content bytes written, by route.',
        'counter',
        routes.map((r) => [{ route: r.route }, r.bytes]),
      ),
      family('boxwire_http_responses_cut_short', 'Responses abandoned after their head was sent.', 'counter', [[{}, counters.cutShort]]),
      family(
        'boxwire_connections_open',
        'Connections open, by interface.',
        'gauge',
        tcp.listeners.map((l, i) => [{ interface: interfaceName(i) }, l.open]),
      ),
      family(
        'boxwire_connections_accepted',
        'Connections accepted, by interface.',
        'counter',
        tcp.listeners.map((l, i) => [{ interface: interfaceName(i) }, l.accepted]),
      ),
      family(
        'boxwire_connections_refused',
        'Connections refused (over the limit, or while stopping), by interface.',
        'counter',
        tcp.listeners.map((l, i) => [{ interface: interfaceName(i) }, l.refused]),
      ),
      family(
        'boxwire_connections_paused',
        'Connections whose reading is paused by backpressure, by interface.',
        'gauge',
        tcp.listeners.map((l, i) => [{ interface: interfaceName(i) }, l.paused]),
      ),
      family(
        'boxwire_connections_write_blocked',
        'Connections whose peer is not reading (write buffer full), by interface.',
        'gauge',
        tcp.listeners.map((l, i) => [{ interface: interfaceName(i) }, l.blocked]),
      ),
      family('boxwire_connection_graphs_alive', 'Per-connection graphs alive.', 'gauge', [[{}, this.server.graphsAlive()]]),
      ...this.componentFamilies(),
      ...gaugeFamilies(counters.gauges.read()),
      ...this.processFamilies(),
    ];
    return families;
  }

  private componentFamilies(): MetricFamily[] {
    const components = this.components();
    const boxes = (pick: (b: BoxView) => number): [Record<string, string>, number][] =>
      components.flatMap((c) =>
        c.boxes.map((b) => [{ class: c.className, box: b.name, direction: b.direction }, pick(b)] as [Record<string, string>, number]),
      );
    return [
      family(
        'boxwire_component_live',
        'Components alive, by class.',
        'gauge',
        components.map((c) => [{ class: c.className }, c.live]),
      ),
      family(
        'boxwire_component_started',
        'Components started, by class.',
        'counter',
        components.map((c) => [{ class: c.className }, c.started]),
      ),
      family(
        'boxwire_component_failures',
        'Components that failed (a handler threw, or a child of a graph failed), by class.',
        'counter',
        components.map((c) => [{ class: c.className }, c.failed]),
      ),
      family(
        'boxwire_box_messages',
        'Messages delivered through each box, by class and box name.',
        'counter',
        boxes((b) => b.sent),
      ),
      family(
        'boxwire_box_dropped',
        'Messages sent on a box with nothing linked, by class and box name.',
        'counter',
        boxes((b) => b.dropped),
      ),
      family(
        'boxwire_box_held',
        'Messages an inbox kept until its component started, by class and box name.',
        'counter',
        boxes((b) => b.held),
      ),
    ];
  }

  private processFamilies(): MetricFamily[] {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const started = (Date.now() - process.uptime() * 1000) / 1000;
    const limit = maxFds();
    const r = this.recent;
    return [
      family('process_cpu_user_seconds', 'User CPU time spent, in seconds.', 'counter', [[{}, cpu.user / 1e6]]),
      family('process_cpu_system_seconds', 'System CPU time spent, in seconds.', 'counter', [[{}, cpu.system / 1e6]]),
      family('process_cpu_seconds', 'User and system CPU time spent, in seconds.', 'counter', [[{}, (cpu.user + cpu.system) / 1e6]]),
      family('process_resident_memory_bytes', 'Resident memory size, in bytes.', 'gauge', [[{}, memory.rss]]),
      family('process_heap_bytes', 'Heap used by JavaScript, in bytes.', 'gauge', [[{}, memory.heapUsed]]),
      family('process_start_time_seconds', 'Start time of the process, in seconds since the epoch.', 'gauge', [[{}, Math.round(started)]]),
      family('process_open_fds', 'Open file descriptors.', 'gauge', [[{}, openFds()]]),
      ...(limit > 0 ? [family('process_max_fds', 'The most file descriptors the process may open.', 'gauge', [[{}, limit]])] : []),
      family('nodejs_eventloop_lag_p50_seconds', 'Event-loop delay over the last second: median.', 'gauge', [[{}, r.loopP50 / 1000]]),
      family('nodejs_eventloop_lag_p90_seconds', 'Event-loop delay over the last second: 90th percentile.', 'gauge', [
        [{}, r.loopP90 / 1000],
      ]),
      family('nodejs_eventloop_lag_p99_seconds', 'Event-loop delay over the last second: 99th percentile.', 'gauge', [
        [{}, r.loopDelay / 1000],
      ]),
      family('nodejs_eventloop_lag_max_seconds', 'Event-loop delay over the last second: the longest.', 'gauge', [[{}, r.loopMax / 1000]]),
    ];
  }
}

/** `http://127.0.0.1:8080`: what an interface is called on the page and in metric labels. */
function addressName(a: BoundAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.secure ? 'https' : 'http'}://${host}:${a.port}`;
}

/** The census slot a link's messages are counted in: its sending box's, or (from the graph's own inbox) the receiving one's. */
function linkSlot([from, to]: PlanLink, kinds: ReadonlyMap<string, ComponentKind | undefined>): number {
  const [fromOwner, fromBox] = split(from);
  if (fromOwner !== 'self') return kinds.get(fromOwner)?.slotOf('out', fromBox) ?? 0;
  const [toOwner, toBox] = split(to);
  return toOwner === 'self' ? 0 : (kinds.get(toOwner)?.slotOf('in', toBox) ?? 0);
}

function split(ref: string): [string, string] {
  const dot = ref.indexOf('.');
  return [ref.slice(0, dot), ref.slice(dot + 1)];
}

function sumOf(readings: readonly GaugeReading[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of readings) for (const [k, v] of Object.entries(r.figures)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Each gauge source's figures as `boxwire_<kind>_<figure>{<kind>="<name>"}`: counters for those it says only grow. */
function gaugeFamilies(readings: readonly GaugeReading[]): MetricFamily[] {
  const byName = new Map<string, { type: 'counter' | 'gauge'; kind: string; figure: string; values: [Record<string, string>, number][] }>();
  for (const r of readings) {
    for (const [figure, value] of Object.entries(r.figures)) {
      const type = r.counters.includes(figure) ? 'counter' : 'gauge';
      const name = `boxwire_${r.kind}_${figure}`;
      if (!metricName(name)) continue;
      const entry = byName.get(name) ?? { type, kind: r.kind, figure, values: [] };
      entry.values.push([{ [r.kind]: r.name }, value]);
      byName.set(name, entry);
    }
  }
  return [...byName.entries()].map(([name, e]) =>
    family(name, `${e.figure} of each ${e.kind}, by name (a gauge registered by the server's parts).`, e.type, e.values),
  );
}

/** Open file descriptors, from /proc (0 where there is none). */
function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length - 1; // less the one reading the directory
  } catch {
    return 0;
  }
}

let fdLimit: number | undefined;
function maxFds(): number {
  if (fdLimit !== undefined) return fdLimit;
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    fdLimit = Number(/Max open files\s+(\d+)/.exec(limits)?.[1] ?? 0);
  } catch {
    fdLimit = 0;
  }
  return fdLimit;
}
