/**
 * Fields a request stage puts on the response to a request it passes on,
 * whoever answers it: a handler, the router's 404, another stage's 401. The
 * CORS stage needs this: the browser reads Access-Control-Allow-Origin on
 * every response, errors included, and caches must see Vary: Origin. The
 * request carries them (HttpRequest.responseFields) and the responder, the
 * one place every response passes, sets them: over the handler's own
 * (the server's policy is the one in force), except Vary, which is added to.
 */
import { HeaderMap, addVary } from './headers.js';
import type { HttpRequest, HttpResponse } from './messages.js';

/** The request, carrying these fields for its response as well as any it carried. */
export function withResponseFields(request: HttpRequest, fields: readonly (readonly [string, string])[]): HttpRequest {
  if (fields.length === 0) return request;
  const merged = request.responseFields ? request.responseFields.clone() : new HeaderMap();
  for (const [name, value] of fields) {
    if (name.toLowerCase() === 'vary') addVary(merged, value);
    else merged.set(name, value);
  }
  return { ...request, responseFields: merged };
}

/** The response with the fields its request carries (none: the same response). */
export function applyResponseFields(response: HttpResponse): HttpResponse {
  const fields = response.request.responseFields;
  if (fields === undefined || response.raw) return response;
  const headers = response.headers.clone();
  fields.forEach((value, name, key) => {
    if (key === 'vary') addVary(headers, value);
    else headers.set(name, value);
  });
  return { ...response, headers };
}
