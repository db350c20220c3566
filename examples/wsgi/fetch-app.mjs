// A fetch-style application: the module's default export has a fetch()
// method that answers a Web Request with a Response, the convention of Hono
// and other Web-standard frameworks. It runs on the same thread pool as WSGI
// applications: `boxwire --wsgi /api/=./examples/wsgi/fetch-app.mjs`.
//
//   GET  /api/hello?name=you   -> {"hello":"you"}
//   POST /api/echo             -> the request body, streamed back
//   GET  /api/count?to=5       -> five lines, one every 100 ms

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default {
  /**
   * @param {Request} request
   * @param {Record<string, string>} env the CGI variables (SCRIPT_NAME, REMOTE_ADDR...)
   */
  async fetch(request, env) {
    const url = new URL(request.url);
    const path = url.pathname.slice(env.SCRIPT_NAME.length);
    if (path === '/hello') {
      return Response.json({ hello: url.searchParams.get('name') ?? 'world' });
    }
    if (path === '/echo' && request.method === 'POST') {
      return new Response(request.body, { headers: { 'Content-Type': request.headers.get('content-type') ?? 'application/octet-stream' } });
    }
    if (path === '/count') {
      const to = Math.min(Number(url.searchParams.get('to') ?? 3) || 3, 100);
      const body = new ReadableStream({
        async start(controller) {
          for (let i = 1; i <= to; i++) {
            controller.enqueue(new TextEncoder().encode(`${i}\n`));
            if (i < to) await sleep(100);
          }
          controller.close();
        },
      });
      return new Response(body, { headers: { 'Content-Type': 'text/plain' } });
    }
    return new Response('not found\n', { status: 404, headers: { 'Content-Type': 'text/plain' } });
  },
};
