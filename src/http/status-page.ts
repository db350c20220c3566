/**
 * The status page: the server's figures as HTML for people (it refreshes
 * itself every two seconds from the JSON form, and with a meta refresh when
 * scripts are off) and as JSON for machines. Pure: a snapshot in, text out;
 * every value is escaped.
 */
import { escapeHtml } from './html.js';
import type { StatusSnapshot } from './counters.js';

const ms = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1));

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function duration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d ? `${d}d ` : ''}${h ? `${h}h ` : ''}${m ? `${m}m ` : ''}${s % 60}s`;
}

/** The rows of the page: [label, value, id for live updates]. */
export function statusRows(s: StatusSnapshot): [string, string, string][] {
  const rows: [string, string, string][] = [
    ['Process', String(s.pid), 'pid'],
    ['Uptime', duration(s.uptime), 'uptime'],
    ['Open connections', String(s.connections.open), 'connections-open'],
    ['Connections served', String(s.connections.total), 'connections-total'],
    ['Connections refused', String(s.connections.refused), 'connections-refused'],
    ['Requests', String(s.requests.total), 'requests-total'],
    ['Requests per second (last 10 s)', s.requests.perSecond.toFixed(1), 'requests-rate'],
    ['1xx / 2xx / 3xx', `${s.requests.byClass['1xx']} / ${s.requests.byClass['2xx']} / ${s.requests.byClass['3xx']}`, 'requests-ok'],
    ['4xx / 5xx', `${s.requests.byClass['4xx']} / ${s.requests.byClass['5xx']}`, 'requests-errors'],
    ['Responses cut short', String(s.requests.cutShort), 'cut-short'],
    ['Errors', String(s.errors), 'errors'],
    ['Bytes sent', bytes(s.bytes.sent), 'bytes-sent'],
    [
      'Request time mean / p50 / p90 / p99 / max (ms)',
      [s.time.mean, s.time.p50, s.time.p90, s.time.p99, s.time.max].map(ms).join(' / '),
      'time',
    ],
  ];
  for (const [name, value] of Object.entries(s.gauges)) {
    if (typeof value === 'number') rows.push([name, String(value), `gauge-${name}`]);
    else for (const [k, v] of Object.entries(value)) rows.push([`${name}: ${k}`, String(v), `gauge-${name}-${k}`]);
  }
  return rows;
}

export function statusJson(s: StatusSnapshot): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}

export function statusHtml(s: StatusSnapshot, jsonUrl: string, serverName = 'boxwire'): string {
  const rows = statusRows(s)
    .map(([label, value, id]) => `<tr><th scope="row">${escapeHtml(label)}</th><td id="${escapeHtml(id)}">${escapeHtml(value)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(serverName)} status</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; }
table { border-collapse: collapse; min-width: 32em; }
th, td { padding: .35em .8em; border-bottom: 1px solid #ddd; text-align: left; }
td { font-variant-numeric: tabular-nums; text-align: right; }
#updated { color: #777; font-size: .85em; }
</style>
</head>
<body>
<h1>${escapeHtml(serverName)} status</h1>
<table id="figures">
${rows}
</table>
<p id="updated">Figures as of page load; they refresh every 2 s. <a href="${escapeHtml(jsonUrl)}">JSON</a></p>
<script>
const url = ${JSON.stringify(jsonUrl).replace(/</g, '\\u003c')};
async function refresh() {
  try {
    const s = await (await fetch(url, { cache: 'no-store' })).json();
    const rows = ${statusRowsSource()}(s);
    const table = document.getElementById('figures');
    for (const [label, value, id] of rows) {
      let cell = document.getElementById(id);
      if (!cell) {
        const tr = table.insertRow();
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = label;
        tr.appendChild(th);
        cell = tr.insertCell();
        cell.id = id;
      }
      cell.textContent = value;
    }
    document.getElementById('updated').firstChild.textContent = 'Updated ' + new Date().toLocaleTimeString() + '. ';
  } catch {}
}
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
}

/** The same row-making code, for the page's script (one source of truth for labels and formats). */
function statusRowsSource(): string {
  return `(function () { const ms = ${ms.toString()}; const bytes = ${bytes.toString()}; const duration = ${duration.toString()}; return ${statusRows.toString()}; })()`;
}
