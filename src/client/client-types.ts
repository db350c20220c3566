/**
 * The client's type, derived from the description itself: one property per
 * namespace (named by the naming rule), one function per method, whose
 * argument object has a key per parameter and path variable, required unless
 * flagged `'optional'`, typed by its type name. Nothing is generated: these
 * are mapped and conditional types over the description's literal type.
 */
import type { ApiDescription, MethodName, NamespaceSpec, ParamFlag, ParamSpec, ParamTypeName, ParamTypes } from './description.js';
import type { ApplyRule, NameRule } from './naming.js';
import type { PathVariables } from './path.js';

/** Per-call settings. */
export interface CallOptions {
  /** Aborting it aborts the call (an `ApiError` of kind `'aborted'`). */
  readonly signal?: AbortSignal;
  /** Milliseconds for this call's exchange, instead of the API's `timeout`. */
  readonly timeout?: number;
  /** More request header fields for this call. */
  readonly headers?: HeaderFields;
}

export type HeaderFields = Readonly<Record<string, string>> | Headers;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** Flags only: a parameter may itself be named 'optional'. */
type IsOptional<P extends ParamSpec> = P extends readonly [string, ParamTypeName, ...infer Flags extends readonly ParamFlag[]]
  ? 'optional' extends Flags[number]
    ? true
    : false
  : false;

/** A path variable's type: as declared in the parameter list, else a string or a number. */
type VariableType<Ps extends readonly ParamSpec[], V extends string> = [Extract<Ps[number], readonly [V, ...unknown[]]>] extends [never]
  ? string | number
  : Extract<Ps[number], readonly [V, ...unknown[]]>[1] extends infer T extends ParamTypeName
    ? ParamTypes[T]
    : never;

/** The argument object of one call. */
export type CallArguments<Ps extends readonly ParamSpec[], Namespace extends string> = Flatten<
  { [P in Ps[number] as P[0] extends PathVariables<Namespace> ? never : IsOptional<P> extends true ? never : P[0]]: ParamTypes[P[1]] } & {
    [P in Ps[number] as P[0] extends PathVariables<Namespace> ? never : IsOptional<P> extends true ? P[0] : never]?: ParamTypes[P[1]];
  } & { [V in PathVariables<Namespace>]: VariableType<Ps, V> }
>;

/** A call: its arguments may be left out when none is required. */
export type CallFunction<A, Out> = {} extends A
  ? (args?: A, options?: CallOptions) => Promise<Out>
  : (args: A, options?: CallOptions) => Promise<Out>;

export type NamespaceClient<S extends NamespaceSpec, Namespace extends string, Out> = {
  readonly [M in keyof S & MethodName]: CallFunction<CallArguments<NonNullable<S[M]>, Namespace>, Out>;
};

/** The client `defineApi(description, hooks)` returns. */
export type ApiClient<D extends ApiDescription, R extends NameRule, Out> = {
  readonly [Namespace in keyof D & string as ApplyRule<R, Namespace>]: NamespaceClient<D[Namespace], Namespace, Out>;
};

/**
 * A client with the result types you know the API gives, per name and
 * method: `const api: WithResults<typeof raw, { artistsCalendar: { get: Event[] } }> = raw`.
 * The compiler cannot check a remote server, so this is your word for it;
 * validate in `decode` or `check` if you cannot trust it.
 */
export type WithResults<C, Results extends { readonly [N in keyof C]?: { readonly [M in keyof C[N]]?: unknown } }> = {
  readonly [N in keyof C]: {
    readonly [M in keyof C[N]]: N extends keyof Results
      ? M extends keyof Results[N]
        ? Returning<C[N][M], Results[N][M]>
        : C[N][M]
      : C[N][M];
  };
};

type Returning<F, T> = F extends (...args: infer A) => Promise<unknown> ? (...args: A) => Promise<T> : F;

/** The argument object a client's call takes: `ArgumentsOf<typeof api.artistsCalendar.get>`. */
export type ArgumentsOf<F extends (...args: never[]) => unknown> = NonNullable<Parameters<F>[0]>;

/** What a client's call resolves to. */
export type ResultOf<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;
