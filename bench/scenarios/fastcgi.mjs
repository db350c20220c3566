// Issue 16: a PHP hello world through php-fpm, boxwire's FastCGI client against
// nginx's fastcgi_pass and lighttpd's mod_fastcgi, each server with a php-fpm of its
// own with the same static pool (a kept-open connection holds a php-fpm child, so one
// shared pool would be held by whichever server ran last), started here on a Unix
// socket under a temporary directory and stopped by its PID; and `--cgi-ext` (php-cgi per
// request) against lighttpd's mod_cgi. Install the peers with
// `apt-get install nginx-light lighttpd php-fpm php-cgi`; a missing one is skipped.
//
// Load from wrk (bench/wrk.mjs), servers in turn, in bursts, for several rounds
// (harness.mjs's inTurn): the machine is shared, so only ratios measured side by side
// mean anything. Every server's answer is checked before it is loaded, and every
// error or non-2xx answer under load is counted: none may be lost.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTurn, median, startServer, which } from '../harness.mjs';
import { hasLighttpd, hasNginx, startLighttpd, startNginx } from '../native-peers.mjs';
import { hasWrk, wrk } from '../wrk.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** php-fpm's children, and the connections each server keeps to it. */
const CHILDREN = 4;
const phpFpm = ['/usr/sbin/php-fpm8.2', 'php-fpm8.2', 'php-fpm'].find((c) => which(c));
const hello = 'Hello, world!\n';

async function accepts(path) {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** php-fpm with a static pool of CHILDREN on a socket in a directory of its own under `parent`. */
async function startPhpFpm(parent, name) {
  const dir = join(parent, name);
  mkdirSync(dir, { mode: 0o755 });
  const socket = join(dir, 'fpm.sock');
  const conf = join(dir, 'fpm.conf');
  writeFileSync(
    conf,
    `[global]\npid = ${dir}/fpm.pid\nerror_log = ${dir}/fpm.log\ndaemonize = no\n[bench]\nlisten = ${socket}\npm = static\npm.max_children = ${CHILDREN}\npm.max_requests = 0\nlisten.mode = 0666\n`,
  );
  const child = spawn(phpFpm, ['-F', '-n', '-R', '-y', conf], { stdio: 'ignore' });
  for (let i = 0; !(await accepts(socket)); i++) {
    if (child.exitCode !== null || i > 200) throw new Error('php-fpm did not start');
    await new Promise((r) => setTimeout(r, 25));
  }
  // SIGTERM: the master stops its children too (SIGKILL would leave them running).
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  return { socket, stop };
}

async function check(name, url) {
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || body !== hello)
    throw new Error(`${name} answered ${response.status} ${JSON.stringify(body.slice(0, 200))}`);
}

/** Rows of one scenario: each server's figures, summed over its bursts, and the ratio of boxwire's to each peer's. */
async function measure(scenario, servers, connections) {
  for (const s of servers) await check(s.name, s.url);
  for (const s of servers) await wrk(s.url, { connections, seconds: 1 }); // warm up
  const figures = Object.fromEntries(servers.map((s) => [s.name, { p50: [], p99: [] }]));
  const totals = await inTurn(
    servers.map((s) => s.name),
    ROUNDS,
    async (name) => {
      const r = await wrk(servers.find((s) => s.name === name).url, { connections, seconds: SECONDS });
      figures[name].p50.push(r.p50);
      figures[name].p99.push(r.p99);
      return { requests: r.requests, bytes: r.bytes, p99: r.p99, errors: r.errors, non2xx: r.non2xx };
    },
  );
  const row = (name) => ({
    rps: totals[name].requests / (ROUNDS * SECONDS),
    p50: median(figures[name].p50),
    p99: median(figures[name].p99),
    lost: totals[name].errors + totals[name].non2xx,
  });
  const ours = row('boxwire');
  return servers
    .filter((s) => s.name !== 'boxwire')
    .flatMap((s) => {
      const peer = row(s.name);
      return [
        { scenario, server: `${s.name} (peer)`, ...peer },
        { scenario, server: `boxwire vs ${s.name}`, ...ours, ratio: ours.rps / peer.rps },
      ];
    });
}

function print(title, rows) {
  console.log(`\n### ${title}\n`);
  console.log('| scenario | server | requests/s | p50 ms | p99 ms | errors | ratio |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`;
    console.log(
      `| ${r.scenario} | ${r.server} | ${Math.round(r.rps).toLocaleString()} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.lost} | ${ratio} |`,
    );
  }
}

export async function run() {
  if (!hasWrk()) return console.log('\n### FastCGI: wrk is not installed (apt-get install wrk): not measured');
  const dir = mkdtempSync(join(tmpdir(), 'boxwire-bench-php-'));
  // nginx's workers run as another user: they must reach the socket (and lighttpd the file).
  chmodSync(dir, 0o755);
  const root = join(dir, 'root');
  mkdirSync(root, { mode: 0o755 });
  writeFileSync(join(root, 'hello.php'), `<?php echo ${JSON.stringify(hello.trim())}, "\\n";\n`);
  const stops = [];
  const missing = [];
  try {
    const rows = [];
    if (phpFpm) {
      const fpmFor = async (name) => {
        const fpm = await startPhpFpm(dir, name);
        stops.push(fpm.stop);
        return fpm;
      };
      let fpm = await fpmFor('boxwire');
      const servers = [];
      const ours = await startServer('boxwire-php', {
        BOXWIRE_PHP_MODE: 'fastcgi',
        BOXWIRE_PHP_ROOT: root,
        BOXWIRE_PHP_SOCKET: fpm.socket,
        BOXWIRE_PHP_CONNECTIONS: String(CHILDREN),
      });
      stops.push(ours.stop);
      servers.push({ name: 'boxwire', url: `http://127.0.0.1:${ours.port}/hello.php` });
      if (hasNginx()) {
        fpm = await fpmFor('nginx');
        const nginx = await startNginx({
          http: `upstream fpm { server unix:${fpm.socket}; keepalive ${CHILDREN}; }`,
          server: `root ${root};
    location ~ \\.php$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_keep_conn on;
      fastcgi_pass fpm;
    }`,
        });
        stops.push(nginx.stop);
        servers.push({ name: 'nginx fastcgi_pass', url: `http://127.0.0.1:${nginx.port}/hello.php` });
      } else missing.push('nginx');
      if (hasLighttpd()) {
        fpm = await fpmFor('lighttpd');
        const lighttpd = await startLighttpd(
          `server.modules += ( "mod_fastcgi" )\nserver.document-root := "${root}"\nfastcgi.server = ( ".php" => (( "socket" => "${fpm.socket}" )) )`,
        );
        stops.push(lighttpd.stop);
        servers.push({ name: 'lighttpd mod_fastcgi', url: `http://127.0.0.1:${lighttpd.port}/hello.php` });
      } else missing.push('lighttpd');
      rows.push(...(await measure('PHP hello through php-fpm (50 connections)', servers, 50)));
    } else missing.push('php-fpm');
    const phpCgi = which('php-cgi');
    if (phpCgi && hasLighttpd()) {
      const ours = await startServer('boxwire-php', { BOXWIRE_PHP_MODE: 'cgi', BOXWIRE_PHP_ROOT: root });
      stops.push(ours.stop);
      const lighttpd = await startLighttpd(
        `server.modules += ( "mod_cgi" )\nserver.document-root := "${root}"\ncgi.assign = ( ".php" => "${phpCgi}" )`,
      );
      stops.push(lighttpd.stop);
      const servers = [
        { name: 'boxwire', url: `http://127.0.0.1:${ours.port}/hello.php` },
        { name: 'lighttpd mod_cgi', url: `http://127.0.0.1:${lighttpd.port}/hello.php` },
      ];
      rows.push(...(await measure('PHP hello through php-cgi per request (10 connections)', servers, 10)));
    } else missing.push(phpCgi ? 'lighttpd (for mod_cgi)' : 'php-cgi');
    print(
      `PHP hello world: FastCGI (php-fpm, ${CHILDREN} children, ${CHILDREN} connections kept) and CGI (php-cgi); wrk, ${ROUNDS} rounds of ${SECONDS} s in turn${missing.length ? `; not installed, not measured: ${missing.join(', ')}` : ''}`,
      rows,
    );
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
