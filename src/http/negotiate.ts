/**
 * Proactive negotiation (RFC 9110 §12.5): picking, from what the server can
 * offer, what the client prefers, by quality value and then by specificity.
 */

interface Preference {
  readonly value: string;
  readonly q: number;
  readonly order: number;
}

/** Parses a list of values with optional q parameters ("gzip;q=0.8, br"). */
export function parsePreferences(header: string): Preference[] {
  const out: Preference[] = [];
  header.split(',').forEach((part, order) => {
    const [raw, ...params] = part.split(';');
    const value = raw!.trim().toLowerCase();
    if (!value) return;
    let q = 1;
    for (const param of params) {
      const [k, v] = param.split('=').map((s) => s.trim());
      if (k?.toLowerCase() === 'q') {
        const n = Number(v);
        q = Number.isFinite(n) && n >= 0 && n <= 1 ? n : 0;
      }
    }
    out.push({ value, q, order });
  });
  return out;
}

/** The quality the Accept header gives a media type: the most specific matching range wins. */
export function mediaQuality(accept: string | undefined, type: string): number {
  if (accept === undefined || accept.trim() === '') return 1;
  const [major] = type.split('/');
  let best = -1;
  let q = 0;
  for (const p of parsePreferences(accept)) {
    const range = p.value.split(';')[0]!;
    const specificity = range === type ? 3 : range === `${major}/*` ? 2 : range === '*/*' ? 1 : 0;
    if (specificity > best && specificity > 0) {
      best = specificity;
      q = p.q;
    }
  }
  return q;
}

/** The offered media type the client likes best (the first offer on a tie); undefined when it accepts none. */
export function preferredMediaType(accept: string | undefined, offers: readonly string[]): string | undefined {
  let choice: string | undefined;
  let bestQ = 0;
  for (const offer of offers) {
    const q = mediaQuality(accept, offer);
    if (q > bestQ) {
      bestQ = q;
      choice = offer;
    }
  }
  return choice;
}

/**
 * The offered content coding the client likes best (RFC 9110 §12.5.3), or
 * "identity"; undefined when even identity is refused. Ties go to the
 * earlier offer, so list them in the order the server prefers.
 */
export function preferredEncoding(acceptEncoding: string | undefined, offers: readonly string[]): string | undefined {
  if (acceptEncoding === undefined) return 'identity';
  const prefs = parsePreferences(acceptEncoding);
  const quality = (coding: string): number | undefined => {
    const exact = prefs.find((p) => p.value === coding);
    if (exact) return exact.q;
    const star = prefs.find((p) => p.value === '*');
    return star?.q;
  };
  let choice: string | undefined;
  let bestQ = 0;
  for (const offer of offers) {
    const q = quality(offer) ?? 0;
    if (q > bestQ) {
      bestQ = q;
      choice = offer;
    }
  }
  if (choice) return choice;
  const identity = quality('identity');
  return identity === 0 ? undefined : 'identity';
}
