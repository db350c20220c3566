/** The bits of RFC 9110/9112 grammar that several parsers share. */

/** token (RFC 9110 §5.6.2). */
export const tokenChars = "!#$%&'*+\\-.^_`|~0-9A-Za-z";
export const isToken = new RegExp(`^[${tokenChars}]+$`);

/** tchar (RFC 9110 §5.6.2) by character code. */
const tchar = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") tchar[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) tchar[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) tchar[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) tchar[c] = 1;

/** Whether text[start, end) is a non-empty token. */
export function isTokenRange(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || tchar[c] === 0) return false;
  }
  return true;
}

/** Where text[from, to) starts once its leading OWS (spaces and tabs, RFC 9110 §5.6.3) is skipped. */
export function skipOws(text: string, from: number, to: number): number {
  while (from < to && (text.charCodeAt(from) === 0x20 || text.charCodeAt(from) === 0x09)) from++;
  return from;
}

/** Where text[from, to) ends once its trailing OWS is dropped. */
export function backOverOws(text: string, from: number, to: number): number {
  while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x09)) to--;
  return to;
}

export type FieldLineResult = { readonly name: string; readonly value: string } | 'malformed' | 'obs-fold' | 'bad-value';

/**
 * Splits the field line text[start, end) (RFC 9112 §5) into a lower-cased
 * name and a value without its surrounding whitespace, by hand: no regular
 * expression, so no match arrays and no backtracking whatever the line holds
 * (see `npm run bench -- http`, hello keep-alive).
 */
export function splitFieldLine(text: string, start = 0, end = text.length): FieldLineResult {
  const first = text.charCodeAt(start);
  if (first === 0x20 || first === 0x09) return 'obs-fold';
  const colon = text.indexOf(':', start);
  if (colon < 0 || colon >= end || !isTokenRange(text, start, colon)) return 'malformed';
  const from = skipOws(text, colon + 1, end);
  const to = backOverOws(text, from, end);
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return 'bad-value';
  }
  return { name: text.slice(start, colon).toLowerCase(), value: text.slice(from, to) };
}
