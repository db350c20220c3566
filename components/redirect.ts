/**
 * Redirects as a request stage: the first rule whose pattern matches the
 * whole path answers, with its status and a Location built from its
 * replacement (src/http/rewrite-rule.ts); other requests pass on. Before
 * rewrites and authentication, so an old address is sent on without a
 * password.
 *
 *   createServer({ before: [redirect([{ from: '/blog/(.*)', to: 'https://blog.example.com/$1', status: 301 }])] })
 */
import { respond, type HttpRequest } from '../src/http/messages.js';
import { redirectLocation } from '../src/http/rewrite-rule.js';
import { requestStage, type StageDecision, type StageMaker } from './request-stage.js';
import { resolveRedirects, type RedirectRule, type ResolvedRedirect } from './url-rule-options.js';

/** Redirects as a request stage factory; a bad rule is a TypeError now. */
export function redirect(rules: readonly RedirectRule[]): StageMaker {
  return redirectStage(resolveRedirects(rules, 'redirect'));
}

/** The same, from rules already resolved (the server's `redirects`). */
export function redirectStage(rules: readonly ResolvedRedirect[]): StageMaker {
  const decide = (request: HttpRequest): StageDecision => {
    for (const { rule, status } of rules) {
      const location = redirectLocation(rule, request.path, request.query);
      if (location === undefined) continue;
      return respond(request, {
        status,
        headers: { Location: location, 'Content-Type': 'text/plain; charset=utf-8' },
        body: request.method === 'HEAD' ? undefined : `Moved to ${location}\n`,
      });
    }
    return undefined;
  };
  return () => requestStage(decide, 'redirect');
}
