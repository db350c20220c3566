/**
 * GraphView: the running server as JSON, what `server.introspect()`
 * returns and the status page draws. Two graphs: the server-wide
 * components (an interface per listening address, the TCP server, the
 * logger, pools, the CGI process table, and whatever else registered a
 * gauge: FastCGI connections, proxy upstreams, backplanes), and the shape
 * of the per-connection graph (its children by name, with their roles and
 * classes, and its links), with live figures on every node and link. Rates
 * are per second over the sampler's last second; totals are since the
 * process began. docs/observability.md documents every field.
 */
import type { PlanLink } from '../core/graph-plan.js';
import type { HistoryView } from './history.js';

export interface GraphView {
  /** Bumped if a field changes meaning. */
  readonly version: 1;
  readonly server: ServerFigures;
  /** The server-wide components. */
  readonly nodes: readonly NodeView[];
  /** How they feed one another (by node id). */
  readonly links: readonly ServerLinkView[];
  /** The per-connection graph's shape, with figures. */
  readonly connection: ConnectionView;
  /** Every component class the runtime has counted, with each box's figures. */
  readonly components: readonly ComponentView[];
  /** With --workers: each worker's own server figures (the rest of the view is their sum). */
  readonly workers?: readonly ServerFigures[];
}

export interface ServerFigures {
  readonly name: string;
  readonly pid: number;
  /** The cluster worker's id, with --workers. */
  readonly worker?: number;
  /** Seconds since the server was made. */
  readonly uptime: number;
  /** When the view was taken, ms since the epoch. */
  readonly time: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Share of one core used over the last second (1 = a whole core). */
  readonly cpu: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** The event loop's delay, ms: 99th percentile since the last sample. */
  readonly loopDelay: number;
  /** Open file descriptors (Linux; 0 where unknown). */
  readonly fds: number;
}

export interface NodeView {
  /** Unique within the view: `interface:0`, `tcp`, `connections`, `logger`, `<kind>:<name>` for a gauge. */
  readonly id: string;
  /** `interface`, `component`, `connections`, or a gauge's kind (`pool`, `cgi`, `fastcgi`, `upstream`, `backplane`, ...). */
  readonly kind: string;
  readonly name: string;
  readonly role: string;
  /** Its figures now: counts, and rates (`...PerSecond`). */
  readonly figures: Readonly<Record<string, number>>;
}

export interface ServerLinkView {
  readonly from: string;
  readonly to: string;
  /** What travels: `connections`, `log records`, `jobs`. */
  readonly label: string;
  /** Messages per second along it, where the runtime counts them. */
  readonly rate?: number;
}

export interface ConnectionView {
  /** The plan's title (`HTTP connection`), or the class of a `protocol` of the user's. */
  readonly name: string;
  /** Connection graphs alive now. */
  readonly alive: number;
  /** The socket component each graph is joined to (its `self.` boxes are the socket's ends). */
  readonly socket: ChildView | undefined;
  readonly children: readonly ChildView[];
  readonly links: readonly LinkView[];
}

export interface ChildView {
  readonly name: string;
  readonly role: string;
  /** Its class; '' when it was made while the census was off. */
  readonly className: string;
  /** Instances alive now (of its class, across the process). */
  readonly live: number;
  readonly failed: number;
  readonly boxes: readonly BoxView[];
}

export interface BoxView {
  readonly name: string;
  readonly direction: 'in' | 'out';
  /** Messages delivered through it since the process began. */
  readonly sent: number;
  readonly rate: number;
  /** Sent while nothing was linked, and so dropped. */
  readonly dropped: number;
  /** Kept by an inbox until its component started. */
  readonly held: number;
}

export interface LinkView {
  readonly from: PlanLink[0];
  readonly to: PlanLink[1];
  /** Messages along it (those through its sending box) since the process began, and per second. */
  readonly sent: number;
  readonly rate: number;
}

/** One component class (the kinds of a class that differ in their boxes, a Graphline's, are one entry). */
export interface ComponentView {
  readonly className: string;
  readonly live: number;
  readonly started: number;
  readonly failed: number;
  readonly boxes: readonly BoxView[];
}

/** What the status page asks for each second: the view, and the history rows it has not seen. */
export interface StatusFeed {
  readonly view: GraphView;
  readonly history: HistoryView;
}

const sumRecords = (records: readonly Readonly<Record<string, number>>[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
};

/** Boxes of the same name and direction, their figures added up, in the order first seen. */
export function mergeBoxes(lists: readonly (readonly BoxView[])[]): BoxView[] {
  const byKey = new Map<string, BoxView>();
  for (const list of lists) {
    for (const b of list) {
      const key = `${b.direction}:${b.name}`;
      const known = byKey.get(key);
      byKey.set(
        key,
        known
          ? {
              ...known,
              sent: known.sent + b.sent,
              rate: known.rate + b.rate,
              dropped: known.dropped + b.dropped,
              held: known.held + b.held,
            }
          : b,
      );
    }
  }
  return [...byKey.values()];
}

function mergeChildren(lists: readonly ChildView[][]): ChildView[] {
  const first = lists[0] ?? [];
  return first.map((c, i) => {
    const same = lists.map((l) => l[i]).filter((x): x is ChildView => x?.name === c.name);
    return {
      ...c,
      live: same.reduce((n, x) => n + x.live, 0),
      failed: same.reduce((n, x) => n + x.failed, 0),
      boxes: mergeBoxes(same.map((x) => x.boxes)),
    };
  });
}

/**
 * Several workers' views as one (the workers run the same configuration):
 * figures of the same node, child, box and link add up; each worker's
 * server figures are listed in `workers`.
 */
export function mergedViews(views: readonly GraphView[]): GraphView {
  const first = views[0]!;
  const byId = (id: string) => views.flatMap((v) => v.nodes.filter((n) => n.id === id));
  const nodeIds = [...new Set(views.flatMap((v) => v.nodes.map((n) => n.id)))];
  const servers = views.map((v) => v.server);
  const sum = (key: keyof ServerFigures) => servers.reduce((n, s) => n + (s[key] as number), 0);
  const sockets = views.map((v) => v.connection.socket).filter((s): s is ChildView => s !== undefined);
  const classes = [...new Set(views.flatMap((v) => v.components.map((c) => c.className)))];
  return {
    version: 1,
    server: {
      ...first.server,
      worker: undefined,
      uptime: Math.max(...servers.map((s) => s.uptime)),
      requests: sum('requests'),
      requestsPerSecond: sum('requestsPerSecond'),
      cpu: sum('cpu'),
      rss: sum('rss'),
      heapUsed: sum('heapUsed'),
      loopDelay: Math.max(...servers.map((s) => s.loopDelay)),
      fds: sum('fds'),
    },
    nodes: nodeIds.map((id) => {
      const same = byId(id);
      return { ...same[0]!, figures: sumRecords(same.map((n) => n.figures)) };
    }),
    links: first.links.map((l) => {
      const same = views.map((v) => v.links.find((k) => k.from === l.from && k.to === l.to));
      return l.rate === undefined ? l : { ...l, rate: same.reduce((n, k) => n + (k?.rate ?? 0), 0) };
    }),
    connection: {
      ...first.connection,
      alive: views.reduce((n, v) => n + v.connection.alive, 0),
      socket: sockets.length > 0 ? mergeChildren(sockets.map((s) => [s]))[0] : undefined,
      children: mergeChildren(views.map((v) => [...v.connection.children])),
      links: first.connection.links.map((l, i) => ({
        ...l,
        sent: views.reduce((n, v) => n + (v.connection.links[i]?.sent ?? 0), 0),
        rate: views.reduce((n, v) => n + (v.connection.links[i]?.rate ?? 0), 0),
      })),
    },
    components: classes.map((className) => {
      const same = views.flatMap((v) => v.components.filter((c) => c.className === className));
      return {
        className,
        live: same.reduce((n, c) => n + c.live, 0),
        started: same.reduce((n, c) => n + c.started, 0),
        failed: same.reduce((n, c) => n + c.failed, 0),
        boxes: mergeBoxes(same.map((c) => c.boxes)),
      };
    }),
    workers: servers,
  };
}
