// The demo WSGI application, after wsgiref's demo_app: a greeting, then
// every entry of the environ, sorted. `npm start` serves it under /app/;
// run it yourself with `boxwire --wsgi /app/=./examples/wsgi/demo-app.mjs`.
//
// A WSGI application is a function of (environ, startResponse) that returns
// an iterable of strings or bytes (PEP 3333, in JavaScript).

/**
 * @param {Record<string, unknown>} environ
 * @param {(status: string, headers: [string, string][]) => unknown} startResponse
 */
export default function demoApp(environ, startResponse) {
  const lines = ['Hello world!', ''];
  for (const key of Object.keys(environ).sort()) lines.push(`${key} = ${show(environ[key])}`);
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']]);
  return [`${lines.join('\n')}\n`];
}

function show(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value) || typeof value === 'boolean' || typeof value === 'number') return JSON.stringify(value);
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  return `[${value?.constructor?.name ?? typeof value}]`;
}
