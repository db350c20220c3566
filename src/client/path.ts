/**
 * Path variables: `artists/{artist_id}/calendar` names `artist_id`, and a
 * call fills it from its arguments. Filling a path is a security decision
 * with this one home, `fillPath`: a value is one path segment, never more.
 * It is percent-encoded whole (so `/`, `?`, `#`, `%`, CR and LF cannot
 * change the URL's shape), and `.` and `..` are refused, because URL
 * resolution (WHATWG URL, RFC 3986 §5.2.4) would remove them as dot segments,
 * `%2e%2e` included, and so climb out of the namespace.
 */

/** The variables a namespace names, at the type level: `'artist_id'` for `'artists/{artist_id}/calendar'`. */
export type PathVariables<S extends string> = S extends `${string}{${infer V}}${infer Rest}` ? V | PathVariables<Rest> : never;

const variableName = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const variable = /\{([^{}]*)\}/g;

/**
 * The variables a namespace names, in order; a TypeError (prefixed with
 * `where`) for a malformed template: a brace without its pair, a name that
 * is not an identifier, a name used twice, or a query or fragment.
 */
export function pathVariables(namespace: string, where = `namespace "${namespace}"`): string[] {
  if (/[?#]/.test(namespace)) throw new TypeError(`${where}: a namespace is a path; put query parameters in the parameter list`);
  const names: string[] = [];
  for (const match of namespace.matchAll(variable)) {
    const name = match[1]!;
    if (!variableName.test(name)) throw new TypeError(`${where}: "{${name}}" is not a valid path variable (expected an identifier)`);
    if (names.includes(name)) throw new TypeError(`${where}: path variable "${name}" appears twice`);
    names.push(name);
  }
  if (/[{}]/.test(namespace.replace(variable, ''))) throw new TypeError(`${where}: unbalanced "{" or "}"`);
  return names;
}

/**
 * The namespace with each `{variable}` replaced by its value, encoded as one
 * path segment, and without a leading `/` (the path is relative to the base
 * URL). Throws a TypeError naming the variable whose value cannot be a
 * segment: missing, empty, `.` or `..`, not a string or finite number, or
 * text that is not well-formed Unicode.
 */
export function fillPath(namespace: string, values: Readonly<Record<string, unknown>>): string {
  const filled = namespace.replace(variable, (_, name: string) => encodeSegment(name, values[name]));
  return filled.startsWith('/') ? filled.replace(/^\/+/, '') : filled;
}

function encodeSegment(name: string, value: unknown): string {
  if (value === undefined) throw new TypeError(`missing path variable "${name}"`);
  if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string') {
    throw new TypeError(`path variable "${name}" must be a string or a finite number, got ${describeValue(value)}`);
  }
  const text = String(value);
  if (text === '' || text === '.' || text === '..') {
    throw new TypeError(`path variable "${name}" must not be ${JSON.stringify(text)}: it would not name one path segment`);
  }
  if (!isWellFormed(text)) throw new TypeError(`path variable "${name}" is not well-formed Unicode (a lone surrogate)`);
  return encodeURIComponent(text);
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether text is well-formed UTF-16: a lone surrogate cannot be encoded as
 * UTF-8, and URLSearchParams would silently turn it into U+FFFD, so what was
 * signed would not be what was sent.
 */
export function isWellFormed(text: string): boolean {
  return !loneSurrogate.test(text);
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}
