/**
 * A request stage: sees each request before the router does (or before a
 * route's own handler, for a route's `before`), and either passes it on,
 * as it is or changed, or answers it itself. Authentication, CORS
 * preflights, rate limits, rewrites and trusted-proxy resolution are stages.
 *
 *   parser -> [stage] -> [stage] -> router -> ...
 *                |          \_____ answer ____> errorPage -> responder
 *                \_____________ answer _______/
 *
 * `requestStage(decide)` makes one from a function, which returns the
 * request to pass on (or nothing, to pass it as it came), or a response to
 * answer with, at once or as a promise. An exception in the function, or a
 * rejection, answers that request with a 500 (an HttpError's own status),
 * logged on the errors channel by the error page; the stage, the
 * connection and the server go on. A component of your own works too, as
 * long as it has these boxes.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import { GraphPlan, type PlanLink } from '../src/core/graph-plan.js';
import type { LogRecord } from '../src/core/log.js';
import { isThenable } from '../src/core/thenable.js';
import { errorResponse, failureResponse, respond, type HttpRequest, type HttpResponse, type ResponseInit } from '../src/http/messages.js';

export const requestStageBoxes = boxes({
  inboxes: { inbox: box<HttpRequest>('requests, in the order they were read') },
  outboxes: {
    outbox: box<HttpRequest>('requests passed on, as they came or changed'),
    answer: box<HttpResponse>('responses the stage gives itself instead of passing the request on'),
    log: box<LogRecord>('what the stage has to say'),
  },
});

export type RequestStageSpec = typeof requestStageBoxes;

/** What a stage function decides: pass on (this request, a changed one, or nothing for the same) or answer. */
// biome-ignore lint/suspicious/noConfusingVoidType: a function that returns nothing (a stage that only watches) passes the request on.
export type StageDecision = HttpRequest | HttpResponse | undefined | void;
/** Decides for one request; `stage` is the stage deciding, for what it has to say (`stage.report`). */
export type StageFunction = (request: HttpRequest, stage: RequestStage) => StageDecision | Promise<StageDecision>;

/** A response a stage answers with, made from a request and a few fields. */
export function stageAnswer(request: HttpRequest, init: ResponseInit): HttpResponse {
  return init.body === undefined && (init.status ?? 200) >= 400
    ? errorResponse(request, init.status!, { headers: init.headers, close: init.close })
    : respond(request, init);
}

export class RequestStage extends Component<RequestStageSpec> {
  /** Decisions still being made (promises not yet settled). */
  private pending = 0;

  constructor(
    private readonly decide: StageFunction,
    name?: string,
  ) {
    super(requestStageBoxes, name);
    // The end of the input passes on only once every request read has been passed on or answered.
    this.finishOnceIdle(this.deciding);
  }

  private deciding(): boolean {
    return this.pending > 0;
  }

  protected main(): void {
    this.on('inbox', this.onRequest);
  }

  private onRequest(request: HttpRequest): void {
    let decision: StageDecision | Promise<StageDecision>;
    try {
      decision = this.decide(request, this);
    } catch (error) {
      return this.send('answer', failureResponse(request, error));
    }
    if (!isThenable(decision)) return this.pass(request, decision);
    this.pending++;
    decision.then(
      (value) => this.run(() => this.settled(request, value)),
      (error: unknown) => this.run(() => this.settled(request, failureResponse(request, error))),
    );
  }

  /** Says something on the `log` outbox (a stage function's way to log), at the stage's boundary: from a promise's callback too. */
  report(record: LogRecord): void {
    this.run(() => this.send('log', record));
  }

  private settled(request: HttpRequest, decision: StageDecision): void {
    this.pending--;
    this.pass(request, decision);
    this.finishIfIdle();
  }

  private pass(request: HttpRequest, decision: StageDecision): void {
    if (decision === undefined) this.send('outbox', request);
    else if (decision.type === 'response') this.send('answer', decision);
    else this.send('outbox', decision);
  }
}

/**
 * What the built-in stages' factories give: a maker of a fresh stage that
 * needs no context, so the same one goes in a server's `before` (made per
 * connection) or a route's `before` (made per request).
 */
export type StageMaker = () => Component<any>;

/** A request stage from a function (see RequestStage). */
export function requestStage(decide: StageFunction, name?: string): RequestStage {
  return new RequestStage(decide, name);
}

/** Which optional boxes a stage has, seen once on a probe instance (made and never started). */
export interface StageBoxes {
  readonly answer: boolean;
  readonly log: boolean;
}

/** Looks at the boxes of what a stage factory makes, once, when a server or a route table is made: a stage without the standard boxes is refused then. */
export function stageBoxesOf(make: (context: never) => Component<any>, context: unknown): StageBoxes {
  const probe = make(context as never);
  for (const box of ['inbox', 'control'] as const) if (!(box in probe.inboxes)) throw new TypeError(`a stage has no ${box} inbox`);
  for (const box of ['outbox', 'signal'] as const) if (!(box in probe.outboxes)) throw new TypeError(`a stage has no ${box} outbox`);
  return { answer: 'answer' in probe.outboxes, log: 'log' in probe.outboxes };
}

/**
 * The links of a chain of request stages named `${prefix}0`, `${prefix}1`...
 * from `from` to `to`, each stage's answer and log boxes to `answers` and
 * `logs` where it has them.
 */
export function stageChainLinks(
  prefix: string,
  stages: readonly StageBoxes[],
  ends: { readonly from: string; readonly to: string; readonly answers: PlanLink[1]; readonly logs: PlanLink[1] },
): PlanLink[] {
  const names = stages.map((_, i) => `${prefix}${i}`);
  const links: PlanLink[] = [];
  const chain = [ends.from, ...names, ends.to];
  for (let i = 0; i + 1 < chain.length; i++) {
    const [a, b] = [chain[i]!, chain[i + 1]!];
    // The graph's own boxes are passed through: data only (its control reaches its heads by itself).
    links.push([a === 'self' ? 'self.inbox' : `${a}.outbox`, b === 'self' ? 'self.outbox' : `${b}.inbox`]);
    if (a !== 'self' && b !== 'self') links.push([`${a}.signal`, `${b}.control`]);
  }
  stages.forEach((boxes, i) => {
    if (boxes.answer) links.push([`${names[i]}.answer`, ends.answers]);
    if (boxes.log) links.push([`${names[i]}.log`, ends.logs]);
  });
  return links;
}

/**
 * A route's own request stages as one graph, made fresh for each request:
 * the request in on `inbox`, passed on at `outbox` or answered at
 * `answer`. What the router runs before a route's handler.
 */
export function stageChainPlan(stages: readonly ((request: HttpRequest) => Component<any>)[], probe: HttpRequest): GraphPlan<HttpRequest> {
  const children: Record<string, (request: HttpRequest) => Component<any>> = {};
  stages.forEach((make, i) => {
    children[`stage${i}`] = make;
  });
  const boxes = stages.map((make) => stageBoxesOf(make, probe));
  const links = stageChainLinks('stage', boxes, { from: 'self', to: 'self', answers: 'self.answer', logs: 'self.log' });
  return GraphPlan.of(children, links, { name: (request) => `stages#${request.seq}`, title: 'route stages' });
}
