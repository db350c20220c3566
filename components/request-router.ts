/**
 * RequestRouter: picks a handler for each request, by method, path pattern
 * and (optionally) host, and runs it.
 *
 * - A route's handler is either a plain function, `(request) => response`
 *   (sync or async), called here, or a component factory: a fresh handler
 *   component per request, run as a child (Carousel-style), whose outbox
 *   comes back to this router, or a task: a function that starts work the
 *   router can call off (when the client goes away, or at the time limit),
 *   for a handler that holds something per request but needs no boxes of
 *   its own (the WSGI gateway). A handler may answer with a Reroute (CGI's
 *   local redirect): the new request is routed again, at most 10 times.
 * - No route for the path: 404. A route for the path but not the method:
 *   405 with Allow. A method no route on the server takes: 501, unless it
 *   is a standard one (RFC 9110 §9, PATCH): that is a 405 or a 404. OPTIONS is
 *   answered with Allow when no route takes it itself (RFC 9110 §9.3.7).
 * - CONNECT (RFC 9110 §9.3.6) asks for a tunnel, which is not an ordinary
 *   request: only a route that names CONNECT in its methods gets it (one
 *   that takes every method does not); with none, 501, as a server that is
 *   not a proxy answers it.
 * - An exception in a function handler, or a handler component (or task)
 *   that fails or stops without answering, becomes a 500 (an HttpError's own
 *   status if it throws one); the error travels with the response for the
 *   errors channel.
 * - A handler that has not answered within `handlerTimeout` gets a 504 sent
 *   for it, and is stopped (a component), called off (a task) or no longer
 *   waited for (a function). When the router stops (the client went away),
 *   so do its handler components and tasks.
 * - A client that ends its side (a FIN) may still read (HTTP/1.1 allows a
 *   half-close), and is served on, except by a route that says `halfClose:
 *   'abort'` (the gateways to other programs, unless the server is told to
 *   serve half-closed clients): while such a route owes its answer, the
 *   client is taken for gone, as nginx and lighttpd take it, and the
 *   connection is dropped (`flow`), which stops the handler as a reset would:
 *   a CGI script's process group is killed, a WSGI job called off.
 */
import { box, type Box, type Dispatcher } from '../src/core/box.js';
import { Component, boxes, type OwnedTimer } from '../src/core/component.js';
import { logRecord, type LogRecord } from '../src/core/log.js';
import { isThenable } from '../src/core/thenable.js';
import { HeaderMap } from '../src/http/headers.js';
import {
  errorResponse,
  failureResponse,
  makeRequest,
  requestLine,
  respond,
  type HttpRequest,
  type HttpResponse,
  type PeerEnded,
  type Reroute,
  type ResponseInit,
} from '../src/http/messages.js';
import { drop, type FlowControl } from './tcp-server/connection.js';
import { compilePattern, hostMatches, type CompiledPattern } from '../src/http/route-pattern.js';
import type { GraphPlan } from '../src/core/graph-plan.js';
import { stageChainPlan } from './request-stage.js';
import type { WebSocketRouteFields } from './websocket/options.js';
import { websocketHandler } from './websocket/route.js';

export type HandlerResult = ResponseInit | HttpResponse;
export type HandlerFunction = (request: HttpRequest) => HandlerResult | Promise<HandlerResult>;
export type HandlerFactory = (request: HttpRequest) => Component<any>;

/**
 * What the router gives a task. It is a Dispatcher: a box the task makes
 * for what it is told (replies from a pool) is handled at the router's
 * boundary, as the router's own inboxes are, and so is `run`.
 */
export interface HandlerCall extends Dispatcher {
  /** The answer: a response, or a reroute. Only the first one counts; one after the time limit is dropped. */
  answer(result: HttpResponse | Reroute): void;
  /** The task holds nothing more (its response body has gone, or it failed): the router no longer waits for it or calls it off. */
  end(): void;
  /** What the task has to say, on the router's `log` outbox. */
  log(record: LogRecord): void;
  /** Runs `work` at the router's boundary: for a callback from outside (a promise, a stream being pulled). */
  run(work: () => void): void;
}

/** What calls a task off: the client went away, or it ran out of time. It releases what it holds, and need not call `end()`. */
export interface Cancellable {
  cancel(): void;
}

/** A task: starts the work for a request and says how to call it off; it answers through `call`. */
export type HandlerTask = (request: HttpRequest, call: HandlerCall) => Cancellable;

export interface Route extends WebSocketRouteFields {
  /** "/", "/about", "/users/:id", "/static/*" or "*". */
  readonly path: string;
  /** Methods taken; all when absent. GET implies HEAD. */
  readonly methods?: readonly string[];
  /** "example.com" or "*.example.com"; any host when absent. */
  readonly host?: string;
  /**
   * A cheap look at the request (its path, say) after the path matched: the
   * route takes it only when this says so, and is passed over otherwise, as
   * if its path had not matched (the scripts of a document root take only
   * paths that may name a script; the files route after them takes the rest).
   */
  readonly when?: (request: HttpRequest) => boolean;
  /** A plain function answering the request... */
  readonly handler?: HandlerFunction;
  /** ...or a factory of a fresh handler component per request... */
  readonly component?: HandlerFactory;
  /** ...or a task started per request; or `websocket` (components/websocket/options.ts): a WebSocket endpoint, GET only. */
  readonly task?: HandlerTask;
  /**
   * What a client that ends its side of the connection (a FIN) before this
   * route has answered means: 'serve' (the default) answers it still;
   * 'abort' takes it for gone, drops the connection and so stops the handler.
   */
  readonly halfClose?: 'serve' | 'abort';
  /** Request stages of this route's own, run before its handler (made fresh per request; see request-stage.ts). */
  readonly before?: readonly ((request: HttpRequest) => Component<any>)[];
  /** A name for logs, and what its figures are counted under on the status page and /metrics (its path when absent). */
  readonly name?: string;
}

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: CompiledPattern;
  readonly methods: ReadonlySet<string> | undefined;
  /** Its own request stages, as one graph per request. */
  readonly stages: GraphPlan<HttpRequest> | undefined;
  /** What its figures are counted under: its name, else its path. */
  readonly label: string;
}

/** Routes compiled once per server, shared by every connection's router. */
export class RouteTable {
  readonly routes: readonly CompiledRoute[];
  /** Every method some route takes; undefined when some route takes any method. */
  readonly implemented: ReadonlySet<string> | undefined;
  /** Some route names CONNECT among its methods. */
  readonly tunnels: boolean;

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((given) => {
      if ([given.handler, given.component, given.task, given.websocket].filter(Boolean).length !== 1) {
        throw new TypeError(`route ${given.path}: give exactly one of handler or component or task or websocket`);
      }
      if (given.when !== undefined && typeof given.when !== 'function')
        throw new TypeError(`route ${given.path}: "when" must be a function (request) => boolean`);
      // A WebSocket endpoint is a handler of the handshake (RFC 6455 §4.1: a GET), its options checked now.
      const route: Route = given.websocket ? { methods: ['GET'], ...given, handler: websocketHandler(given) } : given;
      const methods = route.methods ? new Set(route.methods.map((m) => m.toUpperCase())) : undefined;
      if (methods?.has('GET')) methods.add('HEAD');
      const before = route.before ?? [];
      if (!Array.isArray(before) || before.some((s) => typeof s !== 'function')) {
        throw new TypeError(`route ${route.path}: "before" must be an array of component factories`);
      }
      const stages = before.length > 0 ? stageChainPlan(before, probeRequest) : undefined;
      return { route, pattern: compilePattern(route.path), methods, stages, label: route.name ?? route.path };
    });
    this.tunnels = this.routes.some((r) => r.methods?.has('CONNECT'));
    if (this.routes.some((r) => !r.methods)) this.implemented = undefined;
    else {
      // RFC 9110 §9.1: every general-purpose server supports GET and HEAD; a path with no route is then a 404.
      const all = new Set<string>(['GET', 'HEAD', 'OPTIONS']);
      for (const r of this.routes) for (const m of r.methods!) all.add(m);
      this.implemented = all;
    }
  }
}

export const requestRouterBoxes = boxes({
  inboxes: {
    inbox: box<HttpRequest>('requests to route'),
    handled: box<HttpResponse | Reroute>('what handler components answer'),
    staged: box<HttpRequest>("requests a route's own stages passed on, for its handler"),
    peer: box<PeerEnded>('from the parser: the client ended its side of the connection'),
  },
  outboxes: {
    outbox: box<HttpResponse>('responses, in the order they are ready'),
    log: box<LogRecord>('what handler components log'),
    flow: box<FlowControl>('drop: the client is taken for gone (see halfClose)'),
  },
});

const maxReroutes = 10;
/** What a route's stage factories are first called with, to see their boxes (see stageBoxesOf). */
const probeRequest = makeRequest(
  0,
  {
    method: 'GET',
    target: '/',
    path: '/',
    rawPath: '/',
    query: '',
    version: 'HTTP/1.1',
    headers: new HeaderMap(),
    host: '',
    hostPort: undefined,
    keepAlive: true,
  },
  { id: 0, remoteAddress: '', remotePort: 0, family: 'IPv4', localAddress: '', localPort: 0, secure: false },
  undefined,
);
const noneAwaited: ReadonlyMap<number, Awaited> = new Map();

export class RequestRouter extends Component<typeof requestRouterBoxes> {
  /** Function handlers still working. */
  private pendingCalls = 0;
  /** Handler components running. */
  private children = 0;
  /** Tasks that have not ended. */
  private tasks: Set<Task> | undefined = undefined;
  /**
   * Answers on their way, by the request's position on the connection,
   * oldest first: who owes each (an async call, a handler component) and
   * when it is given up on. A reroute hands the position to the new handler
   * (with a fresh deadline), so one that ends after rerouting owes nothing.
   */
  private awaited: Map<number, Awaited> | undefined = undefined;
  private deadlineTimer: OwnedTimer | undefined = undefined;
  /** Requests in a route's own stages, by position: the route whose handler they go to next. */
  private staging: Map<number, Route> | undefined = undefined;
  private readonly handlerTimeout: number;
  /** The client has ended its side of the connection. */
  private peerEnded = false;

  constructor(
    private readonly table: RouteTable,
    options: RouterOptions = {},
  ) {
    super(requestRouterBoxes);
    this.handlerTimeout = options.handlerTimeout ?? 60_000;
    this.finishOnceIdle(this.hasWork);
  }

  /** Whether answers are still owed: calls, handler components or tasks at work. */
  private hasWork(): boolean {
    return this.pendingCalls > 0 || this.children > 0 || (this.tasks !== undefined && this.tasks.size > 0);
  }

  protected main(): void {
    // Methods as handlers (called with this router as `this`): no closures per connection (see Component.on).
    this.on('inbox', this.route);
    this.on('handled', this.handled);
    this.on('staged', this.staged);
    this.on('peer', this.onPeerEnded);
  }

  /** The client sent a FIN: one that a route still owes an answer and that aborts on it is taken for gone. */
  private onPeerEnded(): void {
    this.peerEnded = true;
    for (const entry of this.awaited?.values() ?? []) if (entry.abortsOnEnd) return this.dropClient(entry.request);
  }

  /** Drops the connection of a client taken for gone: the socket closes, and the graph stops its handlers as for a reset. */
  private dropClient(request: HttpRequest): void {
    const who = request.connection.remoteAddress;
    this.send(
      'log',
      logRecord('errors', 'info', `${who}: ${requestLine(request)}: the client closed its side before the answer: called off`),
    );
    this.send('flow', drop);
  }

  private handled(message: HttpResponse | Reroute): void {
    if (message.type === 'reroute') {
      const redirects = (message.request.redirects ?? 0) + 1;
      // The rerouted request takes the place of the one that was awaited.
      if (!this.awaited?.delete(message.request.seq)) return;
      if (redirects > maxReroutes) this.answer(errorResponse(message.request, 500, { error: 'too many internal redirects' }));
      else this.route({ ...message.request, redirects });
      return;
    }
    this.answerAwaited(message);
  }

  private route(request: HttpRequest): void {
    const { routes, implemented } = this.table;
    const method = request.method;
    // 501 is for methods the server does not know at all (RFC 9110 §15.6.2); a standard
    // method that no route takes is refused per resource, 405 with Allow, below.
    if (implemented && !implemented.has(method) && !knownMethods.has(method)) {
      return this.answer(errorResponse(request, 501, { error: `no route takes ${method}` }));
    }
    const tunnel = method === 'CONNECT';
    if (tunnel && !this.table.tunnels)
      return this.answer(errorResponse(request, 501, { error: 'this server is not a proxy: no route takes CONNECT' }));
    if (request.target === '*') {
      return this.answer(respond(request, { status: 204, headers: { Allow: allowList(implemented ?? standardMethods) } }));
    }
    let allowed: Set<string> | undefined;
    let pathMatched = false;
    for (const compiled of routes) {
      const { route, pattern, methods } = compiled;
      // A tunnel goes only to a route that says it takes one.
      if (tunnel && !methods) continue;
      if (!hostMatches(route.host, request.host)) continue;
      const match = pattern.match(request.path);
      if (!match || (route.when && !route.when(request))) continue;
      pathMatched = true;
      if (methods && !methods.has(method)) {
        allowed ??= new Set();
        for (const m of methods) allowed.add(m);
        continue;
      }
      // The router's three fields, in the places the request was made with (see makeRequest).
      request.mount = match.mount;
      request.params = match.params;
      request.route = compiled.label;
      if (compiled.stages) this.stage(compiled, request);
      else this.dispatch(route, request);
      return;
    }
    if (tunnel && !allowed) return this.answer(errorResponse(request, 501, { error: 'no route takes CONNECT to this authority' }));
    if (!pathMatched) return this.answer(errorResponse(request, 404));
    allowed!.add('OPTIONS');
    const allow = allowList(allowed!);
    if (method === 'OPTIONS') return this.answer(respond(request, { status: 204, headers: { Allow: allow } }));
    this.answer(errorResponse(request, 405, { headers: { Allow: allow } }));
  }

  /** Runs the route's handler for a request: a function, a task or a component. */
  private dispatch(route: Route, request: HttpRequest): void {
    const aborts = route.halfClose === 'abort';
    // Read after the client had ended its side: nobody waits for its answer.
    if (aborts && this.peerEnded) return this.dropClient(request);
    if (route.handler) this.call(route.handler, request);
    else if (route.task) this.begin(route.task, request);
    else this.spawn(route.component!, request);
    const entry = aborts ? this.awaited?.get(request.seq) : undefined;
    if (entry) entry.abortsOnEnd = true;
  }

  /** Runs a route's own stages for a request, as one child: what they pass on comes back on `staged`. */
  private stage(compiled: CompiledRoute, request: HttpRequest): void {
    let chain: Component<any>;
    try {
      chain = compiled.stages!.build(request);
    } catch (error) {
      return this.answer(failureResponse(request, error));
    }
    (chain.outboxes.outbox as Box<HttpRequest>).connect(this.inboxes.staged);
    if ('answer' in chain.outboxes) (chain.outboxes.answer as Box<HttpResponse | Reroute>).connect(this.inboxes.handled);
    (this.staging ??= new Map()).set(request.seq, compiled.route);
    this.runAwaited(chain, request);
  }

  /** A request a route's stages passed on: now its handler, which owes the answer in their place. */
  private staged(request: HttpRequest): void {
    const route = this.staging?.get(request.seq);
    if (!route || !this.awaited?.delete(request.seq)) return;
    this.staging!.delete(request.seq);
    this.dispatch(route, request);
  }

  private call(handler: HandlerFunction, request: HttpRequest): void {
    let result: HandlerResult | Promise<HandlerResult>;
    try {
      result = handler(request);
    } catch (error) {
      return this.answer(failureResponse(request, error));
    }
    if (!isThenable(result)) return this.answer(toResponse(request, result));
    this.pendingCalls++;
    const entry = this.await(request);
    result.then(
      (value) => this.run(() => this.settled(entry, toResponse(request, value))),
      (error: unknown) => this.run(() => this.settled(entry, failureResponse(request, error))),
    );
  }

  private settled(entry: Awaited, response: HttpResponse): void {
    if (!entry.abandoned) this.pendingCalls--;
    this.answerAwaited(response);
    this.finishIfIdle();
  }

  private spawn(factory: HandlerFactory, request: HttpRequest): void {
    let child: Component<any>;
    try {
      child = factory(request);
    } catch (error) {
      return this.answer(failureResponse(request, error));
    }
    // Plain box links (no Link handle to keep): closing the child's boxes undoes them.
    (child.outboxes.outbox as Box<HttpResponse | Reroute>).connect(this.inboxes.handled);
    this.runAwaited(child, request);
  }

  /** Runs a child for a request (a handler component, or a route's stages), awaiting its answer; one that stops owing it owes a 500. */
  private runAwaited(child: Component<any>, request: HttpRequest): void {
    if ('log' in child.outboxes) (child.outboxes.log as Box<LogRecord>).connect(this.outboxes.log);
    this.children++;
    this.await(request, child);
    this.runChild(child, request, (ended) => {
      this.children--;
      if (this.awaited?.get(request.seq)?.child === child) {
        this.staging?.delete(request.seq);
        const error = ended.reason === 'failed' ? ended.error : new Error(`${child.name} stopped without answering`);
        this.answerAwaited(failureResponse(request, error));
      }
      this.finishIfIdle();
    });
  }

  private begin(start: HandlerTask, request: HttpRequest): void {
    const task = new Task(this, request);
    const entry = this.await(request);
    entry.task = task;
    try {
      task.work = start(request, task);
    } catch (error) {
      entry.task = undefined;
      return this.answerAwaited(failureResponse(request, error));
    }
    // It may have ended already (a refusal given at once); that waits its turn at this boundary.
    if (!this.tasks) {
      this.tasks = new Set();
      // Stopping (the client went away) calls off the tasks still at work.
      this.own(() => {
        const tasks = this.tasks;
        this.tasks = undefined;
        if (tasks) for (const task of tasks) task.cancel();
      });
    }
    this.tasks.add(task);
  }

  /** @internal A task's answer, at this boundary: as a handler component's. */
  taskAnswered(answer: HttpResponse | Reroute): void {
    this.inboxes.handled.send(answer);
  }

  /** @internal A task has ended: one that has not answered owes a 500. */
  taskEnded(task: Task): void {
    this.run(() => {
      if (!this.tasks?.delete(task)) return;
      const entry = this.awaited?.get(task.request.seq);
      if (entry?.task === task) this.answerAwaited(failureResponse(task.request, new Error('the handler task ended without answering')));
      this.finishIfIdle();
    });
  }

  /** @internal What a task logs. */
  taskLog(record: LogRecord): void {
    this.send('log', record);
  }

  /** @internal A task's callback, at this boundary. */
  taskRun(work: () => void): void {
    this.run(work);
  }

  /** Passes on an answer given at once. */
  private answer(response: HttpResponse): void {
    this.send('outbox', response);
  }

  /** Passes on an answer that was awaited; only the first answer to a request counts. */
  private answerAwaited(response: HttpResponse): void {
    if (this.awaited?.delete(response.request.seq)) this.send('outbox', response);
  }

  /** Notes an answer to wait for (from a handler component, or else an async call), and makes sure the deadline timer runs. */
  private await(request: HttpRequest, child?: Component<any>): Awaited {
    const entry: Awaited = {
      request,
      deadline: performance.now() + this.handlerTimeout,
      child,
      task: undefined,
      abandoned: false,
      abortsOnEnd: false,
    };
    const awaited = (this.awaited ??= new Map());
    awaited.delete(request.seq);
    awaited.set(request.seq, entry);
    if (!this.deadlineTimer) this.armDeadline(this.handlerTimeout);
    return entry;
  }

  private armDeadline(ms: number): void {
    this.deadlineTimer = this.timer(Math.max(1, ms), () => {
      this.deadlineTimer = undefined;
      this.expire();
    });
  }

  /**
   * Answers 504 for every handler past its deadline (oldest first), stops a
   * handler component that is still at it, and stops waiting for a function
   * that may never settle; then waits for the next deadline.
   */
  private expire(): void {
    const now = performance.now();
    for (const [seq, entry] of this.awaited ?? noneAwaited) {
      if (entry.deadline > now) {
        this.armDeadline(entry.deadline - now);
        break;
      }
      const request = entry.request;
      this.awaited!.delete(seq);
      this.send('outbox', errorResponse(request, 504, { error: `the handler did not answer within ${this.handlerTimeout} ms` }));
      if (entry.child && entry.child.state !== 'stopped') entry.child.askToStop();
      else if (entry.task) {
        if (this.tasks?.delete(entry.task)) entry.task.cancel();
      } else if (!entry.child) {
        entry.abandoned = true;
        this.pendingCalls--;
      }
    }
    this.finishIfIdle();
  }
}

interface Awaited {
  readonly request: HttpRequest;
  readonly deadline: number;
  /** The handler component that owes the answer; undefined for an async call or a task. */
  readonly child: Component<any> | undefined;
  /** The task that owes it. */
  task: Task | undefined;
  /** Given up on at its deadline: its late answer is dropped. */
  abandoned: boolean;
  /** Its route takes a client that ends its side before the answer for gone (halfClose 'abort'). */
  abortsOnEnd: boolean;
}

/** A task the router has started: what it gives the task, and what it calls off. */
class Task implements HandlerCall {
  /** What calls the task off, once it has started. */
  work: Cancellable | undefined = undefined;

  constructor(
    private readonly router: RequestRouter,
    readonly request: HttpRequest,
  ) {}

  answer(result: HttpResponse | Reroute): void {
    this.router.taskAnswered(result);
  }

  end(): void {
    this.router.taskEnded(this);
  }

  log(record: LogRecord): void {
    this.router.taskLog(record);
  }

  run(work: () => void): void {
    this.router.taskRun(work);
  }

  dispatchTo(handler: (message: unknown) => void, message: unknown): void {
    this.router.boundary.dispatchTo(handler, message);
  }

  cancel(): void {
    this.work?.cancel();
  }
}

export interface RouterOptions {
  /** Milliseconds a handler may take to answer (its head; a body may stream for longer): 504 after. */
  readonly handlerTimeout?: number;
}

const standardMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
/** The methods of RFC 9110 §9 and PATCH (RFC 5789). */
const knownMethods = new Set([...standardMethods, 'CONNECT', 'TRACE']);

function allowList(methods: ReadonlySet<string>): string {
  return [...methods].sort().join(', ');
}

function toResponse(request: HttpRequest, result: HandlerResult): HttpResponse {
  if (result && (result as HttpResponse).type === 'response') return result as HttpResponse;
  return respond(request, (result ?? {}) as ResponseInit);
}
