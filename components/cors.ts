/**
 * CORS as a request stage: answers preflights itself (204 with what is
 * allowed, or 403 for an origin that is not), and marks every other
 * request with the fields its response must carry (Access-Control-Allow-
 * Origin and friends, Vary: Origin), which the responder sets whoever
 * answers, a 404 or another stage's 401 included (response-fields.ts). The
 * decisions are src/http/cors.ts.
 *
 * Put it before authentication: a preflight carries no credentials, and a
 * browser needs the CORS fields on a 401 to let the page read it.
 *
 *   createServer({ before: [cors({ origins: ['https://app.example.com'], credentials: true })] })
 */
import { corsDecision } from '../src/http/cors.js';
import { HeaderMap } from '../src/http/headers.js';
import { errorResponse, respond, type HttpRequest } from '../src/http/messages.js';
import { withResponseFields } from '../src/http/response-fields.js';
import { requestStage, type StageDecision, type StageMaker } from './request-stage.js';
import { resolveCorsOptions, type CorsOptions, type ResolvedCors } from './cors-options.js';

/** CORS as a request stage factory (see the module's comment); bad options are a TypeError now. */
export function cors(options: CorsOptions | string | readonly string[]): StageMaker {
  return corsStage(resolveCorsOptions(options, 'cors'));
}

/** Origins whose fields are kept ready, at most (a wildcard policy can meet any number of them). */
const rememberedOrigins = 1000;

/** The same, from options already resolved (the server's `cors`). */
export function corsStage({ policy, matcher }: ResolvedCors): StageMaker {
  // The fields of an ordinary request depend only on its Origin: worked out once per origin and shared
  // by every request from it (bench/scenarios/stages.mjs: a third of the stage's cost, per request).
  const byOrigin = new Map<string, HeaderMap>();
  const noOrigin = new HeaderMap(
    corsDecision(policy, matcher, { method: 'GET', origin: undefined, requestMethod: undefined, requestHeaders: undefined }).fields,
  );
  const fieldsFor = (origin: string): HeaderMap => {
    let fields = byOrigin.get(origin);
    if (fields === undefined) {
      if (byOrigin.size >= rememberedOrigins) byOrigin.clear();
      fields = new HeaderMap(
        corsDecision(policy, matcher, { method: 'GET', origin, requestMethod: undefined, requestHeaders: undefined }).fields,
      );
      byOrigin.set(origin, fields);
    }
    return fields;
  };
  const decide = (request: HttpRequest): StageDecision => {
    const headers = request.headers;
    const origin = headers.get('origin');
    if (request.method === 'OPTIONS' && origin !== undefined) {
      const decision = corsDecision(policy, matcher, {
        method: 'OPTIONS',
        origin,
        requestMethod: headers.get('access-control-request-method'),
        requestHeaders: headers.get('access-control-request-headers'),
      });
      if (decision.type === 'preflight') {
        if (decision.status === 403) return errorResponse(request, 403, { headers: decision.fields, error: decision.reason });
        return respond(request, { status: 204, headers: decision.fields });
      }
    }
    return withResponseFields(request, origin === undefined ? noOrigin : fieldsFor(origin));
  };
  return () => requestStage(decide, 'cors');
}
