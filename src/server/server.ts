/**
 * createServer: builds the default server graph from one options object.
 *
 *   server = Graphline({ tcp: TcpServer, logger: Logger })
 *   tcp builds, per connection, httpConnection(...) (or your `protocol`)
 *
 * What one configuration builds, its routes and its thread pool (when it has
 * WSGI applications), is a *site*. `reload()` swaps the site: new
 * connections get graphs from the new one; the old one's pool is retired
 * once the last connection built from it has ended.
 *
 * `listen()` resolves with the bound addresses; `stop()` stops accepting,
 * lets requests in flight finish (up to `timeouts.shutdown`), stops the
 * pools, and last the logger, so nothing said on the way out is lost.
 * `channels` are the log channels as streams.
 */
import cluster from 'node:cluster';
import type { Observable } from 'rxjs';
import type { Component } from '../core/component.js';
import type { ConnectionInfo } from '../core/connection-info.js';
import { Graphline } from '../core/graph.js';
import { GraphPlan } from '../core/graph-plan.js';
import { link } from '../core/link.js';
import { logRecord, type LogRecord } from '../core/log.js';
import { gracefulShutdown } from '../core/signals.js';
import { Sink } from '../../components/sink.js';
import { TcpServer, type BoundAddress, type ServerEvent } from '../../components/tcp-server/index.js';
import { httpConnectionPlan } from '../../components/http-connection.js';
import { Logger, type ChannelName } from '../../components/logger.js';
import { RouteTable, type Route } from '../../components/request-router.js';
import { healthRoute, metricsRoute, statusRoute } from '../../components/status.js';
import { CgiProcesses } from '../../components/cgi/processes.js';
import { cgiRoutes } from '../../components/cgi/routes.js';
import { WorkerPool, type PoolState } from '../../components/wsgi/pool.js';
import { StaticSite, staticRoute } from '../../components/static-file/index.js';
import { VirtualHosts, virtualHostsRoute } from '../../components/static-file/virtual-hosts.js';
import { middlewareStages } from './middleware-options.js';
import { Compress } from '../../components/compress.js';
import { inGivenOrder, wsgiRoute, wsgiRoutes } from '../../components/wsgi/routes.js';
import { PythonPool } from '../../components/wsgi/python-pool.js';
import { ReverseProxy } from '../../components/proxy/reverse-proxy.js';
import { trustProxyStage } from '../../components/trust-proxy.js';
import { ServerCounters } from '../http/counters.js';
import { setCensus } from '../core/census.js';
import type { GaugeSource } from '../core/gauges.js';
import type { GraphView } from '../http/graph-view.js';
import { fastCgiRoutes, type FastCgiApplication } from '../../components/fastcgi/routes.js';
import type { FastCgiPool } from '../../components/fastcgi/pool.js';
import type { FastCgiSupervisor } from '../../components/fastcgi/supervisor.js';
import { documentScriptsRoute } from '../../components/gateway/document-scripts.js';
import { buildFastCgi, documentScripts, gatewayDocumentRoot, sameFastCgi } from './gateways.js';
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js';
import { Introspector } from './introspect.js';
import { Figures } from './observe.js';

/** What a plan edited by the user is checked with, once, when the server is made. */
const probeConnection: ConnectionInfo = {
  id: 0,
  remoteAddress: '',
  remotePort: 0,
  family: 'IPv4',
  localAddress: '',
  localPort: 0,
  secure: false,
};

/** The minimal answer to a connection over the limit (RFC 9110 §15.6.4). */
const overloaded =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\nServer overloaded.\r\n';

/** Everything one configuration builds: what reload replaces. */
interface Site {
  readonly options: ResolvedOptions;
  readonly routes: RouteTable;
  /** The thread pool of its WSGI applications, if it has any. */
  readonly pool: WorkerPool | undefined;
  /** The process pools of its Python applications, one per application, in their order. */
  readonly python: readonly PythonPool[];
  /** Its CGI scripts running and waiting (the concurrency cap), shared by its CGI routes. */
  readonly cgi: CgiProcesses;
  /** Its document root, if it serves one. */
  readonly documents: StaticSite | undefined;
  /** Its virtual hosts' document roots, if it has any. */
  readonly hosts: VirtualHosts | undefined;
  /** Its FastCGI applications: a pool each, and the supervisor of those it spawns. */
  readonly fastcgi: readonly FastCgiApplication[];
  /** Its proxied prefixes, with their upstream pools. */
  readonly proxies: readonly ReverseProxy[];
  /** The per-connection graph, by name (what the status page draws); unused under a `protocol` of the user's. */
  readonly plan: GraphPlan<ConnectionInfo>;
  readonly protocol: (info: ConnectionInfo) => Component<any>;
  /** Connections built from this site and still open. */
  open: number;
  /** Replaced by a reload: its pool goes once `open` reaches 0. */
  retired: boolean;
}

export class BoxwireServer {
  /** Server-wide figures, kept by the components (see the status page); `counters.gauges` is where parts register what they hold. */
  readonly counters = new ServerCounters();
  /** What the status page and /metrics read: the introspector's view and history, or every worker's (see observe.ts). */
  readonly figures: Figures;
  private readonly introspector: Introspector;
  /** Connection graphs alive, built from any configuration. */
  private graphs = 0;
  readonly tcp: TcpServer;
  readonly logger: Logger;
  readonly graph: Graphline<{ tcp: TcpServer; logger: Logger }>;
  private current: Site;
  /** Pools that are running: the site's, and retired ones still finishing. */
  private readonly pools = new Set<WorkerPool | PythonPool>();
  /** Every site's CGI processes: stop() ends what is still running. */
  private readonly cgiGroups = new Set<CgiProcesses>();
  /** FastCGI pools and supervisors that are running: the site's, and retired ones still finishing. */
  private readonly fastcgiParts = new Set<FastCgiPool | FastCgiSupervisor>();
  /** Document roots with their caches and directory watches, until closed. */
  private readonly documentRoots = new Set<StaticSite | VirtualHosts>();
  /** Every site's proxies, until closed, with what takes their gauge off the status page. */
  private readonly proxies = new Map<ReverseProxy, (() => void) | undefined>();
  private listening: Promise<readonly BoundAddress[]> | undefined;
  private stopping: Promise<void> | undefined;
  /** Where the server was told to listen, as given: a reload that does not say keeps it. */
  private readonly where: Pick<ServerOptions, 'interfaces' | 'host' | 'port'>;

  constructor(options: ServerOptions = {}) {
    const o = resolveOptions(options);
    // The census is the process's: off is for the whole process (docs/observability.md).
    if (!o.introspection) setCensus(false);
    this.counters.detailed = o.introspection;
    this.where = options.interfaces ? { interfaces: options.interfaces } : { host: options.host, port: options.port };
    this.logger = new Logger(o.log);
    this.introspector = new Introspector({
      name: o.serverHeader || 'boxwire',
      counters: this.counters,
      // Read when someone looks: the TCP server is made after the first configuration (whose status route reads these).
      tcp: () => this.tcp,
      logger: this.logger,
      connectionPlan: () => ({ plan: this.current.plan, custom: this.current.options.protocol !== undefined }),
      graphsAlive: () => this.graphs,
      worker: cluster.isWorker ? cluster.worker?.id : undefined,
    });
    this.figures = new Figures(this.introspector, this.counters);
    this.current = this.build(o);
    this.tcp = new TcpServer({
      interfaces: o.interfaces,
      maxConnections: o.limits.connections,
      refusal: overloaded,
      writeTimeout: o.timeouts.write,
      proxyHeaderTimeout: o.timeouts.header,
      // Read at each accept, so a reload changes what new connections get.
      protocol: (info) => this.connect(info),
    });
    this.graph = new Graphline({ tcp: this.tcp, logger: this.logger }, [
      ['tcp.log', 'logger.inbox'],
      ['tcp.events', 'self.events'],
    ]);
    const tcp = this.tcp;
    this.counters.connections = () => ({ open: tcp.connectionCount, total: tcp.accepted, refused: tcp.refused });
    this.counters.gauges.add({
      kind: 'cgi',
      name: 'processes',
      role: 'CGI scripts running, and requests waiting for a slot',
      read: () => {
        const cgi = this.current.cgi;
        return { running: cgi.running, queued: cgi.queued, concurrency: cgi.limits.concurrency, queue: cgi.limits.queue };
      },
    });
  }

  /**
   * The server as it runs: the server-wide components and the shape of the
   * per-connection graph, with live figures (GraphView, docs/observability.md).
   * This process's; with --workers, `figures.view()` gathers every worker's.
   */
  introspect(): GraphView {
    return this.introspector.view();
  }

  /** The options in force. */
  get options(): ResolvedOptions {
    return this.current.options;
  }

  get routes(): RouteTable {
    return this.current.routes;
  }

  /** The per-connection graph in force, by name: edit it with the `connection` option. */
  get connectionPlan(): GraphPlan<ConnectionInfo> {
    return this.current.plan;
  }

  /** The thread pool of the WSGI applications in force; undefined when there are none. */
  get pool(): WorkerPool | undefined {
    return this.current.pool;
  }

  /** The process pools of the Python applications in force, in the order they were given. */
  get pythonPools(): readonly PythonPool[] {
    return this.current.python;
  }

  /** The CGI scripts running and waiting, shared by every CGI route of the configuration in force. */
  get cgiProcesses(): CgiProcesses {
    return this.current.cgi;
  }

  /** The FastCGI applications in force: their pools of connections, and the supervisors of those boxwire spawns. */
  get fastcgi(): readonly FastCgiApplication[] {
    return this.current.fastcgi;
  }

  /** The document root being served, if any. */
  get site(): StaticSite | undefined {
    return this.current.documents;
  }

  /** The WSGI thread pool now (threads, busy, idle, starting, queued, served); undefined without applications. */
  get poolStatus(): PoolState | undefined {
    return this.current.pool?.status;
  }

  /** The log channels, as streams. */
  get channels(): Record<ChannelName, Observable<LogRecord>> {
    const boxes = this.logger.outboxes;
    return { server: boxes.server, errors: boxes.errors, requests: boxes.requests, monitor: boxes.monitor };
  }

  /** The bound addresses, once listening. */
  get addresses(): readonly BoundAddress[] {
    return this.tcp.addresses;
  }

  /** The URL of the first address. */
  get url(): string {
    const a = this.addresses[0];
    if (!a) throw new Error('boxwire: not listening');
    return urlOf(a);
  }

  /** Starts the server; resolves with the bound addresses, rejects when it cannot listen. */
  listen(): Promise<readonly BoundAddress[]> {
    this.listening ??= new Promise((resolve, reject) => {
      const events = new Sink<ServerEvent>((event) => {
        if (event.type !== 'listening') return;
        resolve(event.addresses);
        // Its work is done: the server's events (one per connection and per disconnection) go on to whoever else listens.
        void events.shutdown();
      });
      link(this.graph.outboxes.events!, events.inboxes.inbox);
      events.start();
      void this.graph.done.then((ended) => {
        this.introspector.stop();
        void events.shutdown();
        for (const pool of this.pools) void pool.shutdown();
        for (const part of this.fastcgiParts) void part.shutdown();
        for (const documents of this.documentRoots) documents.close();
        for (const proxy of [...this.proxies.keys()]) this.closeProxy(proxy);
        reject(ended.reason === 'failed' ? ended.error : new Error('boxwire: stopped before listening'));
      });
      this.graph.start();
      this.startPools(this.current);
      this.introspector.start();
    });
    return this.listening;
  }

  /**
   * Stops accepting, lets requests in flight finish and closes idle
   * connections; after `timeouts.shutdown` ms closes whatever is left. Then
   * the pools stop, and last the logger.
   */
  stop(deadline = this.options.timeouts.shutdown): Promise<void> {
    this.stopping ??= this.stopAll(deadline);
    return this.stopping;
  }

  private async stopAll(deadline: number): Promise<void> {
    if (this.graph.state === 'created') {
      await this.graph.shutdown();
      return;
    }
    const late = setTimeout(() => {
      void this.tcp.shutdown();
      for (const pool of this.pools) void pool.shutdown();
    }, deadline);
    late.unref();
    this.tcp.inboxes.control.send(gracefulShutdown);
    await this.tcp.done;
    await Promise.all([...this.pools].map((pool) => (pool.inboxes.control.send(gracefulShutdown), pool.done)));
    clearTimeout(late);
    this.introspector.stop();
    for (const group of this.cgiGroups) group.endAll();
    // FastCGI connections close (nothing is in flight any more) and spawned applications are stopped.
    await Promise.all([...this.fastcgiParts].map((part) => part.shutdown()));
    // The document roots' directory watches end with the server, and so do the proxies' pools and health checks.
    for (const documents of this.documentRoots) documents.close();
    for (const proxy of [...this.proxies.keys()]) this.closeProxy(proxy);
    await this.logger.shutdown();
    await this.graph.done;
  }

  /**
   * Takes a new configuration without closing the listening sockets
   * (Rocket's restart): new connections get graphs built from it; open
   * connections finish what they are doing on their old graph and close, so
   * their clients reconnect to the new one. WSGI applications are loaded
   * afresh by a new pool (the old one finishes its requests first). The
   * addresses cannot change this way (stop and start again for that);
   * options that do not name them keep them. Bad options throw and change
   * nothing.
   */
  reload(options: ServerOptions): void {
    const now = this.current.options;
    // Options that do not say where to listen keep the addresses in use.
    const next = resolveOptions(options.interfaces || options.host || options.port !== undefined ? options : { ...options, ...this.where });
    if (JSON.stringify(addressesOf(next)) !== JSON.stringify(addressesOf(now))) {
      throw new TypeError(
        `boxwire: a reload cannot move the server from ${addressesOf(now).join(', ')} to ${addressesOf(next).join(', ')}; restart it`,
      );
    }
    const old = this.current;
    this.current = this.build(next);
    this.startPools(this.current);
    old.retired = true;
    this.retireIfIdle(old);
    this.tcp.inboxes.renew.send({ type: 'renew' });
    this.logger.inboxes.inbox.send(logRecord('server', 'info', 'configuration reloaded; open connections finish on the old one'));
  }

  /** A connection's graph, from the site in force, counted against it. */
  private connect(info: ConnectionInfo): Component<any> {
    const site = this.current;
    const graph = site.protocol(info);
    site.open++;
    this.graphs++;
    graph.whenEnded(() => {
      site.open--;
      this.graphs--;
      this.retireIfIdle(site);
    });
    return graph;
  }

  private retireIfIdle(site: Site): void {
    if (!site.retired || site.open > 0) return;
    if (site.pool && site.pool !== this.current.pool) site.pool.inboxes.control.send(gracefulShutdown);
    for (const pool of site.python) if (!this.current.python.includes(pool)) pool.inboxes.control.send(gracefulShutdown);
    for (const application of site.fastcgi) {
      if (this.current.fastcgi.includes(application)) continue;
      void application.pool.shutdown();
      void application.supervisor?.shutdown();
    }
    for (const proxy of site.proxies) {
      if (this.current.proxies.includes(proxy)) continue;
      this.closeProxy(proxy);
    }
    if (site.documents && site.documents !== this.current.documents) {
      site.documents.close();
      this.documentRoots.delete(site.documents);
    }
    if (site.hosts && site.hosts !== this.current.hosts) {
      site.hosts.close();
      this.documentRoots.delete(site.hosts);
    }
  }

  private startPools(site: Site): void {
    this.startPool(site.pool, 'wsgi', 'threads running the WSGI and fetch applications');
    site.python.forEach((pool, i) => {
      this.startPool(pool, `python ${site.options.python.apps[i]!.prefix}`, 'python3 processes running a Python application');
    });
    for (const { app, pool, supervisor } of site.fastcgi) {
      this.startPart(pool, {
        kind: 'fastcgi',
        name: app.name,
        role: `connections to the FastCGI application at ${app.name}`,
        read: () => ({ ...pool.status }),
      });
      if (supervisor) this.startPart(supervisor);
    }
    for (const proxy of site.proxies) this.startProxy(proxy);
  }

  /** Begins a proxy's health checks, its gauge on the status page and /metrics until it closes. */
  private startProxy(proxy: ReverseProxy): void {
    if (this.graph.state !== 'running' || this.proxies.get(proxy)) return;
    proxy.start();
    const mount = proxy.options.mount || '/';
    const gauge = { kind: 'proxy', name: mount, role: `upstream connections for ${mount}`, read: () => ({ ...proxy.status }) };
    this.proxies.set(proxy, this.counters.gauges.add(gauge));
  }

  private closeProxy(proxy: ReverseProxy): void {
    proxy.close();
    this.proxies.get(proxy)?.();
    this.proxies.delete(proxy);
  }

  /** Starts a FastCGI pool or supervisor, with its gauge on the status page and /metrics while it runs. */
  private startPart(part: FastCgiPool | FastCgiSupervisor, gauge?: GaugeSource): void {
    if (this.fastcgiParts.has(part) || this.graph.state !== 'running') return;
    this.fastcgiParts.add(part);
    link(part.outboxes.log, this.logger.inboxes.inbox);
    const unregister = gauge ? this.counters.gauges.add(gauge) : undefined;
    part.whenEnded(() => {
      this.fastcgiParts.delete(part);
      unregister?.();
    });
    part.start();
  }

  private startPool(pool: WorkerPool | PythonPool | undefined, name: string, role: string): void {
    if (!pool || this.pools.has(pool) || this.graph.state !== 'running') return;
    this.pools.add(pool);
    link(pool.outboxes.log, this.logger.inboxes.inbox);
    // What it holds, on the status page and /metrics, for as long as it runs.
    const unregister = this.counters.gauges.add({ kind: 'pool', name, role, read: () => ({ ...pool.status }), counters: ['served'] });
    pool.whenEnded(() => {
      this.pools.delete(pool);
      unregister();
    });
    pool.start();
  }

  private build(o: ResolvedOptions): Site {
    // The built-in request stages go first (middleware-options.ts says in what order), the response stages after yours.
    // Made first: a users file that cannot be read refuses the options before anything else is opened.
    const stages = middlewareStages(o.middleware);
    const old = this.current as Site | undefined;
    // The same applications on the same pool settings keep the pool (and its warm threads).
    const samePool = old?.pool && JSON.stringify([old.options.wsgi, old.options.pool]) === JSON.stringify([o.wsgi, o.pool]);
    const pool = samePool ? old!.pool : o.wsgi.length > 0 ? new WorkerPool(o.wsgi, o.pool) : undefined;
    // The same process limits keep counting against the same cap.
    const sameCgi = old && JSON.stringify(old.cgi.limits) === JSON.stringify(cgiLimits(o));
    const cgi = sameCgi ? old!.cgi : new CgiProcesses(cgiLimits(o));
    this.cgiGroups.add(cgi);
    // The gateways take a client that ends its side for gone, unless told to serve half-closed clients.
    const gateway = (route: Route): Route => (o.serveHalfClosed ? { ...route, halfClose: 'serve' } : route);
    // Python applications keep their processes when nothing about how they run changed.
    const samePython = old && JSON.stringify(old.options.python) === JSON.stringify(o.python);
    const python = samePython ? old!.python : o.python.apps.map((app) => new PythonPool(app, o.python));
    const serverSoftware = o.serverHeader || 'boxwire';
    const pythonRoutes = o.python.apps.map((app, i) => ({
      position: app.position,
      route: wsgiRoute(app.prefix, python[i]!, 0, { serverSoftware }, 'python'),
    }));
    const wsgi = inGivenOrder(pool ? wsgiRoutes(o.wsgi, pool, { serverSoftware }) : [], pythonRoutes).map(gateway);
    // The same FastCGI applications keep their connections and processes.
    const fastcgi = old && sameFastCgi(old.options, o) ? old.fastcgi : buildFastCgi(o, serverSoftware);
    const scripts = documentScripts(o, cgi, fastcgi, serverSoftware);
    // A file in a CGI directory is a program, never a document to show; nor is a script of the document root.
    const staticOptions = {
      ...o.static,
      exclude: [...o.static.exclude, ...o.cgi.mappings.map((m) => m.path)],
      scripts: scripts.names.size > 0 ? scripts.names : undefined,
    };
    const sameDocuments =
      old?.documents &&
      old.options.root === o.root &&
      JSON.stringify(old.options.static) === JSON.stringify(o.static) &&
      JSON.stringify(old.documents.options.scripts?.extensions ?? []) === JSON.stringify(scripts.names.extensions);
    const documents = o.root === false ? undefined : sameDocuments ? old!.documents : new StaticSite(o.root, staticOptions);
    if (documents) this.documentRoots.add(documents);
    const vhosts = o.middleware.vhosts;
    const hosts = vhosts.length > 0 ? new VirtualHosts(vhosts, staticOptions, documents) : undefined;
    if (hosts) this.documentRoots.add(hosts);

    // A proxied prefix whose options did not change keeps its pools (and their warm connections).
    const proxies = o.proxy.map((options) => {
      const same = old?.proxies.find((p) => JSON.stringify(p.options) === JSON.stringify(options));
      return same ?? new ReverseProxy(options, (record) => this.logger.inboxes.inbox.send(record));
    });
    for (const proxy of proxies) if (!this.proxies.has(proxy)) this.proxies.set(proxy, undefined);
    // Built-in routes, then the user's, then the CGI and WSGI prefixes; the document root is the catch-all, last.
    const routes = new RouteTable([
      ...builtInRoutes(o, this.figures),
      ...o.routes,
      ...proxies.map((proxy) => gateway(proxy.route())),
      ...cgiRoutes({ options: o.cgi, processes: cgi, serverSoftware }).map(gateway),
      ...fastCgiRoutes(fastcgi, gatewayDocumentRoot(o)).map(gateway),
      ...wsgi,
      // The document root's scripts go just before it: they take only the paths that may name one.
      ...(documents && scripts.names.size > 0 ? [gateway(documentScriptsRoute(documents, scripts.names, scripts.backends))] : []),
      ...(hosts ? [virtualHostsRoute(hosts)] : documents ? [staticRoute(documents)] : []),
    ]);
    const compress = o.compress;
    // Compression goes after the user's stages, so they see bodies as the handlers made them.
    const after = compress ? [...o.after, () => new Compress(compress)] : o.after;
    // What every connection's graph is built from, worked out once per site.
    const defaultPlan = httpConnectionPlan({
      routes,
      limits: o.limits,
      timeouts: o.timeouts,
      server: o.serverHeader,
      accessLog: o.accessLog,
      errorPages: o.errorPages,
      // Trusted-proxy resolution goes first: every stage after it sees the client's address.
      before: [...(o.trustProxy ? [trustProxyStage(o.trustProxy)] : []), ...stages.before, ...o.before],
      after,
      counters: this.counters,
    });
    const headers = stages.headers;
    const builtIn = headers
      ? defaultPlan.insert('securityHeaders', headers, { after: 'errorPage', before: 'responder', role: 'security headers' })
      : defaultPlan;
    const plan = o.connection ? o.connection(builtIn) : builtIn;
    if (!(plan instanceof GraphPlan)) throw new TypeError('boxwire: option "connection" must return the plan it was given, edited');
    if (o.connection) {
      try {
        plan.check(probeConnection);
      } catch (error) {
        throw new TypeError(`boxwire: option "connection": ${(error as Error).message}`);
      }
    }
    const own = o.protocol;
    const protocol = own ? (info: ConnectionInfo) => own(info, o) : (info: ConnectionInfo) => plan.build(info);
    return { options: o, routes, pool, python, cgi, documents, hosts, fastcgi, proxies, plan, protocol, open: 0, retired: false };
  }
}

function cgiLimits(o: ResolvedOptions) {
  return { concurrency: o.cgi.concurrency, queue: o.cgi.queue, killGrace: o.cgi.killGrace };
}

function addressesOf(o: ResolvedOptions): string[] {
  return o.interfaces.map((i) => `${i.tls ? 'https://' : ''}${hostPort(i.host, i.port)}`);
}

/** `host:port`, an IPv6 host in brackets (RFC 3986 §3.2.2). */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The URL of a bound address: `http://127.0.0.1:8080`, `https://[::1]:8443`. */
export function urlOf(address: BoundAddress): string {
  return `${address.secure ? 'https' : 'http'}://${hostPort(address.host, address.port)}`;
}

/** The routes the server brings itself, before the user's: status, metrics and health checks, when asked for. */
function builtInRoutes(o: ResolvedOptions, figures: Figures): Route[] {
  const routes: Route[] = [];
  if (o.status) routes.push(statusRoute(o.status, figures, o.serverHeader || 'boxwire'));
  if (o.metrics) routes.push(metricsRoute(o.metrics, figures));
  if (o.healthz) routes.push(healthRoute(o.healthz));
  return routes;
}

export function createServer(options: ServerOptions = {}): BoxwireServer {
  return new BoxwireServer(options);
}
