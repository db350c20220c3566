/**
 * The command-line flags of FastCGI. Each one writes the `fastcgi` or
 * `fastcgiOptions` part of the options object; `resolveOptions` checks the
 * result as it checks options given in code.
 */
import type { FastCgiMapping } from '../../components/fastcgi/options.js';
import { CliError, integer, pair, seconds, type Flag, type OptionsDraft } from './args.js';

type FastCgiDraft = { -readonly [K in keyof NonNullable<OptionsDraft['fastcgiOptions']>]: NonNullable<OptionsDraft['fastcgiOptions']>[K] };

const fastcgiOptions = (o: OptionsDraft): FastCgiDraft => (o.fastcgiOptions ??= {}) as FastCgiDraft;

/** ".php=X" maps an extension of the document root, "/app/=X" a URL prefix. */
function mapping(flag: string, value: string): [Pick<FastCgiMapping, 'extension' | 'prefix'>, string] {
  const [where, what] = pair(flag, value);
  if (where.startsWith('.')) return [{ extension: where }, what];
  if (where.startsWith('/')) return [{ prefix: where }, what];
  throw new CliError(`${flag} maps an extension (.php=...) or a URL prefix (/app/=...), not "${where}"`);
}

function add(o: OptionsDraft, entry: FastCgiMapping): void {
  const list = (o.fastcgi ??= []) as FastCgiMapping[];
  list.push(entry);
}

export const fastcgiFlags: readonly Flag[] = [
  {
    name: '--fastcgi',
    value: '.EXT=ADDRESS|PREFIX=ADDRESS',
    help: 'send files of the document root ending in .EXT, or every request under PREFIX, to the FastCGI application at ADDRESS (unix:/path or HOST:PORT)',
    repeatable: true,
    apply: (o, v) => {
      const [where, address] = mapping('--fastcgi', v);
      add(o, { ...where, address });
    },
  },
  {
    name: '--fastcgi-spawn',
    value: '.EXT=COMMAND|PREFIX=COMMAND',
    help: "start the FastCGI application as COMMAND, {socket} in it where it must listen (e.g. .php='php-cgi -b {socket}')",
    repeatable: true,
    apply: (o, v) => {
      const [where, command] = mapping('--fastcgi-spawn', v);
      add(o, { ...where, spawn: { command } });
    },
  },
  {
    name: '--fastcgi-processes',
    value: 'N',
    help: 'processes each spawned FastCGI application runs (default 4)',
    apply: (o, v) => void (fastcgiOptions(o).processes = integer('--fastcgi-processes', v, 1, 256)),
  },
  {
    name: '--fastcgi-connections',
    value: 'N',
    help: 'connections open to each FastCGI server at most; more requests wait (default 8)',
    apply: (o, v) => void (fastcgiOptions(o).connections = integer('--fastcgi-connections', v, 1)),
  },
  {
    name: '--fastcgi-queue',
    value: 'N',
    help: 'requests waiting for a FastCGI connection, at most; more get 503 (default 128)',
    apply: (o, v) => void (fastcgiOptions(o).queue = integer('--fastcgi-queue', v, 0)),
  },
  {
    name: '--fastcgi-connect-timeout',
    value: 'SECONDS',
    help: 'time to connect to a FastCGI server: 504 after (default 5)',
    apply: (o, v) => void (fastcgiOptions(o).connectTimeout = seconds('--fastcgi-connect-timeout', v)),
  },
  {
    name: '--fastcgi-timeout',
    value: 'SECONDS',
    help: 'time a FastCGI application has to send its response head: 504 after, and the request is aborted (default 60)',
    apply: (o, v) => void (fastcgiOptions(o).headTimeout = seconds('--fastcgi-timeout', v)),
  },
  {
    name: '--fastcgi-read-timeout',
    value: 'SECONDS',
    help: 'time without a word from a FastCGI application while its response is read: it is cut off (default 60)',
    apply: (o, v) => void (fastcgiOptions(o).readTimeout = seconds('--fastcgi-read-timeout', v)),
  },
  {
    name: '--fastcgi-param',
    value: 'NAME=VALUE',
    help: 'give every FastCGI request the parameter NAME',
    repeatable: true,
    apply: (o, v) => {
      const [name, value] = pair('--fastcgi-param', v);
      const draft = fastcgiOptions(o);
      draft.params = { ...draft.params, [name]: value };
    },
  },
];
