/** Every flag the `boxwire` command takes: the server's own, then each handler's. */
import { serverFlags, type Flag } from './args.js';
import { cgiFlags } from './flags-cgi.js';
import { fastcgiFlags } from './flags-fastcgi.js';
import { listenFlags } from './flags-listen.js';
import { staticFlags } from './flags-static.js';
import { wsgiFlags } from './flags-wsgi.js';
import { pythonFlags } from './flags-python.js';
import { observeFlags } from './flags-observe.js';
import { middlewareFlags } from './flags-middleware.js';
import { websocketFlags } from './flags-websocket.js';
import { proxyFlags } from './flags-proxy.js';

export const flags: readonly Flag[] = [
  ...serverFlags,
  ...listenFlags,
  ...staticFlags,
  ...cgiFlags,
  ...fastcgiFlags,
  ...wsgiFlags,
  ...pythonFlags,
  ...observeFlags,
  ...middlewareFlags,
  ...websocketFlags,
  ...proxyFlags,
];
