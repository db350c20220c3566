/**
 * The command-line flags of the CGI handler. Each one writes the `cgi` or
 * `cgiOptions` part of the options object; `resolveOptions` checks the
 * result as it checks options given in code.
 */
import { CliError, integer, pair, seconds, type Flag, type OptionsDraft } from './args.js';
import type { CgiMapping } from '../../components/cgi/options.js';

type CgiDraft = { -readonly [K in keyof NonNullable<OptionsDraft['cgiOptions']>]: NonNullable<OptionsDraft['cgiOptions']>[K] };

const cgiOptions = (o: OptionsDraft): CgiDraft => (o.cgiOptions ??= {}) as CgiDraft;

export const cgiFlags: readonly Flag[] = [
  {
    name: '--cgi',
    value: 'PREFIX=PATH',
    help: 'run CGI scripts: PATH (a directory of scripts, or one program) at URL PREFIX; "off" for none (default /cgi-bin/=./cgi)',
    repeatable: true,
    apply: (o, v) => {
      if (v === 'off') {
        if (Array.isArray(o.cgi) && o.cgi.length > 0) throw new CliError('--cgi off cannot be combined with mappings');
        o.cgi = false;
        return;
      }
      if (o.cgi === false) throw new CliError('--cgi off cannot be combined with mappings');
      const [prefix, path] = pair('--cgi', v);
      const list = (o.cgi ??= []) as CgiMapping[];
      list.push({ prefix, path });
    },
  },
  {
    name: '--cgi-ext',
    value: 'EXT[=INTERPRETER]',
    help: 'run files of the document root ending in EXT as CGI scripts (.php through php-cgi; else INTERPRETER, or the file itself)',
    repeatable: true,
    apply: (o, v) => {
      const eq = v.indexOf('=');
      const extension = eq < 0 ? v : v.slice(0, eq);
      const argv =
        eq < 0
          ? []
          : v
              .slice(eq + 1)
              .trim()
              .split(/\s+/)
              .filter(Boolean);
      if (eq >= 0 && argv.length === 0) throw new CliError(`--cgi-ext needs an interpreter after "=" for ${extension}`);
      o.cgiExtensions = { ...o.cgiExtensions, [extension]: argv.length > 0 ? argv : true };
    },
  },
  {
    name: '--cgi-interpreter',
    value: 'EXT=COMMAND',
    help: 'run scripts ending in EXT without the executable bit with COMMAND (e.g. .rb=ruby); COMMAND "off" removes one',
    repeatable: true,
    apply: (o, v) => {
      const [extension, command] = pair('--cgi-interpreter', v);
      const argv = command.trim().split(/\s+/).filter(Boolean);
      if (argv.length === 0) throw new CliError(`--cgi-interpreter needs a command for ${extension}`);
      const draft = cgiOptions(o);
      draft.interpreters = { ...draft.interpreters, [extension]: command === 'off' ? false : argv };
    },
  },
  {
    name: '--cgi-env',
    value: 'NAME[=VALUE]',
    help: "set NAME for every script, or pass the server's own NAME on",
    repeatable: true,
    apply: (o, v) => {
      const draft = cgiOptions(o);
      if (!v.includes('=')) {
        draft.passEnv = [...(draft.passEnv ?? []), v];
        return;
      }
      const [name, value] = pair('--cgi-env', v);
      draft.env = { ...draft.env, [name]: value };
    },
  },
  {
    name: '--cgi-pass-authorization',
    help: 'give scripts the Authorization field as HTTP_AUTHORIZATION (withheld by default)',
    apply: (o) => void (cgiOptions(o).passAuthorization = true),
  },
  {
    name: '--cgi-timeout',
    value: 'SECONDS',
    help: 'time a script may run before its process group is killed (default 60)',
    apply: (o, v) => void (cgiOptions(o).timeLimit = seconds('--cgi-timeout', v)),
  },
  {
    name: '--cgi-max',
    value: 'N',
    help: 'scripts running at once, at most (default 32)',
    apply: (o, v) => void (cgiOptions(o).concurrency = integer('--cgi-max', v, 1)),
  },
  {
    name: '--cgi-queue',
    value: 'N',
    help: 'requests waiting for a script slot, at most; more get 503 (default 128)',
    apply: (o, v) => void (cgiOptions(o).queue = integer('--cgi-queue', v, 0)),
  },
];
