// The project's own demo: what `npm start` serves (it runs
// `boxwire --config examples/demo.config.mjs`). The command on its own
// serves only the directory it is given; this file names everything the
// demo mounts, so it is the one place to add to it:
//
//   /               the pages in static/
//   /cgi-bin/       the sample CGI scripts in cgi/ (hello.sh, env.py, form.py...)
//   /app/           the demo WSGI application (examples/wsgi/demo-app.mjs)
//   /chat/          a chat room over WebSocket (examples/chat/: the page, and its socket)
//   /server-status  the status page; /healthz the health check
//
// Paths are found from this file, so the demo runs from any directory.
// Flags given to `npm start -- ...` go over it (`npm start -- --port 9000`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// The chat room as built (npm start builds first).
import { chatRoom } from '../dist/examples/chat/chat.js';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

const chatPage = readFileSync(here('./chat/index.html'));

/** @type {import('boxwire').ServerOptions} */
export default {
  routes: [
    { path: '/chat/', methods: ['GET'], handler: () => ({ headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: chatPage }) },
    { path: '/chat/socket', ...chatRoom() },
  ],
  root: here('../static/'),
  cgi: [{ prefix: '/cgi-bin/', path: here('../cgi/') }],
  wsgi: [{ prefix: '/app/', module: here('./wsgi/demo-app.mjs') }],
  // Two threads are plenty for a demo (the default, as Rocket's, is ten).
  pool: { minThreads: 2 },
  status: '/server-status',
  healthz: '/healthz',
};
