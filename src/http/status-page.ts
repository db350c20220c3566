/**
 * The status page: the running server drawn as SVG by the page itself (the
 * server-wide components, and the per-connection graph's children and
 * links with live figures) and plots of the last ten minutes, refreshed
 * once a second from the feed. Nothing is fetched from anywhere else: no
 * CDN, no font, no library. Pure: a feed in, text out; every value is
 * escaped.
 *
 * The drawing functions below run twice: here, to write the page as it is
 * at load (so it reads with scripts off, refreshed by a meta refresh), and
 * in the browser, which is sent their source (`Function.prototype.toString`)
 * and redraws with them at each refresh: one source for both. So each
 * uses only its arguments, its own locals and the other drawing functions.
 */
import type { StatusSnapshot } from './counters.js';
import type { ChildView, GraphView, StatusFeed } from './graph-view.js';
import type { HistoryView } from './history.js';

export function statusJson(s: StatusSnapshot): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}

// ---- The drawing functions (sent to the browser as they are: see above). ----

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A figure in few characters: 0.42, 3.1, 27, 1.2k, 3.4M. */
function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

function duration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d ? `${d}d ` : ''}${h ? `${h}h ` : ''}${m ? `${m}m ` : ''}${s % 60}s`;
}

/** The headline figures. */
function summaryHtml(view: GraphView): string {
  const s = view.server;
  const open = view.nodes.filter((n) => n.kind === 'interface').reduce((t, n) => t + (n.figures.open ?? 0), 0);
  const cells: [string, string, string][] = [
    ['requests', num(s.requests), 'requests'],
    ['requests/s', num(s.requestsPerSecond), 'rps'],
    ['open connections', num(open), 'open'],
    ['graphs alive', num(view.connection.alive), 'alive'],
    ['CPU', `${Math.round(s.cpu * 100)}%`, 'cpu'],
    ['memory', bytes(s.rss), 'rss'],
    ['loop delay p99', `${num(s.loopDelay)} ms`, 'loop'],
    ['open fds', num(s.fds), 'fds'],
    ['uptime', duration(s.uptime), 'uptime'],
  ];
  const workers = view.workers
    ? ` · ${view.workers.length} workers (${view.workers.map((w) => esc(w.pid)).join(', ')})`
    : ` · pid ${esc(s.pid)}`;
  return `<dl class="summary">${cells
    .map(([label, value, id]) => `<div><dt>${esc(label)}</dt><dd data-figure="server.${id}">${esc(value)}</dd></div>`)
    .join('')}</dl><p class="muted">${esc(s.name)}${workers} · as of ${esc(new Date(s.time).toISOString().slice(11, 19))} UTC</p>`;
}

/** A box of the picture: a name, what it is, and a line or two of figures. */
function nodeSvg(
  id: string,
  x: number,
  y: number,
  w: number,
  h: number,
  title: string,
  subtitle: string,
  lines: string[],
  tip: string,
): string {
  const text = lines
    .map((line, i) => `<text class="fig" x="${x + 10}" y="${y + 50 + i * 15}" data-figure="${esc(id)}.${i}">${esc(line)}</text>`)
    .join('');
  return (
    `<g class="node" data-node="${esc(id)}"><title>${esc(tip)}</title>` +
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="8"/>` +
    `<text class="name" x="${x + 10}" y="${y + 19}">${esc(title)}</text>` +
    `<text class="role" x="${x + 10}" y="${y + 34}">${esc(subtitle)}</text>${text}</g>`
  );
}

/** The server-wide components: interfaces, the TCP server, the connections, the logger and every registered gauge, in layers. */
function serverSvg(view: GraphView): string {
  const w = 250;
  const h = 78;
  const gapX = 18;
  const gapY = 44;
  // Interfaces, then the TCP server, then the connections, then what they use: the logger and every gauge.
  const layers = [
    view.nodes.filter((n) => n.kind === 'interface'),
    view.nodes.filter((n) => n.id === 'tcp'),
    view.nodes.filter((n) => n.id === 'connections'),
    view.nodes.filter((n) => n.kind !== 'interface' && n.id !== 'tcp' && n.id !== 'connections'),
  ].filter((l) => l.length > 0);
  const width = Math.max(...layers.map((l) => l.length * (w + gapX) - gapX)) + 20;
  const place = new Map<string, { x: number; y: number }>();
  let out = '';
  layers.forEach((layer, li) => {
    const total = layer.length * (w + gapX) - gapX;
    layer.forEach((node, i) => {
      let n = node;
      const x = 10 + (width - 20 - total) / 2 + i * (w + gapX);
      const y = 10 + li * (h + gapY);
      place.set(n.id, { x, y });
      const f = n.figures;
      const lines = Object.keys(f)
        .filter((k) => !(k === 'failed' && f[k] === 0))
        .map((k) => `${k.replace(/PerSecond$/, '/s')} ${num(f[k]!)}`);
      const rows = [lines.slice(0, 3).join(' · '), lines.slice(3, 6).join(' · ')].filter((l) => l !== '');
      if (n.role.length > 40) n = { ...n, role: `${n.role.slice(0, 38)}…` };
      const tip = `${n.name}: ${n.role}\n${Object.entries(f)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')}`;
      out += nodeSvg(
        n.id,
        x,
        y,
        w,
        h,
        n.name,
        n.kind === 'component' || n.kind === 'connections' ? n.role : `${n.kind}: ${n.role}`,
        rows,
        tip,
      );
    });
  });
  let edges = '';
  for (const link of view.links) {
    const a = place.get(link.from);
    const b = place.get(link.to);
    if (!a || !b) continue;
    const x1 = a.x + w / 2;
    const y1 = a.y + h;
    const x2 = b.x + w / 2;
    const y2 = b.y;
    const label = link.rate === undefined ? link.label : `${link.label} ${num(link.rate)}/s`;
    edges +=
      `<g class="link" data-link="${esc(`${link.from}->${link.to}`)}"><title>${esc(`${link.from} → ${link.to}: ${link.label}`)}</title>` +
      `<path d="M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2 - 4}" marker-end="url(#arrow)"/>` +
      `<text x="${(x1 + x2) / 2 + 6}" y="${(y1 + y2) / 2 + 4}">${esc(label)}</text></g>`;
  }
  const height = layers.length * (h + gapY) - gapY + 20;
  return svgFrame('server-graph', width, height, 'The server-wide components', edges + out);
}

function svgFrame(id: string, width: number, height: number, label: string, body: string): string {
  return (
    // No wider than 1.25 times its own size: a small graph is not blown up to the page's width.
    `<svg id="${id}" class="graph" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" style="max-width:${Math.ceil(width * 1.25)}px" role="img" aria-label="${esc(label)}">` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
    '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>' +
    `${body}</svg>`
  );
}

/**
 * The per-connection graph: the socket on top, the children in the plan's
 * order below it, the server's log at the bottom; a link between neighbours
 * runs straight down, a longer one arcs on the right (downstream) or on the
 * left (back up), each in a lane of its own, labelled with its rate.
 */
function connectionSvg(view: GraphView): string {
  const c = view.connection;
  const w = 340;
  const h = 72;
  const gap = 30;
  const figureLines = (child: ChildView): string[] => {
    const rateIn = child.boxes.filter((b) => b.direction === 'in' && b.name !== 'control').reduce((t, b) => t + b.rate, 0);
    // A last word on `signal` that nothing hears (the graph's last child's) is no loss: not shown.
    const dropped = child.boxes.reduce((t, b) => t + (b.name === 'signal' ? 0 : b.dropped), 0);
    const held = child.boxes.reduce((t, b) => t + b.held, 0);
    const first = `live ${num(child.live)} · in ${num(rateIn)}/s${child.failed > 0 ? ` · failed ${num(child.failed)}` : ''}`;
    const second = [dropped > 0 ? `dropped ${num(dropped)}` : '', held > 0 ? `held ${num(held)}` : ''].filter((x) => x).join(' · ');
    return second ? [first, second] : [first];
  };
  const tipOf = (child: ChildView): string =>
    `${child.name} (${child.className || 'not counted'}): ${child.role}\n${child.boxes
      .map((b) => `${b.direction === 'in' ? '→' : '←'} ${b.name}: ${b.sent} (${num(b.rate)}/s)${b.dropped ? `, ${b.dropped} dropped` : ''}`)
      .join('\n')}`;
  const socket = c.socket;
  const connections = view.nodes.find((n) => n.id === 'connections');
  const logger = view.nodes.find((n) => n.id === 'logger');
  const rows: { id: string; title: string; subtitle: string; lines: string[]; tip: string }[] = [
    {
      id: 'self',
      title: 'socket',
      subtitle: `${socket ? 'TcpConnection · ' : ''}the connection's bytes, both ways`,
      lines: [
        `open ${num(socket ? socket.live : 0)} · graphs ${num(c.alive)}`,
        `paused ${num(connections?.figures.paused ?? 0)} · write-blocked ${num(connections?.figures.blocked ?? 0)}`,
      ],
      tip: socket ? tipOf(socket) : 'socket',
    },
    ...c.children.map((child) => ({
      id: child.name,
      title: child.name,
      subtitle: `${child.className ? `${child.className} · ` : ''}${child.role}`,
      lines: figureLines(child),
      tip: tipOf(child),
    })),
    {
      id: 'log',
      title: 'server log',
      subtitle: 'Logger: the channels',
      lines: [`records ${num(logger?.figures.recordsPerSecond ?? 0)}/s`],
      tip: 'log records from every connection, to the server, errors, requests and monitor channels',
    },
  ];
  const at = new Map(rows.map((r, i) => [r.id, i]));
  const rowOf = (ref: string): number => {
    const dot = ref.indexOf('.');
    const owner = ref.slice(0, dot);
    if (owner === 'self') return ref === 'self.log' ? rows.length - 1 : 0;
    return at.get(owner) ?? 0;
  };
  const top = (i: number) => 10 + i * (h + gap);
  const lifecycle = (ref: string) => /\.(signal|control)$/.test(ref);
  // Room on the left for the links that run back up, each in its lane.
  const back = c.links.filter((l) => rowOf(l.to) < rowOf(l.from)).length;
  const x0 = 40 + back * 12 * 1.4;
  let right = 0;
  let left = 0;
  const pairs = new Map<string, number>();
  let edges = '';
  for (const link of c.links) {
    const a = rowOf(link.from);
    const b = rowOf(link.to);
    if (a === b) continue;
    const cls = lifecycle(link.from) ? 'link lifecycle' : 'link';
    const label = lifecycle(link.from) ? '' : `${num(link.rate)}/s`;
    const tip = `${link.from} → ${link.to}: ${link.sent} messages, ${num(link.rate)}/s`;
    let d: string;
    let tx: number;
    let ty: number;
    let anchor = 'start';
    if (b === a + 1) {
      const key = `${a}:${b}`;
      const k = pairs.get(key) ?? 0;
      pairs.set(key, k + 1);
      const x = x0 + w / 2 - 40 + k * 22;
      d = `M${x},${top(a) + h} L${x},${top(b) - 3}`;
      tx = x + 5;
      ty = top(a) + h + gap / 2 + 4;
    } else if (b > a) {
      const lane = 20 + right++ * 12;
      const y1 = top(a) + h / 2 + 8;
      const y2 = top(b) + h / 2 - 8;
      const x = x0 + w;
      d = `M${x},${y1} C${x + lane * 1.4},${y1} ${x + lane * 1.4},${y2} ${x + 3},${y2}`;
      tx = x + lane * 1.05 + 3;
      ty = (y1 + y2) / 2 + 4;
    } else {
      const lane = 20 + left++ * 12;
      const y1 = top(a) + h / 2 - 8;
      const y2 = top(b) + h / 2 + 8;
      d = `M${x0},${y1} C${x0 - lane * 1.4},${y1} ${x0 - lane * 1.4},${y2} ${x0 - 3},${y2}`;
      tx = x0 - lane * 1.05 - 3;
      ty = (y1 + y2) / 2 + 4;
      anchor = 'end';
    }
    edges +=
      `<g class="${cls}" data-link="${esc(`${link.from}->${link.to}`)}" data-rate="${esc(link.rate)}"><title>${esc(tip)}</title>` +
      `<path d="${d}" marker-end="url(#arrow)"/>` +
      (label ? `<text x="${tx}" y="${ty}" text-anchor="${anchor}">${esc(label)}</text>` : '') +
      '</g>';
  }
  const nodes = rows.map((r, i) => nodeSvg(r.id, x0, top(i), w, h, r.title, r.subtitle, r.lines, r.tip)).join('');
  const width = x0 + w + 40 + right * 12 * 1.4 + 30;
  return svgFrame('connection-graph', width, top(rows.length) - gap + 10, `The per-connection graph: ${c.name}`, edges + nodes);
}

/**
 * A small line plot of some history columns over the last ten minutes:
 * `series` are [column, label, class]; `format` writes a value for the
 * axis and the legend.
 */
function plotSvg(
  id: string,
  title: string,
  history: HistoryView,
  series: [string, string, string][],
  format: (n: number) => string,
): string {
  const w = 320;
  const h = 110;
  const left = 58;
  const bottom = 16;
  const rows = history.rows;
  const now = rows.length > 0 ? rows[rows.length - 1]![0]! : Date.now();
  // Ten minutes once there are; until then the time there is, a minute at least.
  const span = Math.min(600_000, Math.max(60_000, rows.length > 0 ? now - rows[0]![0]! : 0));
  const from = now - span;
  const column = (name: string) => history.columns.indexOf(name as never) + 1;
  let max = 0;
  for (const [name] of series) for (const r of rows) max = Math.max(max, r[column(name)]!);
  // The axis's top: the next 1, 2 or 5 times a power of ten above the highest value.
  const power = 10 ** Math.floor(Math.log10(max > 0 ? max : 1));
  const top = [1, 2, 5, 10].map((m) => m * power).find((v) => v >= max) ?? power * 10;
  const x = (t: number) => left + ((t - from) / span) * (w - left - 4);
  const y = (v: number) => 4 + (1 - v / top) * (h - bottom - 8);
  let lines = '';
  let legend = '';
  for (const [name, label, cls] of series) {
    const c = column(name);
    const points = rows.filter((r) => r[0]! >= from).map((r) => `${x(r[0]!).toFixed(1)},${y(r[c]!).toFixed(1)}`);
    lines += `<polyline class="${cls}" data-series="${esc(name)}" data-points="${points.length}" points="${points.join(' ')}"/>`;
    const last = rows.length > 0 ? rows[rows.length - 1]![c]! : 0;
    legend += `<span class="key ${cls}" data-figure="${esc(id)}.${esc(name)}">${esc(label)} ${esc(format(last))}</span>`;
  }
  const grid =
    `<line class="axis" x1="${left}" y1="${y(0)}" x2="${w - 4}" y2="${y(0)}"/>` +
    `<line class="grid" x1="${left}" y1="${y(top)}" x2="${w - 4}" y2="${y(top)}"/>` +
    `<line class="grid" x1="${left}" y1="${y(top / 2)}" x2="${w - 4}" y2="${y(top / 2)}"/>` +
    `<text class="tick" x="${left - 4}" y="${y(top) + 4}" text-anchor="end">${esc(format(top))}</text>` +
    `<text class="tick" x="${left - 4}" y="${y(top / 2) + 4}" text-anchor="end">${esc(format(top / 2))}</text>` +
    `<text class="tick" x="${left - 4}" y="${y(0) + 4}" text-anchor="end">0</text>` +
    `<text class="tick" x="${left}" y="${h - 2}">−${span >= 120_000 ? `${Math.round(span / 60_000)} min` : `${Math.round(span / 1000)} s`}</text>` +
    `<text class="tick" x="${w - 4}" y="${h - 2}" text-anchor="end">now</text>`;
  return (
    `<figure class="plot" data-plot="${esc(id)}"><figcaption>${esc(title)}</figcaption>` +
    `<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(title)}">${grid}${lines}</svg>` +
    `<div class="legend">${legend}</div></figure>`
  );
}

function plotsHtml(history: HistoryView): string {
  const perSecond = (n: number) => `${num(n)}/s`;
  return [
    plotSvg(
      'requests',
      'Requests per second, by status class',
      history,
      [
        ['2xx', '2xx', 's1'],
        ['3xx', '3xx', 's2'],
        ['4xx', '4xx', 's3'],
        ['5xx', '5xx', 's4'],
        ['1xx', '1xx', 's5'],
      ],
      perSecond,
    ),
    plotSvg(
      'latency',
      'Latency (ms)',
      history,
      [
        ['p50', 'p50', 's1'],
        ['p90', 'p90', 's2'],
        ['p99', 'p99', 's4'],
      ],
      (n) => `${num(n)} ms`,
    ),
    plotSvg('bytes', 'Bytes sent per second', history, [['bytes', 'sent', 's1']], (n) => `${bytes(n)}/s`),
    plotSvg('open', 'Open connections', history, [['open', 'open', 's1']], num),
    plotSvg(
      'pools',
      'Pools: threads and processes, CGI',
      history,
      [
        ['busy', 'busy', 's4'],
        ['idle', 'idle', 's1'],
        ['queued', 'queued', 's3'],
        ['cgiRunning', 'CGI running', 's2'],
        ['cgiQueued', 'CGI queued', 's5'],
      ],
      num,
    ),
  ].join('');
}

/** The classes table: every component class the runtime counts. */
function componentsHtml(view: GraphView): string {
  const rows = view.components
    .map((c) => {
      const sent = c.boxes.reduce((t, b) => t + b.sent, 0);
      const rate = c.boxes.reduce((t, b) => t + b.rate, 0);
      const dropped = c.boxes.reduce((t, b) => t + b.dropped, 0);
      return `<tr data-class="${esc(c.className)}"><th scope="row">${esc(c.className)}</th><td>${num(c.live)}</td><td>${num(c.started)}</td><td>${num(c.failed)}</td><td>${num(sent)}</td><td>${num(rate)}</td><td>${num(dropped)}</td></tr>`;
    })
    .join('');
  return `<table class="classes"><thead><tr><th scope="col">class</th><th scope="col">live</th><th scope="col">started</th><th scope="col">failed</th><th scope="col">messages</th><th scope="col">msg/s</th><th scope="col">dropped</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Everything the page shows, from a view and the history it has. */
function statusBody(view: GraphView, history: HistoryView): string {
  return (
    `<section id="summary">${summaryHtml(view)}</section>` +
    `<section><h2>Last 10 minutes</h2><div class="plots">${plotsHtml(history)}</div></section>` +
    `<section><h2>Server</h2>${serverSvg(view)}</section>` +
    `<section><h2>Each connection: ${esc(view.connection.name)}</h2>${connectionSvg(view)}</section>` +
    `<section><h2>Component classes</h2><div class="scroll">${componentsHtml(view)}</div></section>`
  );
}

// ---- The page. ----

const drawing = [
  esc,
  num,
  bytes,
  duration,
  summaryHtml,
  nodeSvg,
  serverSvg,
  svgFrame,
  connectionSvg,
  plotSvg,
  plotsHtml,
  componentsHtml,
  statusBody,
];

/** The page's script: the drawing functions, and a loop that asks for the feed each second and redraws. */
function pageScript(feedUrl: string): string {
  return `
${drawing.map((f) => f.toString()).join('\n')}
(function () {
  const url = ${JSON.stringify(feedUrl).replace(/</g, '\\u003c')};
  const state = JSON.parse(document.getElementById('initial').textContent);
  let view = state.view;
  let history = state.history;
  const main = document.getElementById('status');
  const note = document.getElementById('updated');
  async function refresh() {
    const last = history.rows.length ? history.rows[history.rows.length - 1][0] : 0;
    try {
      const response = await fetch(url + '&since=' + last, { cache: 'no-store' });
      const feed = await response.json();
      view = feed.view;
      const rows = history.rows.concat(feed.history.rows);
      const from = (rows.length ? rows[rows.length - 1][0] : 0) - 600000;
      history = { interval: feed.history.interval, columns: feed.history.columns, rows: rows.filter((r) => r[0] > from) };
      main.innerHTML = statusBody(view, history);
      note.textContent = 'Live: updated ' + new Date().toLocaleTimeString() + '.';
      note.className = 'live';
    } catch (error) {
      note.textContent = 'Not updating: ' + error.message;
      note.className = 'stale';
    }
    setTimeout(refresh, 1000);
  }
  setTimeout(refresh, 1000);
})();
`;
}

const style = `
:root { color-scheme: light dark; --bg: #fbfbfa; --fg: #1d1f21; --muted: #6a6f75; --line: #c9ccd1; --node: #ffffff; --edge: #8a9099;
  --s1: #2f7ed8; --s2: #8e44ad; --s3: #e08a00; --s4: #d0342c; --s5: #2a9d8f; }
@media (prefers-color-scheme: dark) { :root { --bg: #15171a; --fg: #e4e6e8; --muted: #9aa1a9; --line: #3a3f45; --node: #1f2226; --edge: #7d858f;
  --s1: #5aa9ff; --s2: #c08bff; --s3: #ffb347; --s4: #ff6b61; --s5: #4fd1c1; } }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 1em; max-width: 1100px; background: var(--bg); color: var(--fg); }
h1 { font-size: 1.35em; margin: .2em 0; } h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }
.muted, #updated { color: var(--muted); font-size: .85em; } .stale { color: var(--s4); }
.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(9em, 1fr)); gap: .4em; margin: .6em 0; }
.summary div { border: 1px solid var(--line); border-radius: 8px; padding: .3em .6em; background: var(--node); }
dt { color: var(--muted); font-size: .78em; } dd { margin: 0; font-size: 1.15em; font-variant-numeric: tabular-nums; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: .8em; }
.plot { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: .4em .6em; background: var(--node); }
figcaption { font-size: .85em; font-weight: 600; } .plot svg { width: 100%; height: auto; display: block; }
.plot polyline { fill: none; stroke-width: 1.6; stroke-linejoin: round; }
.axis { stroke: var(--line); } .grid { stroke: var(--line); stroke-dasharray: 3 3; } .tick { fill: var(--muted); font-size: 10px; }
.legend { font-size: .78em; display: flex; flex-wrap: wrap; gap: .2em .8em; font-variant-numeric: tabular-nums; }
.key::before { content: ''; display: inline-block; width: .8em; height: .25em; margin-right: .3em; vertical-align: middle; background: currentColor; }
polyline.s1 { stroke: var(--s1); } polyline.s2 { stroke: var(--s2); } polyline.s3 { stroke: var(--s3); } polyline.s4 { stroke: var(--s4); } polyline.s5 { stroke: var(--s5); }
.key.s1 { color: var(--s1); } .key.s2 { color: var(--s2); } .key.s3 { color: var(--s3); } .key.s4 { color: var(--s4); } .key.s5 { color: var(--s5); }
svg.graph { width: 100%; height: auto; display: block; }
.node rect { fill: var(--node); stroke: var(--line); stroke-width: 1.2; }
.node .name { fill: var(--fg); font-weight: 600; font-size: 15px; } .node .role { fill: var(--muted); font-size: 11.5px; }
.node .fig { fill: var(--fg); font-size: 13px; font-variant-numeric: tabular-nums; }
.link path { fill: none; stroke: var(--edge); stroke-width: 1.4; } .link text { fill: var(--muted); font-size: 10.5px; }
.link.lifecycle path { stroke-dasharray: 4 3; opacity: .6; } .arrowhead { fill: var(--edge); }
.scroll { overflow-x: auto; } table { border-collapse: collapse; font-size: .85em; }
th, td { padding: .25em .6em; border-bottom: 1px solid var(--line); text-align: right; font-variant-numeric: tabular-nums; } th[scope=row], thead th:first-child { text-align: left; }
`;

export function statusHtml(feed: StatusFeed, feedUrl: string, serverName = 'boxwire'): string {
  const initial = JSON.stringify(feed).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(serverName)} status</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>${style}</style>
</head>
<body>
<h1>${esc(serverName)} status</h1>
<p id="updated">Figures as of page load; they refresh every second. <a href="${esc(feedUrl.replace(/format=feed/, 'format=graph'))}">GraphView JSON</a></p>
<main id="status">${statusBody(feed.view, feed.history)}</main>
<script type="application/json" id="initial">${initial}</script>
<script>${pageScript(feedUrl)}</script>
</body>
</html>
`;
}
