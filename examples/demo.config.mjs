// The project's own demo: what `npm start` serves (it runs
// `boxwire --config examples/demo.config.mjs`). The command on its own
// serves only the directory it is given; this file names everything the
// demo mounts, so it is the one place to add to it:
//
//   /               the pages in static/
//   /cgi-bin/       the sample CGI scripts in cgi/ (hello.sh, env.py, form.py...)
//   /app/           the demo WSGI application (examples/wsgi/demo-app.mjs)
//   /server-status  the status page; /healthz the health check
//
// Paths are found from this file, so the demo runs from any directory.
// Flags given to `npm start -- ...` go over it (`npm start -- --port 9000`).
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** @type {import('boxwire').ServerOptions} */
export default {
  root: here('../static/'),
  cgi: [{ prefix: '/cgi-bin/', path: here('../cgi/') }],
  wsgi: [{ prefix: '/app/', module: here('./wsgi/demo-app.mjs') }],
  // Two threads are plenty for a demo (the default, as Rocket's, is ten).
  pool: { minThreads: 2 },
  status: '/server-status',
  healthz: '/healthz',
};
