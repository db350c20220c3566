/**
 * Fields a request stage puts on the response to a request it passes on,
 * whoever answers it: a handler, the router's 404, another stage's 401. The
 * CORS stage needs this: the browser reads Access-Control-Allow-Origin on
 * every response, errors included, and caches must see Vary: Origin. The
 * request carries them (HttpRequest.responseFields) and the responder, the
 * one place every response passes, sets them: over the handler's own
 * (the server's policy is the one in force), except Vary, which is added to.
 *
 * A stage may hand the same HeaderMap to every request (the CORS stage keeps
 * one per origin): nothing here changes a map it is given.
 */
import { type HeaderMap, addVary } from './headers.js';
import type { HttpRequest, HttpResponse } from './messages.js';

/** The request, carrying these fields for its response as well as any it carried. `fields` is not changed, then or later. */
export function withResponseFields(request: HttpRequest, fields: HeaderMap): HttpRequest {
  if (fields.size === 0) return request;
  const prior = request.responseFields;
  if (prior === undefined) return { ...request, responseFields: fields };
  const merged = prior.clone();
  setFields(merged, fields);
  return { ...request, responseFields: merged };
}

/** The response with the fields its request carries (none: the same response). */
export function applyResponseFields(response: HttpResponse): HttpResponse {
  const fields = response.request.responseFields;
  if (fields === undefined || response.raw) return response;
  const headers = response.headers.clone();
  setFields(headers, fields);
  return { ...response, headers };
}

function setFields(headers: HeaderMap, fields: HeaderMap): void {
  fields.forEach((value, name, key) => {
    if (!headers.has(key)) headers.append(name, value);
    else if (key === 'vary') addVary(headers, value);
    else headers.set(name, value);
  });
}
