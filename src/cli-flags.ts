/** Every flag the `boxwire` command takes: the server's own, then each handler's. */
import { serverFlags, type Flag } from './cli-args.js';
import { cgiFlags } from './cli-flags-cgi.js';
import { listenFlags } from './cli-flags-listen.js';
import { staticFlags } from './cli-flags-static.js';
import { wsgiFlags } from './cli-flags-wsgi.js';
import { pythonFlags } from './cli-flags-python.js';

export const flags: readonly Flag[] = [...serverFlags, ...listenFlags, ...staticFlags, ...cgiFlags, ...wsgiFlags, ...pythonFlags];
