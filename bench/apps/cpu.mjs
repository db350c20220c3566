// About 5 ms of synchronous work per request, as a WSGI application.
import { work } from './work.mjs';

export default function cpu(environ, startResponse) {
  const result = work(environ.QUERY_STRING.length + 1);
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [`${result}\n`];
}
