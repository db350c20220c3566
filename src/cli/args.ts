/**
 * The command line, as data: each flag says what it takes and what it does to
 * the options object. Parsing is pure (argv in, options or a clear error
 * out) so every flag is tested without starting a process; `resolveOptions`
 * then checks the result exactly as it checks options given in code.
 */
import { availableParallelism } from 'node:os';
import type { ServerOptions } from '../server/options.js';

export class CliError extends Error {
  override readonly name = 'CliError';
}

type Draft<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? U[]
    : T extends object
      ? { -readonly [K in keyof T]: Draft<T[K]> }
      : T;
/** The options object as flags build it up (plus what only the command uses: `workers`, `config`). */
export type OptionsDraft = Draft<ServerOptions> & { workers?: number; config?: string } & Record<string, unknown>;

export interface Flag {
  readonly name: string;
  /** What the value is called in --help; absent for a switch. */
  readonly value?: string;
  readonly help: string;
  /** May be given more than once. */
  readonly repeatable?: boolean;
  apply(options: OptionsDraft, value: string): void;
  /** What a bare argument (not a flag) does instead, if this flag may be given that way: once, and not beside the flag. */
  readonly positional?: { readonly value: string; apply(options: OptionsDraft, value: string): void };
}

export function integer(flag: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} needs a whole number, not "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new CliError(`${flag} must be from ${min} to ${max}, not ${n}`);
  return n;
}

/** Seconds (as the command line takes them) to milliseconds. */
export function seconds(flag: string, value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) throw new CliError(`${flag} needs a positive number of seconds, not "${value}"`);
  return Math.round(Number(value) * 1000);
}

/** Sizes like 512, 64k, 10M, 1G (bytes, powers of 1024). */
export function size(flag: string, value: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(value);
  if (!m) throw new CliError(`${flag} needs a size such as 1048576, 64k or 10M, not "${value}"`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * unit;
  if (n <= 0) throw new CliError(`${flag} must be more than 0`);
  return n;
}

/** Splits NAME=VALUE. */
export function pair(flag: string, value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError(`${flag} needs NAME=VALUE, not "${value}"`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

const limits = (o: OptionsDraft) => (o.limits ??= {});
const timeouts = (o: OptionsDraft) => (o.timeouts ??= {});

/** The flags of the HTTP server itself; the handlers add theirs (see `flags`). */
export const serverFlags: readonly Flag[] = [
  {
    name: '--config',
    value: 'FILE',
    help: 'read options from FILE (.json, or .mjs exporting them); flags override it; SIGHUP reloads it',
    apply: (o, v) => void (o.config = v),
  },
  { name: '--host', value: 'HOST', help: 'address to listen on (default 127.0.0.1)', apply: (o, v) => void (o.host = v) },
  {
    name: '--port',
    value: 'PORT',
    help: 'port to listen on; 0 picks a free one (default 8080)',
    apply: (o, v) => void (o.port = integer('--port', v, 0, 65535)),
  },
  {
    name: '--access-log',
    value: 'FORMAT',
    help: 'combined (default), common, json or off',
    apply: (o, v) => {
      if (v !== 'combined' && v !== 'common' && v !== 'json' && v !== 'off')
        throw new CliError(`--access-log takes combined, common, json or off, not "${v}"`);
      o.accessLog = v === 'off' ? false : v;
    },
  },
  {
    name: '--server-header',
    value: 'TEXT',
    help: 'the Server response field, or off (default boxwire)',
    apply: (o, v) => void (o.serverHeader = v === 'off' ? false : v),
  },
  { name: '--quiet', help: 'print nothing but errors', apply: (o) => void (o.log = { ...(o.log ?? {}), print: ['errors'] }) },
  {
    name: '--max-connections',
    value: 'N',
    help: 'open connections at most (default 10000)',
    apply: (o, v) => void (limits(o).connections = integer('--max-connections', v, 1)),
  },
  {
    name: '--max-body',
    value: 'SIZE',
    help: 'largest request body, e.g. 10M (default 100M)',
    apply: (o, v) => void (limits(o).body = size('--max-body', v)),
  },
  {
    name: '--header-timeout',
    value: 'SECONDS',
    help: 'time to receive a request head (default 10)',
    apply: (o, v) => void (timeouts(o).header = seconds('--header-timeout', v)),
  },
  {
    name: '--idle-timeout',
    value: 'SECONDS',
    help: 'time an idle keep-alive connection is kept (default 10)',
    apply: (o, v) => void (timeouts(o).idle = seconds('--idle-timeout', v)),
  },
  {
    name: '--handler-timeout',
    value: 'SECONDS',
    help: 'time a handler may take to answer: 504 after (default 60)',
    apply: (o, v) => void (timeouts(o).handler = seconds('--handler-timeout', v)),
  },
  {
    name: '--body-timeout',
    value: 'SECONDS',
    help: 'time a request body may stall (default 10)',
    apply: (o, v) => void (timeouts(o).body = seconds('--body-timeout', v)),
  },
  {
    name: '--workers',
    value: 'N|auto',
    help: 'run N server processes on the same sockets (auto: one per core)',
    apply: (o, v) => void (o.workers = v === 'auto' ? availableParallelism() : integer('--workers', v, 1, 256)),
  },
  {
    name: '--status',
    value: 'PATH',
    help: 'serve the status page at PATH (HTML; JSON with ?format=json)',
    apply: (o, v) => void (o.status = v),
  },
  { name: '--healthz', value: 'PATH', help: "answer load balancers' health checks at PATH", apply: (o, v) => void (o.healthz = v) },
  {
    name: '--serve-half-closed',
    help: 'keep running CGI scripts and applications for clients that end their side (a FIN) before the answer (default: taken for gone)',
    apply: (o) => void (o.serveHalfClosed = true),
  },
  {
    name: '--shutdown-timeout',
    value: 'SECONDS',
    help: 'time requests in flight get to finish on stop (default 10)',
    apply: (o, v) => void (timeouts(o).shutdown = seconds('--shutdown-timeout', v)),
  },
];

export interface ParsedArgs {
  readonly options: OptionsDraft;
  readonly help: boolean;
  readonly version: boolean;
}

/** Parses argv (without node and the script); `--flag value` and `--flag=value` both work. */
export function parseArgs(argv: readonly string[], flags: readonly Flag[]): ParsedArgs {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const bare = flags.find((f) => f.positional);
  const seen = new Set<string>();
  const options: OptionsDraft = {};
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--version' || arg === '-v') {
      version = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const flag = byName.get(name);
    if (!flag && !arg.startsWith('-') && bare?.positional) {
      if (seen.has(bare.name)) throw new CliError(`${bare.positional.value} given twice (as ${bare.name} or an argument): "${arg}"`);
      seen.add(bare.name);
      bare.positional.apply(options, arg);
      continue;
    }
    if (!flag) throw new CliError(arg.startsWith('-') ? `unknown flag ${name} (see --help)` : `unexpected argument "${arg}" (see --help)`);
    if (seen.has(name) && flag.positional) throw new CliError(`${flag.positional.value} given twice (as ${name} or an argument)`);
    if (seen.has(name) && !flag.repeatable) throw new CliError(`${name} given more than once`);
    seen.add(name);
    let value = '';
    if (flag.value) {
      if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
      else {
        const next = argv[++i];
        if (next === undefined) throw new CliError(`${name} needs a value (${flag.value})`);
        value = next;
      }
    } else if (eq > 0) throw new CliError(`${name} takes no value`);
    flag.apply(options, value);
  }
  return { options, help, version };
}

export function usage(flags: readonly Flag[]): string {
  const rows = flags.map((f) => [`${f.name}${f.value ? ` ${f.value}` : ''}`, `${f.help}${f.repeatable ? ' (repeatable)' : ''}`] as const);
  rows.push(['--help', 'show this help'], ['--version', 'print the version']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return [
    'Usage: boxwire [options] [DIR]',
    '',
    'Serves the files in DIR (default: the current directory) on http://127.0.0.1:8080 unless told otherwise,',
    'and nothing else it is not told to: CGI scripts with --cgi, applications with --wsgi.',
    '',
    'Options:',
    ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`),
    '',
  ].join('\n');
}
