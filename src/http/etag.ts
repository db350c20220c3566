/**
 * Entity tags (RFC 9110 §8.8.3): made for files from their size and
 * modification time, parsed from the lists clients send in If-Match and
 * If-None-Match, and compared the two ways the RFC defines (§8.8.3.2).
 */

export interface EntityTag {
  readonly weak: boolean;
  /** The opaque tag, quotes included: `"abc"`. */
  readonly opaque: string;
}

/**
 * A strong validator for a file: its size and modification time (to the
 * microsecond the file system keeps). A file rewritten with other bytes gets
 * a new mtime, so a new tag; `suffix` tells apart the encodings of one file.
 */
export function fileEtag(size: number, mtimeMs: number, suffix = ''): string {
  return `"${size.toString(16)}-${Math.round(mtimeMs * 1000).toString(16)}${suffix}"`;
}

/** Marks a tag weak (`W/"..."`): what a response whose bytes were transformed (compressed) must carry. */
export function weakEtag(etag: string): string {
  return etag.startsWith('W/') ? etag : `W/${etag}`;
}

/** One entity-tag; undefined when the text is not one. */
export function parseEntityTag(text: string): EntityTag | undefined {
  const list = parseEntityTagList(text.trim());
  return list !== undefined && list !== '*' && list.length === 1 ? list[0] : undefined;
}

/**
 * `"*"` or a list of entity tags (`"a", W/"b"`); undefined when malformed.
 * Commas may appear inside a tag, so the list is scanned, not split.
 */
export function parseEntityTagList(value: string): '*' | EntityTag[] | undefined {
  const v = value.trim();
  if (v === '*') return '*';
  const tags: EntityTag[] = [];
  let i = 0;
  const n = v.length;
  for (;;) {
    // Empty list elements and optional whitespace are allowed (RFC 9110 §5.6.1.2).
    while (i < n && (v[i] === ' ' || v[i] === '\t' || v[i] === ',')) i++;
    if (i >= n) break;
    let weak = false;
    if (v.startsWith('W/', i)) {
      weak = true;
      i += 2;
    }
    if (v[i] !== '"') return undefined;
    const close = v.indexOf('"', i + 1);
    if (close < 0) return undefined;
    const opaque = v.slice(i, close + 1);
    for (let c = 1; c < opaque.length - 1; c++) {
      const code = opaque.charCodeAt(c);
      // etagc = %x21 / %x23-7E / obs-text
      if (code < 0x21 || code === 0x7f || code > 0xff) return undefined;
    }
    tags.push({ weak, opaque });
    i = close + 1;
    while (i < n && (v[i] === ' ' || v[i] === '\t')) i++;
    if (i < n && v[i] !== ',') return undefined;
  }
  return tags.length > 0 ? tags : undefined;
}

/** Strong comparison: both strong and the same. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** Weak comparison: the same opaque tag, weak or not. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}
