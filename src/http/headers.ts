/**
 * Header fields: case-insensitive names, order and repeats kept (RFC 9110
 * §5.3). Requests carry the fields as they came off the wire; responses carry
 * the fields a handler set, written in that order and spelling.
 */

export type HeadersInit =
  | HeaderMap
  | Readonly<Record<string, string | number | readonly string[] | undefined>>
  | readonly (readonly [string, string])[];

export class HeaderMap {
  /** Field names as given. */
  private readonly names: string[] = [];
  /** The same names, lower-cased, for lookups. */
  private readonly keys: string[] = [];
  private readonly values: string[] = [];

  constructor(init?: HeadersInit) {
    if (init) this.merge(init);
  }

  static from(init: HeadersInit | undefined): HeaderMap {
    return init instanceof HeaderMap ? init : new HeaderMap(init);
  }

  get size(): number {
    return this.names.length;
  }

  /** The field's value; repeated fields are joined with ", " (RFC 9110 §5.3). */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    const keys = this.keys;
    let found: string | undefined;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) found = found === undefined ? this.values[i]! : `${found}, ${this.values[i]!}`;
    }
    return found;
  }

  /** Every value of the field, in order (Set-Cookie must be read this way). */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const all: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) all.push(this.values[i]!);
    return all;
  }

  /** How many times the field appears. */
  count(name: string): number {
    const key = name.toLowerCase();
    let n = 0;
    for (const k of this.keys) if (k === key) n++;
    return n;
  }

  has(name: string): boolean {
    return this.keys.includes(name.toLowerCase());
  }

  /** Adds a field after the others, keeping any of the same name. */
  append(name: string, value: string): this {
    this.names.push(name);
    this.keys.push(name.toLowerCase());
    this.values.push(value);
    return this;
  }

  /** Adds a field whose name is known to be lower case already (the parser's fast path). */
  appendLower(key: string, value: string): this {
    this.names.push(key);
    this.keys.push(key);
    this.values.push(value);
    return this;
  }

  /** Adds a field spelt `name` whose lower-case form `key` is known already (a parser that keeps the sender's spelling). */
  appendSpelt(name: string, key: string, value: string): this {
    this.names.push(name);
    this.keys.push(key);
    this.values.push(value);
    return this;
  }

  /** Replaces every field of that name with one (in the place of the first). */
  set(name: string, value: string): this {
    const key = name.toLowerCase();
    const at = this.keys.indexOf(key);
    if (at < 0) return this.append(name, value);
    this.values[at] = value;
    this.names[at] = name;
    for (let i = this.keys.length - 1; i > at; i--) if (this.keys[i] === key) this.removeAt(i);
    return this;
  }

  delete(name: string): this {
    const key = name.toLowerCase();
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i] === key) this.removeAt(i);
    return this;
  }

  /** [name, value] pairs in order, names as given. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i]!, this.values[i]!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Calls `visit` for each field: the fast way to walk them. */
  forEach(visit: (value: string, name: string, key: string) => void): void {
    for (let i = 0; i < this.names.length; i++) visit(this.values[i]!, this.names[i]!, this.keys[i]!);
  }

  clone(): HeaderMap {
    const copy = new HeaderMap();
    copy.names.push(...this.names);
    copy.keys.push(...this.keys);
    copy.values.push(...this.values);
    return copy;
  }

  /** A plain object of lower-case names; repeated fields joined, Set-Cookie as an array. */
  toObject(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      const value = this.values[i]!;
      const prior = out[key];
      if (prior === undefined) out[key] = key === 'set-cookie' ? [value] : value;
      else if (Array.isArray(prior)) prior.push(value);
      else out[key] = `${prior}, ${value}`;
    }
    return out;
  }

  private merge(init: HeadersInit): void {
    if (init instanceof HeaderMap) {
      init.forEach((value, name) => {
        this.append(name, value);
      });
    } else if (Array.isArray(init)) {
      for (const [name, value] of init as readonly (readonly [string, string])[]) this.append(name, value);
    } else {
      const record = init as Record<string, unknown>;
      for (const name in record) {
        const value = record[name];
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) this.append(name, String(v));
        else this.append(name, String(value));
      }
    }
  }

  private removeAt(i: number): void {
    this.names.splice(i, 1);
    this.keys.splice(i, 1);
    this.values.splice(i, 1);
  }
}

/**
 * The elements of a comma-separated list field (RFC 9110 §5.6.1), trimmed,
 * empty elements dropped. Quoted strings are not split.
 */
export function listElements(value: string | undefined): string[] {
  if (!value) return [];
  if (!value.includes('"')) {
    const out: string[] = [];
    for (const part of value.split(',')) {
      const t = part.trim();
      if (t) out.push(t);
    }
    return out;
  }
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      current += c;
      if (c === '\\' && i + 1 < value.length) current += value[++i]!;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
      current += c;
    } else if (c === ',') {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** Whether a list field (Connection, say) contains a token, case-insensitively. */
export function hasToken(value: string | undefined, token: string): boolean {
  if (!value) return false;
  const lower = value.toLowerCase();
  if (lower === token) return true;
  return listElements(lower).includes(token);
}

/** Adds field names (one, or a list) to Vary, each unless it is there already or Vary is "*" (RFC 9110 §12.5.5). */
export function addVary(headers: HeaderMap, names: string): void {
  for (const name of listElements(names)) {
    const vary = headers.get('vary');
    if (vary === undefined) headers.append('Vary', name);
    else if (!hasToken(vary, name.toLowerCase()) && !hasToken(vary, '*')) headers.set('Vary', `${vary}, ${name}`);
  }
}
