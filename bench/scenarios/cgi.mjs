// CGI hello world (sh and python3) through boxwire, against lighttpd's mod_cgi
// when it is installed, a plain node:http + child_process.spawn server, and
// `python3 -m http.server --cgi`: the same two scripts (cgi/hello.sh,
// cgi/hello.py), in one run, 10 connections. python3 is the system one
// (/usr/bin/python3 when there is one; never a version-manager shim), first
// on every server's PATH. Python's server runs scripts as "nobody" when
// started as root, so the files must be world-readable. CPU per request is
// the server's own processes' (a script, once it has exited, is not counted).
// See bench/compare.mjs for how the load is taken in turn.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, loadGenerator, printScenario } from '../compare.mjs';
import { kill, startServer } from '../harness.mjs';
import { freePort, hasLighttpd, startLighttpd, waitForPort } from '../native-peers.mjs';

const cgiDir = fileURLToPath(new URL('../../cgi/', import.meta.url));

export async function run() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const seconds = Number(process.env.BENCH_BURST ?? 2);
  const python = existsSync('/usr/bin/python3')
    ? '/usr/bin/python3'
    : execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  const env = { ...process.env, PATH: `${dirname(python)}:${process.env.PATH}` };
  const work = mkdtempSync(join(tmpdir(), 'boxwire-bench-cgi-'));
  chmodSync(work, 0o755);
  symlinkSync(cgiDir, join(work, 'cgi-bin'));
  const servers = [];
  try {
    servers.push({ name: 'boxwire', label: 'boxwire', ...(await startServer('boxwire-cgi', env)) });
    if (hasLighttpd()) {
      const config = [
        'server.modules += ( "mod_cgi", "mod_setenv" )',
        `setenv.add-environment = ( "PATH" => "${env.PATH}" )`,
        '$HTTP["url"] =~ "^/cgi-bin/" { cgi.assign = ( "" => "" ) }',
      ].join('\n');
      servers.push({ name: 'lighttpd', label: 'lighttpd mod_cgi', ...(await startLighttpd(config, { root: work })) });
    }
    servers.push({ name: 'node', label: 'node:http + spawn', ...(await startServer('node-cgi', env)) });
    const port = await freePort();
    const child = spawn(python, ['-m', 'http.server', '--cgi', '--bind', '127.0.0.1', String(port)], {
      cwd: work,
      env,
      stdio: 'ignore',
    });
    await waitForPort(port);
    // Its responses are HTTP/1.0, ended by closing the connection.
    servers.push({
      name: 'python',
      label: 'python3 -m http.server --cgi',
      port,
      pid: child.pid,
      stop: () => kill(child),
      closeDelimited: true,
    });
    console.log(
      `\n### CGI hello world\n\nLoad: ${loadGenerator()}, one thread, 10 connections; ${rounds} rounds of ${seconds} s bursts per server.${hasLighttpd() ? '' : ' (lighttpd is not installed: apt-get install lighttpd)'}`,
    );
    for (const script of ['hello.sh', 'hello.py']) {
      printScenario(`CGI ${script}`, await compare(servers, `/cgi-bin/${script}`, { rounds, seconds, connections: 10 }));
    }
  } finally {
    for (const s of servers) await s.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
