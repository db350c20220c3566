/**
 * Options of redirects and rewrites (the server's `redirects` and
 * `rewrites`, `--redirect FROM=TO`, `--rewrite REGEX=REPLACEMENT`): lists of
 * rules, each compiled once, when the stage is made (src/http/rewrite-rule.ts
 * says how a rule matches and what its replacement may hold).
 */
import { badOption } from '../src/http/option-checks.js';
import { compileRule, type CompiledRule } from '../src/http/rewrite-rule.js';

export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

export interface RedirectRule {
  /** A regular expression the whole decoded path must match ("/old", "/blog/(.*)"). */
  readonly from: string | RegExp;
  /** Where to: a path or a URL, with $1... for the groups ("/new", "https://blog.example.com/$1"). */
  readonly to: string;
  /** 301 or 308 (permanent; 308 keeps the method), 302, 303 or 307 (temporary; 307 keeps the method). Default 302. */
  readonly status?: RedirectStatus;
}

export interface RewriteRule {
  /** A regular expression the whole decoded path must match. */
  readonly from: string | RegExp;
  /** The new path, with $1... for the groups; "?..." for a new query. */
  readonly to: string;
}

export interface ResolvedRedirect {
  readonly rule: CompiledRule;
  readonly status: RedirectStatus;
}

const statuses = new Set([301, 302, 303, 307, 308]);

function rules<T extends { from: unknown; to: unknown }>(name: string, given: unknown, keys: readonly string[]): T[] {
  if (!Array.isArray(given)) throw badOption(name, 'a list of { from, to } rules', given);
  return given.map((rule: unknown, i) => {
    if (typeof rule !== 'object' || rule === null) throw badOption(`${name}[${i}]`, 'an object { from, to }', rule);
    for (const key of Object.keys(rule))
      if (!keys.includes(key)) throw new TypeError(`boxwire: unknown option "${name}[${i}].${key}" (known: ${keys.join(', ')})`);
    const { from } = rule as { from: unknown };
    if (typeof from !== 'string' && !(from instanceof RegExp)) throw badOption(`${name}[${i}].from`, 'a regular expression', from);
    return rule as T;
  });
}

function compiled(name: string, from: string | RegExp, to: string): CompiledRule {
  try {
    return compileRule(from, to);
  } catch (error) {
    throw new TypeError(`boxwire: option "${name}": ${(error as Error).message}`);
  }
}

export function resolveRedirects(given: readonly RedirectRule[] | undefined, name = 'redirects'): ResolvedRedirect[] {
  if (given === undefined) return [];
  return rules<RedirectRule>(name, given, ['from', 'to', 'status']).map((r, i) => {
    const status = r.status ?? 302;
    if (!statuses.has(status)) throw badOption(`${name}[${i}].status`, '301, 302, 303, 307 or 308', status);
    return { rule: compiled(`${name}[${i}]`, r.from, r.to), status };
  });
}

export function resolveRewrites(given: readonly RewriteRule[] | undefined, name = 'rewrites'): CompiledRule[] {
  if (given === undefined) return [];
  return rules<RewriteRule>(name, given, ['from', 'to']).map((r, i) => compiled(`${name}[${i}]`, r.from, r.to));
}
