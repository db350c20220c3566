/** Every flag the `boxwire` command takes: the server's own, then each handler's. */
import { serverFlags, type Flag } from './args.js';
import { cgiFlags } from './flags-cgi.js';
import { listenFlags } from './flags-listen.js';
import { staticFlags } from './flags-static.js';
import { wsgiFlags } from './flags-wsgi.js';
import { pythonFlags } from './flags-python.js';
import { proxyFlags } from './flags-proxy.js';

export const flags: readonly Flag[] = [
  ...serverFlags,
  ...listenFlags,
  ...staticFlags,
  ...cgiFlags,
  ...wsgiFlags,
  ...pythonFlags,
  ...proxyFlags,
];
