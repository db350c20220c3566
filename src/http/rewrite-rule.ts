/**
 * Redirect and rewrite rules: a regular expression matched against the
 * whole decoded path (it is anchored for you: "/old" matches "/old" only),
 * and a replacement that may use its groups ($1...$99, $<name>; $$ for a
 * dollar). The stages are components/redirect.ts and components/rewrite.ts.
 *
 * - The replacement may carry a query after "?": it becomes the query, with
 *   the request's own query kept after "&". Without one, the request's query
 *   is kept as it is.
 * - What a group captured comes from the client. In a redirect it is
 *   percent-encoded as it goes into the Location (a path stays a path: "?"
 *   and "#" are encoded, "/" is not; in the query part, everything
 *   reserved), and a Location that would begin with "//" (another host:
 *   an open redirect) is cut to one slash. In a rewrite it goes into the
 *   decoded path, which is then normalised again (dot segments removed), so
 *   it can never climb above "/".
 * - Rules apply once: the first rule that matches rewrites the path, and
 *   the result is not matched again, so no set of rules can loop.
 */
import { removeDotSegments } from './target.js';

/** A replacement, read once: literal text and group references, split at its first literal "?". */
interface Template {
  readonly path: readonly Part[];
  /** Undefined when the replacement has no query part. */
  readonly query: readonly Part[] | undefined;
}

type Part = string | { readonly group: number | string };

export interface CompiledRule {
  readonly source: string;
  readonly pattern: RegExp;
  readonly template: Template;
}

/** Compiles a rule; throws a TypeError saying what is wrong with it. */
export function compileRule(from: string | RegExp, to: string): CompiledRule {
  const source = typeof from === 'string' ? from : from.source;
  const flags = typeof from === 'string' ? '' : from.flags.replace(/[gy]/g, '');
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^(?:${source})$`, flags);
  } catch (error) {
    throw new TypeError(`${JSON.stringify(source)} is not a regular expression: ${(error as Error).message}`);
  }
  if (typeof to !== 'string' || to === '' || /[\x00-\x20\x7f]/.test(to)) {
    throw new TypeError(`the replacement of ${JSON.stringify(source)} must be a non-empty string without spaces or control characters`);
  }
  const groups = new RegExp(`${source}|`, flags).exec('')!.length - 1;
  const names = new Set(Object.keys(new RegExp(`${source}|`, flags).exec('')!.groups ?? {}));
  return { source, pattern, template: parseTemplate(to, groups, names) };
}

function parseTemplate(text: string, groups: number, names: ReadonlySet<string>): Template {
  const path: Part[] = [];
  let query: Part[] | undefined;
  let parts = path;
  let literal = '';
  const flush = () => {
    if (literal !== '') parts.push(literal);
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '?' && query === undefined) {
      flush();
      query = [];
      parts = query;
      continue;
    }
    if (c !== '$') {
      literal += c;
      continue;
    }
    const rest = text.slice(i + 1);
    if (rest.startsWith('$')) {
      literal += '$';
      i++;
      continue;
    }
    const number = /^\d{1,2}/.exec(rest);
    const named = /^<([A-Za-z_$][\w$]*)>/.exec(rest);
    if (number) {
      const group = Number(number[0]);
      if (group < 1 || group > groups)
        throw new TypeError(`${JSON.stringify(text)} refers to $${group}, and the pattern has ${groups} group(s)`);
      flush();
      parts.push({ group });
      i += number[0].length;
    } else if (named) {
      if (!names.has(named[1]!)) throw new TypeError(`${JSON.stringify(text)} refers to $<${named[1]}>, a group the pattern does not name`);
      flush();
      parts.push({ group: named[1]! });
      i += named[0].length;
    } else throw new TypeError(`${JSON.stringify(text)}: a "$" must be followed by a group number, <name> or another "$"`);
  }
  flush();
  return { path, query };
}

function fill(parts: readonly Part[], match: RegExpExecArray, encode: (captured: string) => string): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else {
      const captured = typeof part.group === 'number' ? match[part.group] : match.groups?.[part.group];
      out += captured === undefined ? '' : encode(captured);
    }
  }
  return out;
}

const asIs = (s: string) => s;
/** A captured piece of a decoded path, encoded to stay a path in a URL. */
const pathPiece = (s: string) => encodeURI(s).replace(/[?#]/g, encodeURIComponent);

function joinQuery(given: string, kept: string): string {
  return kept === '' ? given : given === '' ? kept : `${given}&${kept}`;
}

export interface Rewritten {
  /** The new decoded, normalised path. */
  readonly path: string;
  /** The new query, as sent form (percent-encoded). */
  readonly query: string;
}

/** The first rule matching `path` rewrites it; undefined when none matches. */
export function rewritePath(rules: readonly CompiledRule[], path: string, query: string): Rewritten | undefined {
  for (const rule of rules) {
    const match = rule.pattern.exec(path);
    if (!match) continue;
    const filled = fill(rule.template.path, match, asIs);
    const next = removeDotSegments(filled.startsWith('/') ? filled : `/${filled}`);
    const { query: template } = rule.template;
    return { path: next, query: template === undefined ? query : joinQuery(fill(template, match, encodeURIComponent), query) };
  }
  return undefined;
}

/** The Location a rule redirects `path` to; undefined when it does not match. */
export function redirectLocation(rule: CompiledRule, path: string, query: string): string | undefined {
  const match = rule.pattern.exec(path);
  if (!match) return undefined;
  let location = fill(rule.template.path, match, pathPiece);
  // A Location that begins with what the client sent could name a scheme ("https:/evil.example"):
  // it is made a path. One that begins "//" (or "/\", which browsers read alike) names another
  // host: it is cut to one slash. Either would be an open redirect.
  if (typeof rule.template.path[0] !== 'string' || /^[/\\]{2}/.test(location)) location = `/${location.replace(/^[/\\]+/, '')}`;
  const { query: template } = rule.template;
  const q = template === undefined ? query : joinQuery(fill(template, match, encodeURIComponent), query);
  return q === '' ? location : `${location}?${q}`;
}
