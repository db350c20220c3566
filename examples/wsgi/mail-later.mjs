// examples/wsgi/mail-later.mjs: answer at once, do the slow part afterwards: environ['wsgiorg.executor']
// runs the mail on this thread once the response is on its way.
//   boxwire --wsgi /signup/=./examples/wsgi/mail-later.mjs
export default function app(environ, startResponse) {
  const errors = environ['wsgi.errors'];
  environ['wsgiorg.executor'].submit(sendWelcomeMail, environ.QUERY_STRING, errors);
  startResponse('202 Accepted', [['Content-Type', 'text/plain']]);
  return ['queued\n'];
}

async function sendWelcomeMail(to, errors) {
  await new Promise((resolve) => setTimeout(resolve, 100)); // the mail server, say
  errors.write(`welcome mail sent to ${to}\n`);
}
