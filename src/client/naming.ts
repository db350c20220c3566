/**
 * Naming rules: how a namespace becomes the client's property name. A rule is
 * a plain function, paired with its counterpart at the type level so that
 * TypeScript knows the names too: `camelJoin()` (the default) turns
 * `'SMS/Messages'` into `SMSMessages` and `'artists/{artist_id}/calendar'`
 * into `artistsCalendar`. Swap it through `defineApi`'s `naming` hook, for a
 * built-in rule or one of your own made with `namingRule`.
 *
 * The type-level half is a "type function": an interface whose `name` is
 * computed from `this['namespace']`, applied by intersecting it with a
 * concrete namespace (`ApplyRule`).
 */

/** A naming rule at the type level: extend it and compute `name` from `this['namespace']`. */
export interface NameRule {
  readonly namespace: string;
  readonly name: string;
}

/** The name a rule gives a namespace. */
export type ApplyRule<R extends NameRule, Namespace extends string> = (R & { readonly namespace: Namespace })['name'];

declare const ruleType: unique symbol;

/** A naming rule: the function, and (for the types only) its type-level counterpart `R`. */
export interface Naming<R extends NameRule = NameRule> {
  (namespace: string): string;
  readonly [ruleType]: R;
}

/** The rule of a rule that did not say: any string. */
export interface AnyName extends NameRule {
  readonly name: string;
}

/**
 * Makes a naming rule from a function. Give `R` to tell TypeScript the names
 * it makes; without it, the client's names are plain strings.
 *
 *     interface Shout extends NameRule { readonly name: Uppercase<DropVariables<this['namespace']>> }
 *     const shout = namingRule<Shout>((namespace) => dropVariables(namespace).toUpperCase());
 */
export function namingRule<R extends NameRule = AnyName>(rename: (namespace: string) => string): Naming<R> {
  return ((namespace: string) => rename(namespace)) as Naming<R>;
}

/** The namespace without its `{variables}`. */
export type DropVariables<S extends string> = S extends `${infer A}{${string}}${infer B}` ? DropVariables<`${A}${B}`> : S;

export function dropVariables(namespace: string): string {
  return namespace.replace(/\{[^{}]*\}/g, '');
}

/** The non-empty words of `S` between any of the one-character delimiters `D`. */
export type Words<
  S extends string,
  D extends string,
  Word extends string = '',
  Acc extends string[] = [],
> = S extends `${infer C}${infer Rest}`
  ? C extends D
    ? Words<Rest, D, '', Word extends '' ? Acc : [...Acc, Word]>
    : Words<Rest, D, `${Word}${C}`, Acc>
  : Word extends ''
    ? Acc
    : [...Acc, Word];

export function words(text: string, delimiters: readonly string[]): string[] {
  const found: string[] = [];
  let word = '';
  for (const c of text) {
    if (delimiters.includes(c)) {
      if (word !== '') found.push(word);
      word = '';
    } else word += c;
  }
  if (word !== '') found.push(word);
  return found;
}

/** The default delimiters between the words of a namespace. */
export type DefaultDelimiters = '/' | '-' | '_' | '.';
export const defaultDelimiters: readonly DefaultDelimiters[] = ['/', '-', '_', '.'];

type JoinCamel<W extends string[], Acc extends string = ''> = W extends [infer H extends string, ...infer T extends string[]]
  ? JoinCamel<T, Acc extends '' ? H : `${Acc}${Capitalize<H>}`>
  : Acc;

type JoinSnake<W extends string[], Acc extends string = ''> = W extends [infer H extends string, ...infer T extends string[]]
  ? JoinSnake<T, Acc extends '' ? Lowercase<H> : `${Acc}_${Lowercase<H>}`>
  : Acc;

/** When the delimiters are not known literally, neither are the names. */
type Known<D extends string, Name> = string extends D ? string : Name;

export interface CamelJoin<D extends string = DefaultDelimiters> extends NameRule {
  readonly name: Known<D, JoinCamel<Words<DropVariables<this['namespace']>, D>>>;
}

export interface SnakeJoin<D extends string = DefaultDelimiters> extends NameRule {
  readonly name: Known<D, JoinSnake<Words<DropVariables<this['namespace']>, D>>>;
}

export interface KeepNamespace extends NameRule {
  readonly name: this['namespace'];
}

/**
 * Words between the delimiters, variables dropped, the first word as written
 * and the others capitalised: `SMS/Messages` -> `SMSMessages`,
 * `artists/{artist_id}/calendar` -> `artistsCalendar`, `user-groups` -> `userGroups`.
 */
export function camelJoin<D extends string = DefaultDelimiters>(
  delimiters: readonly D[] = defaultDelimiters as readonly D[],
): Naming<CamelJoin<D>> {
  checkDelimiters(delimiters);
  return namingRule<CamelJoin<D>>((namespace) =>
    words(dropVariables(namespace), delimiters)
      .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
      .join(''),
  );
}

/** Words lower-cased and joined with `_`: `SMS/Messages` -> `sms_messages`. */
export function snakeJoin<D extends string = DefaultDelimiters>(
  delimiters: readonly D[] = defaultDelimiters as readonly D[],
): Naming<SnakeJoin<D>> {
  checkDelimiters(delimiters);
  return namingRule<SnakeJoin<D>>((namespace) =>
    words(dropVariables(namespace), delimiters)
      .map((word) => word.toLowerCase())
      .join('_'),
  );
}

/** The namespace itself, variables and all: `api['artists/{artist_id}/calendar']`. */
export const keepNamespace: Naming<KeepNamespace> = namingRule<KeepNamespace>((namespace) => namespace);

function checkDelimiters(delimiters: readonly string[]): void {
  for (const d of delimiters) {
    if (typeof d !== 'string' || [...d].length !== 1)
      throw new TypeError(`naming rule: a delimiter must be one character, got ${JSON.stringify(d)}`);
  }
}
