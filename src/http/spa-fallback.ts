/**
 * The single-page-application fallback (`static.spa`, as `serve -s` does):
 * which requests for a file that is not there are answered with the root's
 * index page instead of a 404, so that a client-side route ("/settings/profile")
 * loads the application, which then draws that route.
 *
 * Only a navigation gets it: a GET or HEAD that accepts HTML (Accept names
 * text/html, text/* or * / * with q > 0, or is absent) for a path whose last
 * segment has no dot. A missing asset ("/app.3f2a.js", "/logo.png") stays a
 * 404, so a broken build shows as one instead of as HTML parsed as script.
 */
import { mediaQuality } from './negotiate.js';

export function takesAppShell(method: string, accept: string | undefined, urlPath: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const last = urlPath.slice(urlPath.lastIndexOf('/') + 1);
  if (last.includes('.')) return false;
  return mediaQuality(accept, 'text/html') > 0;
}
