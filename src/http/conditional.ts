/**
 * Conditional requests (RFC 9110 §13): evaluating If-Match,
 * If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range against
 * a representation's validators, in the order §13.2.2 lays down. Each
 * precondition is a small named function; `evaluatePreconditions` applies
 * them in order.
 */
import { parseHttpDate } from './date.js';
import { parseEntityTag, parseEntityTagList, strongMatch, weakMatch, type EntityTag } from './etag.js';
import type { HeaderMap } from './headers.js';

export interface Validators {
  /** The representation's entity tag, as sent in ETag. */
  readonly etag?: string;
  /** Last-Modified in ms since the epoch, whole seconds (as the field carries it). */
  readonly lastModified?: number;
}

/** What the preconditions say: go on, answer 304, or answer 412. */
export type Precondition = 'proceed' | 'not-modified' | 'failed';

/**
 * RFC 9110 §13.2.2, for a representation that exists:
 * 1. If-Match, when present: false -> 412.
 * 2. Otherwise If-Unmodified-Since: false -> 412.
 * 3. If-None-Match, when present: false -> 304 for GET and HEAD, 412 otherwise.
 * 4. Otherwise, for GET and HEAD, If-Modified-Since: false -> 304.
 * (5. If-Range is for the range step: see `ifRangeAllowsRange`.)
 */
export function evaluatePreconditions(method: string, headers: HeaderMap, validators: Validators): Precondition {
  const ifMatch = headers.get('if-match');
  if (ifMatch !== undefined) {
    if (!ifMatchPasses(ifMatch, validators)) return 'failed';
  } else {
    const ifUnmodifiedSince = headers.get('if-unmodified-since');
    if (ifUnmodifiedSince !== undefined && !ifUnmodifiedSincePasses(ifUnmodifiedSince, validators)) return 'failed';
  }
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (!ifNoneMatchPasses(ifNoneMatch, validators)) return method === 'GET' || method === 'HEAD' ? 'not-modified' : 'failed';
  } else if (method === 'GET' || method === 'HEAD') {
    const ifModifiedSince = headers.get('if-modified-since');
    if (ifModifiedSince !== undefined && !ifModifiedSincePasses(ifModifiedSince, validators)) return 'not-modified';
  }
  return 'proceed';
}

/** If-Match (§13.1.1): true for "*", or when a listed tag matches ours by strong comparison. */
export function ifMatchPasses(value: string, validators: Validators): boolean {
  const tags = parseEntityTagList(value);
  if (tags === '*') return true;
  const current = currentTag(validators);
  if (!tags || !current) return false;
  return tags.some((tag) => strongMatch(tag, current));
}

/** If-Unmodified-Since (§13.1.4): false when modified after the date; an invalid date or no Last-Modified is ignored. */
export function ifUnmodifiedSincePasses(value: string, validators: Validators): boolean {
  const date = parseHttpDate(value);
  if (date === undefined || validators.lastModified === undefined) return true;
  return validators.lastModified <= date;
}

/** If-None-Match (§13.1.2): false for "*", or when a listed tag matches ours by weak comparison. A malformed list is ignored. */
export function ifNoneMatchPasses(value: string, validators: Validators): boolean {
  const tags = parseEntityTagList(value);
  if (tags === '*') return false;
  const current = currentTag(validators);
  if (!tags || !current) return true;
  return !tags.some((tag) => weakMatch(tag, current));
}

/** If-Modified-Since (§13.1.3): false (not modified) when Last-Modified is not after the date; invalid dates are ignored. */
export function ifModifiedSincePasses(value: string, validators: Validators): boolean {
  const date = parseHttpDate(value);
  if (date === undefined || validators.lastModified === undefined) return true;
  return validators.lastModified > date;
}

/**
 * If-Range (§13.1.5): whether the Range may be honoured. An entity tag must
 * match ours by strong comparison (a weak tag never does); a date must equal
 * Last-Modified exactly. Anything else means: send the whole representation.
 */
export function ifRangeAllowsRange(value: string | undefined, validators: Validators): boolean {
  if (value === undefined) return true;
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith('W/"')) {
    const tag = parseEntityTag(v);
    const current = currentTag(validators);
    return tag !== undefined && current !== undefined && strongMatch(tag, current);
  }
  const date = parseHttpDate(v);
  return date !== undefined && validators.lastModified !== undefined && date === validators.lastModified;
}

function currentTag(validators: Validators): EntityTag | undefined {
  return validators.etag === undefined ? undefined : parseEntityTag(validators.etag);
}
