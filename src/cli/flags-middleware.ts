/**
 * The command-line flags of the built-in stages and virtual hosts: each sets
 * a field of the options object (`auth`, `cors`, `rateLimit`, `redirects`,
 * `rewrites`, `vhosts`, `securityHeaders`, `static.spa`), which
 * resolveOptions then checks as it checks options given in code.
 */
import type { RedirectStatus } from '../../components/url-rule-options.js';
import { CliError, integer, pair, type Flag, type OptionsDraft } from './args.js';

type Draft = OptionsDraft;
type CorsDraft = { origins: string[] | '*'; credentials?: boolean };

const corsOf = (o: Draft): CorsDraft => (o.cors ??= { origins: [] }) as CorsDraft;

/** A repeatable NAME=VALUE flag adding `entry(name, value)` to the list option `key`. */
function pairs(
  name: string,
  value: string,
  help: string,
  key: 'auth' | 'redirects' | 'rewrites' | 'vhosts',
  entry: (a: string, b: string) => object,
): Flag {
  return {
    name,
    value,
    help,
    repeatable: true,
    apply: (o: Draft, v) => {
      const [a, b] = pair(name, v);
      ((o[key] ??= []) as object[]).push(entry(a, b));
    },
  };
}

export const middlewareFlags: readonly Flag[] = [
  pairs(
    '--auth',
    'PREFIX=FILE',
    'ask for a password under PREFIX, users from an htpasswd FILE (htpasswd -B, -m or -s)',
    'auth',
    (prefix, file) => ({
      prefix,
      file,
    }),
  ),

  {
    name: '--auth-realm',
    value: 'TEXT',
    help: 'the realm the browser names when it asks for a password (default Restricted)',
    apply: (o: Draft, v) => void (o.authRealm = v),
  },
  {
    name: '--cors',
    value: 'ORIGIN',
    help: 'let pages from ORIGIN (https://app.example.com, https://*.example.com) call this server; * for any',
    repeatable: true,
    apply: (o: Draft, v) => {
      const cors = corsOf(o);
      const all = v === '*';
      if (all ? cors.origins.length > 0 : cors.origins === '*') throw new CliError('--cors: "*" allows every origin; give it alone');
      if (all) cors.origins = '*';
      else (cors.origins as string[]).push(v);
    },
  },
  {
    name: '--cors-credentials',
    help: 'let those pages send cookies and credentials (named origins only)',
    apply: (o: Draft) => void (corsOf(o).credentials = true),
  },
  {
    name: '--rate-limit',
    value: 'RATE',
    help: 'requests per client address: 100/s, 600/m or 5000/h, with ,burst=N (default: the rate) and ,clients=N',
    apply: (o: Draft, v) => void (o.rateLimit = v),
  },
  pairs(
    '--redirect',
    'FROM=TO',
    'redirect paths matching the regular expression FROM to TO ($1... for its groups)',
    'redirects',
    (from, to) => ({
      from,
      to,
    }),
  ),

  {
    name: '--redirect-status',
    value: 'CODE',
    help: 'the status of the --redirect rules: 301, 302 (default), 303, 307 or 308',
    apply: (o: Draft, v) => void (o.redirectStatus = integer('--redirect-status', v, 300, 399)),
  },
  pairs(
    '--rewrite',
    'REGEX=REPLACEMENT',
    'serve paths matching REGEX as REPLACEMENT ($1... for its groups), before routing, once',
    'rewrites',
    (from, to) => ({
      from,
      to,
    }),
  ),

  {
    name: '--spa',
    help: 'a single-page application: navigations to paths with no file get the root index.html',
    apply: (o: Draft) => void ((o.static ??= {}).spa = true),
  },
  pairs(
    '--vhost',
    'HOST=DIR',
    'serve DIR as the document root for HOST (example.com, *.example.com); --root serves the rest',
    'vhosts',
    (host, root) => ({
      host,
      root,
    }),
  ),

  {
    name: '--security-headers',
    help: 'send X-Content-Type-Options, Referrer-Policy, X-Frame-Options, and HSTS on TLS interfaces',
    apply: (o: Draft) => void (o.securityHeaders = true),
  },
];

/** Folds the flags that qualify others (--auth-realm, --redirect-status) into the options they qualify. */
export function withMiddlewareFlags(options: OptionsDraft): OptionsDraft {
  const { authRealm, redirectStatus, ...rest } = options as Draft & { authRealm?: string; redirectStatus?: RedirectStatus };
  const o = rest as Draft;
  if (authRealm !== undefined) {
    if (!o.auth) throw new CliError('--auth-realm names the realm of --auth: give --auth too');
    o.auth = o.auth.map((a) => ({ ...a, realm: authRealm }));
  }
  if (redirectStatus !== undefined) {
    if (!o.redirects) throw new CliError('--redirect-status is the status of --redirect: give --redirect too');
    o.redirects = o.redirects.map((r) => ({ ...r, status: redirectStatus }));
  }
  const cors = o.cors as CorsDraft | undefined;
  if (cors && cors.origins !== '*' && cors.origins.length === 0) throw new CliError('--cors-credentials needs --cors ORIGIN');
  return o;
}
