/**
 * The command-line flags of the reverse proxy and of trusted proxies:
 * `--proxy PREFIX=URL[,URL...]` (repeatable) passes a prefix on to upstream
 * servers; the `--proxy-*` flags set how, for every `--proxy`;
 * `--trust-proxy CIDR` (repeatable; `loopback`) names the proxies in front
 * whose forwarding fields are believed. `resolveOptions` checks the result
 * as it checks options given in code.
 */
import { CliError, pair, seconds, type Flag, type OptionsDraft } from './args.js';
import type { ProxyOptions } from '../../components/proxy/options.js';

interface ProxyDraft {
  proxy?: (string | ProxyOptions)[];
  /** What the --proxy-* flags say, for every --proxy. */
  proxyDefaults?: { -readonly [K in Exclude<keyof ProxyOptions, 'prefix' | 'to'>]?: ProxyOptions[K] };
  trustProxy?: string[] | { addresses: string[]; header?: 'x-forwarded-for' | 'forwarded' };
}

const draft = (o: OptionsDraft): ProxyDraft => o as ProxyDraft;
const defaults = (o: OptionsDraft): NonNullable<ProxyDraft['proxyDefaults']> => (draft(o).proxyDefaults ??= {});

export const proxyFlags: readonly Flag[] = [
  {
    name: '--proxy',
    value: 'PREFIX=URL[,URL...]',
    repeatable: true,
    help: 'pass requests under PREFIX on to upstream HTTP servers (http://host:port/base or unix:/path), balanced',
    apply: (o, v) => {
      const [prefix, to] = pair('--proxy', v);
      (draft(o).proxy ??= []).push({ prefix, to: to.split(',') });
    },
  },
  {
    name: '--proxy-host',
    value: 'pass|upstream|HOST',
    help: "Host sent upstream: the client's (pass, the default), the upstream URL's, or HOST",
    apply: (o, v) => void (defaults(o).host = v === 'pass' || v === 'upstream' ? v : { value: v }),
  },
  {
    name: '--proxy-keep-prefix',
    help: 'keep the prefix in the path sent upstream (by default the URL path replaces it)',
    apply: (o) => void (defaults(o).keepPrefix = true),
  },
  {
    name: '--proxy-balance',
    value: 'round-robin|least-in-flight',
    help: 'how requests are spread over the upstreams (default round-robin)',
    apply: (o, v) => {
      if (v !== 'round-robin' && v !== 'least-in-flight')
        throw new CliError(`--proxy-balance takes round-robin or least-in-flight, not "${v}"`);
      defaults(o).balance = v;
    },
  },
  {
    name: '--proxy-health-check',
    value: 'PATH[,SECONDS]',
    help: 'GET PATH on every upstream every SECONDS (default 5); a 2xx or 3xx marks it up',
    apply: (o, v) => {
      const [path, every] = v.split(',');
      defaults(o).healthCheck = { path: path!, ...(every !== undefined ? { interval: seconds('--proxy-health-check', every) } : {}) };
    },
  },
  {
    name: '--proxy-timeout',
    value: 'NAME=SECONDS',
    repeatable: true,
    help: 'connect, response (to the head), idle (between body bytes), keepAlive or down (default 5, 60, 60, 4, 10)',
    apply: (o, v) => {
      const [name, value] = pair('--proxy-timeout', v);
      defaults(o).timeouts = { ...defaults(o).timeouts, [name]: seconds(`--proxy-timeout ${name}`, value) };
    },
  },
  {
    name: '--trust-proxy',
    value: 'CIDR',
    repeatable: true,
    help: 'believe the forwarding fields of proxies in this range (10.0.0.0/8, ::1, loopback): they name the client',
    apply: (o, v) => {
      const trust = (draft(o).trustProxy ??= []);
      (Array.isArray(trust) ? trust : trust.addresses).push(v);
    },
  },
  {
    name: '--trust-proxy-header',
    value: 'x-forwarded-for|forwarded',
    help: 'the field the trusted proxies set (default x-forwarded-for, with X-Forwarded-Proto)',
    apply: (o, v) => {
      if (v !== 'x-forwarded-for' && v !== 'forwarded')
        throw new CliError(`--trust-proxy-header takes x-forwarded-for or forwarded, not "${v}"`);
      const trust = draft(o).trustProxy;
      draft(o).trustProxy = { addresses: Array.isArray(trust) ? trust : (trust?.addresses ?? []), header: v };
    },
  },
];

/** Puts what the --proxy-* flags say into every --proxy entry; options without them pass through. */
export function withProxyDefaults(options: OptionsDraft): OptionsDraft {
  const { proxyDefaults, ...rest } = options as OptionsDraft & ProxyDraft;
  if (!proxyDefaults) return rest as OptionsDraft;
  const entries = (rest as ProxyDraft).proxy;
  if (!entries?.length) throw new CliError('the --proxy-* flags need a --proxy to apply to');
  return { ...rest, proxy: entries.map((entry) => (typeof entry === 'string' ? entry : { ...proxyDefaults, ...entry })) } as OptionsDraft;
}
