/**
 * ErrorPage: the one place error responses are finished and logged. A
 * response with an error status (400 and up) and no body is given one: a
 * small HTML page, or JSON when the client prefers it. Users replace pages
 * per status or wholesale (options), or put their own component here.
 * Every error response is logged on the errors channel with its request
 * line; 5xx ones with the error that caused them.
 */
import { box } from '../src/core/box.js';
import { Component, boxes } from '../src/core/component.js';
import { logRecord, type LogRecord } from '../src/core/log.js';
import { HeaderMap } from '../src/http/headers.js';
import { escapeHtml } from '../src/http/html.js';
import { requestLine, type Body, type HttpResponse, type ResponseInit } from '../src/http/messages.js';
import { preferredMediaType } from '../src/http/negotiate.js';
import { reasonPhrase } from '../src/http/status.js';

/** Makes the page for an error response: a body (HTML), or fields to set, or undefined to keep the default. */
export type ErrorPageRenderer = (response: HttpResponse) => ResponseInit | string | undefined;

export interface ErrorPageOptions {
  /** Pages for particular statuses: a renderer, or fixed HTML. */
  readonly pages?: Readonly<Record<number, ErrorPageRenderer | string>>;
  /** Replaces the default page for every status not in `pages`. */
  readonly render?: ErrorPageRenderer;
  /** Name shown at the foot of the default page; false for none. */
  readonly signature?: string | false;
}

export const errorPageBoxes = boxes({
  inboxes: { inbox: box<HttpResponse>('responses; the bodiless errors among them get a page') },
  outboxes: {
    outbox: box<HttpResponse>('the same responses, with error pages'),
    log: box<LogRecord>('one line per error response, on the errors channel'),
  },
});

export class ErrorPage extends Component<typeof errorPageBoxes> {
  constructor(private readonly options: ErrorPageOptions = {}) {
    super(errorPageBoxes);
  }

  protected main(): void {
    this.on('inbox', this.onResponse);
  }

  private onResponse(response: HttpResponse): void {
    if (response.status < 400) return this.send('outbox', response);
    this.logError(response);
    this.send('outbox', response.body === undefined ? this.render(response) : response);
  }

  private render(response: HttpResponse): HttpResponse {
    const custom = this.options.pages?.[response.status] ?? this.options.render;
    if (custom !== undefined) {
      const made = typeof custom === 'string' ? custom : custom(response);
      if (made !== undefined) return withPage(response, typeof made === 'string' ? { body: made } : made);
    }
    return withPage(response, defaultPage(response, this.options.signature ?? 'boxwire'));
  }

  private logError(response: HttpResponse): void {
    const request = response.request;
    const error = response.error;
    const why = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
    const line = `${response.status} ${requestLine(request)} from ${request.connection.remoteAddress}${why ? `: ${why}` : ''}`;
    const level = response.status >= 500 ? 'error' : 'warn';
    const fields = error instanceof Error && response.status >= 500 ? { stack: error.stack } : undefined;
    this.send('log', logRecord('errors', level, line, fields));
  }
}

function withPage(response: HttpResponse, page: ResponseInit): HttpResponse {
  const headers = response.headers.clone();
  if (page.headers) for (const [name, value] of HeaderMap.from(page.headers)) headers.set(name, value);
  if (!headers.has('content-type')) headers.set('Content-Type', 'text/html; charset=utf-8');
  return { ...response, status: page.status ?? response.status, headers, body: page.body as Body };
}

const explanations: Readonly<Record<number, string>> = {
  400: 'The server could not understand the request.',
  403: 'You do not have permission to access this resource.',
  404: 'The requested resource was not found on this server.',
  405: 'The method is not allowed for this resource.',
  408: 'The server timed out waiting for the request.',
  413: 'The request body is larger than the server accepts.',
  414: 'The request URI is longer than the server accepts.',
  416: 'The requested range cannot be satisfied.',
  431: 'The request header fields are larger than the server accepts.',
  500: 'The server encountered an internal error.',
  501: 'The server does not support the method.',
  502: 'The server received an invalid response from an upstream program.',
  503: 'The server is temporarily unable to handle the request.',
  504: 'An upstream program did not answer in time.',
  505: 'The server does not support that HTTP version.',
};

function defaultPage(response: HttpResponse, signature: string | false): ResponseInit {
  const status = response.status;
  const reason = reasonPhrase(status);
  const path = response.request.path || response.request.target;
  const explanation =
    explanations[status] ?? (status >= 500 ? 'The server could not complete the request.' : 'The request could not be completed.');
  const accept = response.request.headers.get('accept');
  if (preferredMediaType(accept, ['text/html', 'application/json']) === 'application/json') {
    return {
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ status, error: reason, message: explanation, path }),
    };
  }
  const foot = signature ? `<hr><address>${escapeHtml(signature)}</address>` : '';
  return {
    body:
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(reason)}</title></head>` +
      `<body><h1>${status} ${escapeHtml(reason)}</h1><p>${escapeHtml(explanation)}</p>` +
      `<p><code>${escapeHtml(path)}</code></p>${foot}</body></html>\n`,
  };
}
