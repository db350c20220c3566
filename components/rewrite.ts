/**
 * Rewrites as a request stage: the first rule whose pattern matches the
 * whole path gives the request a new path (and query, if its replacement
 * says one) before routing; the router, the handlers and the stages after
 * it see only the new one (the access log keeps the request line as sent).
 * Rules apply once, so no set of them can loop. Put authentication after
 * rewrites: it must see the path that will be served.
 *
 *   createServer({ before: [rewrite([{ from: '/u/(\\w+)', to: '/users.php?name=$1' }])] })
 */
import type { HttpRequest } from '../src/http/messages.js';
import { rewritePath, type CompiledRule } from '../src/http/rewrite-rule.js';
import { encodePath } from '../src/http/target.js';
import { requestStage, type StageDecision, type StageMaker } from './request-stage.js';
import { resolveRewrites, type RewriteRule } from './url-rule-options.js';

/** Rewrites as a request stage factory; a bad rule is a TypeError now. */
export function rewrite(rules: readonly RewriteRule[]): StageMaker {
  return rewriteStage(resolveRewrites(rules, 'rewrite'));
}

/** The same, from rules already compiled (the server's `rewrites`). */
export function rewriteStage(rules: readonly CompiledRule[]): StageMaker {
  const decide = (request: HttpRequest): StageDecision => {
    const next = rewritePath(rules, request.path, request.query);
    if (next === undefined) return undefined;
    return { ...request, path: next.path, rawPath: encodePath(next.path), query: next.query };
  };
  return () => requestStage(decide, 'rewrite');
}
