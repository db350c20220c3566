// The hello world of the wsgi benchmark, as a WSGI application.
export default function hello(environ, startResponse) {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return ['hello world'];
}
