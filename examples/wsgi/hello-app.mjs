// examples/wsgi/hello-app.mjs: hello, and what the request looked like (boxwire --wsgi /hello/=./examples/wsgi/hello-app.mjs).
export default function app(environ, startResponse) {
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']]);
  return [`Hello from ${environ.PATH_INFO}\n`];
}
