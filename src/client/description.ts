/**
 * An HTTP API described as data: namespaces (`'email'`, `'SMS/Messages'`,
 * `'artists/{artist_id}/calendar'`) mapping methods to parameter lists,
 * `[name, type, ...flags]`. `defineApi` derives a typed client from such a
 * description (written `as const`, or passed straight in), and checks it here
 * once, at definition, for JavaScript callers and descriptions built at run
 * time.
 */
import { pathVariables } from './path.js';

/** The methods a namespace may offer; `get` and `delete` send their arguments in the query, the rest in the body. */
export type MethodName = 'get' | 'post' | 'put' | 'patch' | 'delete';
export const methodNames: readonly MethodName[] = ['get', 'post', 'put', 'patch', 'delete'];

/** The methods whose arguments travel in the body (RFC 9110 §9.3: GET and DELETE bodies have no defined meaning). */
export const bodyMethods: ReadonlySet<MethodName> = new Set(['post', 'put', 'patch']);

/** A JSON value, for parameters of type `'json'`. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** The TypeScript type of each parameter type name. */
export interface ParamTypes {
  string: string;
  number: number;
  integer: number;
  boolean: boolean;
  'string[]': readonly string[];
  'number[]': readonly number[];
  json: JsonValue;
}
export type ParamTypeName = keyof ParamTypes;
export const paramTypeNames: readonly ParamTypeName[] = ['string', 'number', 'integer', 'boolean', 'string[]', 'number[]', 'json'];

/** The types a path variable may be declared with: one segment's worth of text. */
export const pathVariableTypes: readonly ParamTypeName[] = ['string', 'number', 'integer'];

/**
 * `'optional'`: the call may leave it out. `'query'`: it travels in the query
 * string even when the method sends a body (an `api_key` on a POST, say).
 */
export type ParamFlag = 'optional' | 'query';
export const paramFlags: readonly ParamFlag[] = ['optional', 'query'];

/** One parameter: `['artist_id', 'string']`, `['page', 'integer', 'optional']`. */
export type ParamSpec = readonly [name: string, type: ParamTypeName, ...flags: ParamFlag[]];

/** What a namespace offers: a parameter list per method. */
export type NamespaceSpec = { readonly [M in MethodName]?: readonly ParamSpec[] };

/** A whole API: namespaces, relative to the base URL, with `{variables}` filled from each call's arguments. */
export type ApiDescription = { readonly [namespace: string]: NamespaceSpec };

/**
 * Refuses, with a TypeError that says where, a description the types would
 * have refused: unknown methods, types or flags, repeated parameters,
 * malformed or optional path variables.
 */
export function checkDescription(description: unknown): asserts description is ApiDescription {
  if (!isRecord(description)) throw new TypeError('defineApi: the description must be an object of namespaces');
  for (const [namespace, spec] of Object.entries(description)) {
    const where = `defineApi: namespace "${namespace}"`;
    if (namespace === '') throw new TypeError('defineApi: a namespace must not be empty');
    const variables = pathVariables(namespace, where);
    if (!isRecord(spec)) throw new TypeError(`${where}: expected an object of methods`);
    for (const [method, params] of Object.entries(spec)) {
      if (!(methodNames as readonly string[]).includes(method)) {
        throw new TypeError(`${where}: unknown method "${method}" (expected one of ${methodNames.join(', ')})`);
      }
      checkParams(params, variables, `${where}, ${method}`);
    }
  }
}

function checkParams(params: unknown, variables: readonly string[], where: string): void {
  if (!Array.isArray(params)) throw new TypeError(`${where}: expected a list of parameters`);
  const seen = new Set<string>();
  for (const param of params as unknown[]) {
    if (!Array.isArray(param) || typeof param[0] !== 'string' || param[0] === '') {
      throw new TypeError(`${where}: a parameter must be [name, type, ...flags], got ${JSON.stringify(param)}`);
    }
    const [name, type, ...flags] = param as [string, unknown, ...unknown[]];
    if (seen.has(name)) throw new TypeError(`${where}: parameter "${name}" is listed twice`);
    seen.add(name);
    if (!(paramTypeNames as readonly unknown[]).includes(type)) {
      throw new TypeError(
        `${where}: parameter "${name}" has unknown type ${JSON.stringify(type)} (expected one of ${paramTypeNames.join(', ')})`,
      );
    }
    for (const flag of flags) {
      if (!(paramFlags as readonly unknown[]).includes(flag)) {
        throw new TypeError(`${where}: parameter "${name}" has unknown flag ${JSON.stringify(flag)} (expected ${paramFlags.join(' or ')})`);
      }
    }
    if (variables.includes(name)) {
      if (flags.length > 0)
        throw new TypeError(`${where}: "${name}" is a path variable: it is always required and always in the path, so it takes no flags`);
      if (!pathVariableTypes.includes(type as ParamTypeName)) {
        throw new TypeError(`${where}: path variable "${name}" must be of type ${pathVariableTypes.join(', ')}, not ${String(type)}`);
      }
    }
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
