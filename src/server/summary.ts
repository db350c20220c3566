/**
 * What a server serves where, in a few lines: what the command prints once
 * it listens (the mounts in the order the router tries them, then every
 * address), so that a user sees at a glance what is exposed, and nothing
 * they did not ask for. Pure: resolved options and URLs in, lines out.
 */
import type { ResolvedOptions } from './options.js';

/** The lines: a title, one line per mount (path, then what answers there), and the addresses. */
export function describeServer(o: ResolvedOptions, urls: readonly string[], title = 'boxwire serves'): string[] {
  const mounts: [string, string][] = [];
  if (o.status) mounts.push([o.status, 'the status page (JSON with ?format=json)']);
  if (o.healthz) mounts.push([o.healthz, 'health checks']);
  for (const route of o.routes) {
    const methods = route.methods ? ` (${route.methods.join(', ')})` : '';
    mounts.push([route.path, `${route.name ?? 'a route of your own'}${methods}`]);
  }
  for (const m of o.cgi.mappings) {
    mounts.push([`${m.mount}/`, m.kind === 'directory' ? `CGI scripts in ${m.path}` : `the CGI program ${m.path}`]);
  }
  const apps: { position: number; line: [string, string] }[] = o.wsgi.map((app, i) => ({
    position: i,
    line: [
      `${app.prefix}/`,
      `${app.interface === 'fetch' ? 'the fetch-style' : 'the'} application ${app.module}${app.export ? `#${app.export}` : ''}`,
    ],
  }));
  for (const app of o.python.apps) {
    apps.push({ position: app.position, line: [`${app.prefix}/`, `the Python application ${app.callable} (in ${app.cwd})`] });
  }
  for (const app of apps.sort((a, b) => a.position - b.position)) mounts.push(app.line);
  if (o.root !== false) {
    const n = o.static.index.length;
    const index = n > 0 ? `index file${n === 1 ? '' : 's'} ${o.static.index.join(', ')}` : 'no index files';
    mounts.push(['/', `files in ${o.root} (${index}${o.static.listing ? ', directory listings' : ''})`]);
  }
  const lines = [`${title}:`];
  if (mounts.length === 0) lines.push('  nothing: no document root, routes, CGI or applications (every request gets 404)');
  const width = Math.min(24, Math.max(0, ...mounts.map(([path]) => path.length)));
  for (const [path, what] of mounts) lines.push(`  ${path.padEnd(width)}  ${what}`);
  if (o.wsgi.length > 0) {
    const { minThreads, maxThreads } = o.pool;
    lines.push(`  (JavaScript applications on ${minThreads} threads${maxThreads === 0 ? ' and more as needed' : `, up to ${maxThreads}`})`);
  }
  if (o.python.apps.length > 0) {
    const { processes, threads } = o.python;
    lines.push(
      `  (Python applications on ${processes} process${processes === 1 ? '' : 'es'} each, ${threads} thread${threads === 1 ? '' : 's'} a process)`,
    );
  }
  lines.push(`listening on ${urls.join(', ')}`);
  return lines;
}
