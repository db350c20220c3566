// examples/wsgi/fetch-hello.mjs: a fetch-style application (boxwire --wsgi /api/=./examples/wsgi/fetch-hello.mjs).
export default {
  fetch: (request, env) => Response.json({ path: new URL(request.url).pathname, from: env.REMOTE_ADDR }),
};
