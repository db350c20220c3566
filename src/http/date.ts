/** HTTP dates: IMF-fixdate (RFC 9110 §5.6.7), formatted once a second for the Date field. */

let cachedSecond = -1;
let cachedDate = '';

/** The current time as an IMF-fixdate; recomputed at most once a second, as every response needs it (see `npm run bench -- http`, hello keep-alive). */
export function httpDateNow(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedDate = new Date(second * 1000).toUTCString();
  }
  return cachedDate;
}

export function formatHttpDate(date: Date | number): string {
  return new Date(typeof date === 'number' ? date : date.getTime()).toUTCString();
}

const imfFixdate = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const rfc850 =
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const asctime = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * Parses the three date formats a recipient must accept (RFC 9110 §5.6.7);
 * milliseconds since the epoch, or undefined when the value is not a date.
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (!imfFixdate.test(v) && !rfc850.test(v) && !asctime.test(v)) return undefined;
  const ms = Date.parse(asctime.test(v) ? `${v} GMT` : v);
  return Number.isNaN(ms) ? undefined : ms;
}
