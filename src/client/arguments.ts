/**
 * A call's arguments: checked against the description at run time (the types
 * check them at compile time, but JavaScript callers and data from outside
 * get no such help), split into path variables, query and body, and turned
 * into the `key=value` pairs that both the wire and the signature see, so
 * what is signed is exactly what is sent.
 */
import { bodyMethods, isRecord, type JsonValue, type MethodName, type ParamSpec, type ParamTypeName } from './description.js';
import { describeValue, isWellFormed } from './path.js';

/** Arguments as hooks see and return them; an `undefined` value is left out. */
export type Arguments = Readonly<Record<string, JsonValue | undefined>>;

/** A call's arguments, sorted out: path variable values, and the rest. */
export interface CheckedArguments {
  readonly variables: Readonly<Record<string, string | number>>;
  readonly rest: Readonly<Record<string, JsonValue>>;
}

/**
 * Checks a call's arguments against its parameters and path variables.
 * Throws a TypeError saying what is wrong: not an object, an unknown
 * parameter, a missing required one, a value of the wrong type.
 */
export function checkArguments(args: unknown, params: readonly ParamSpec[], variables: readonly string[]): CheckedArguments {
  if (args === undefined || args === null) args = {};
  if (!isRecord(args)) throw new TypeError(`the arguments must be an object, got ${describeValue(args)}`);
  const byName = new Map(params.map((p) => [p[0], p]));
  for (const name of Object.keys(args)) {
    if (args[name] !== undefined && !byName.has(name) && !variables.includes(name)) {
      const known = [...variables, ...byName.keys()];
      throw new TypeError(
        `unknown parameter "${name}" (${known.length ? `expected ${known.map((k) => `"${k}"`).join(', ')}` : 'this call takes none'})`,
      );
    }
  }
  const pathValues: Record<string, string | number> = {};
  for (const name of variables) {
    const value = args[name];
    const type = byName.get(name)?.[1];
    if (value === undefined) throw new TypeError(`missing required path variable "${name}"`);
    if (type ? !fits(type, value) : typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw new TypeError(
        `path variable "${name}" must be ${type ? `of type ${type}` : 'a string or a finite number'}, got ${describeValue(value)}`,
      );
    }
    pathValues[name] = value as string | number;
  }
  const rest: Record<string, JsonValue> = {};
  for (const [name, type, ...flags] of params) {
    if (variables.includes(name)) continue;
    const value = args[name];
    if (value === undefined) {
      if (!flags.includes('optional')) throw new TypeError(`missing required parameter "${name}" (${type})`);
      continue;
    }
    if (!fits(type, value)) throw new TypeError(`parameter "${name}" must be of type ${type}, got ${describeValue(value)}`);
    if (!textWellFormed(value)) throw new TypeError(`parameter "${name}" is not well-formed Unicode (a lone surrogate)`);
    rest[name] = value as JsonValue;
  }
  return { variables: pathValues, rest };
}

/** Whether a value has a parameter type. */
export function fits(type: ParamTypeName, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isSafeInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'number[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v));
    case 'json':
      return isJson(value, new Set());
    default:
      return assertNeverType(type);
  }
}

function assertNeverType(type: never): never {
  throw new TypeError(`unknown parameter type ${String(type)}`);
}

/** Whether JSON.stringify would give back this value: no functions, undefined, bigints, non-finite numbers or cycles. */
function isJson(value: unknown, path: Set<object>): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || path.has(value)) return false;
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
  path.add(value);
  const ok = Object.values(value).every((v) => isJson(v, path));
  path.delete(value);
  return ok;
}

function textWellFormed(value: unknown): boolean {
  if (typeof value === 'string') return isWellFormed(value);
  if (Array.isArray(value)) return value.every(textWellFormed);
  if (isRecord(value)) return Object.entries(value).every(([k, v]) => isWellFormed(k) && textWellFormed(v));
  return true;
}

/**
 * Where each argument travels: names flagged `'query'`, and every argument
 * of a `get` or `delete`, go in the query; the rest of a `post`, `put` or
 * `patch` goes in the body. Arguments a hook added (a key, a signature)
 * follow the method.
 */
export function placeArguments(
  args: Arguments,
  method: MethodName,
  params: readonly ParamSpec[],
): { query: Record<string, JsonValue>; body: Record<string, JsonValue> | undefined } {
  const inQuery = new Set(params.filter((p) => p.slice(2).includes('query')).map((p) => p[0]));
  const hasBody = bodyMethods.has(method);
  const query: Record<string, JsonValue> = {};
  const body: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (!hasBody || inQuery.has(name)) query[name] = value;
    else body[name] = value;
  }
  return { query, body: hasBody ? body : undefined };
}

/**
 * The `key=value` pairs of some arguments, in order, as the query string, a
 * form body and a signature see them: strings as they are, numbers and
 * booleans as JavaScript writes them, an array of those as the key repeated
 * once per element, and anything else (objects, null, nested arrays) as its
 * JSON text.
 */
export function argumentPairs(args: Arguments): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (Array.isArray(value) && value.every(isScalar)) for (const v of value) pairs.push([name, String(v)]);
    else pairs.push([name, isScalar(value) ? String(value) : JSON.stringify(value)]);
  }
  return pairs;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
