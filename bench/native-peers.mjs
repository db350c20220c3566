// nginx and lighttpd as peers in the same run: each gets a configuration
// written under a temporary directory (one worker, access log off, listening
// on loopback), is started in the foreground and stopped by its own PID.
// Install them with `apt-get install nginx-light lighttpd` (and php-fpm,
// php-cgi for the PHP scenarios); a scenario skips a peer that is missing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './harness.mjs';

/** A free port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port (or rejects after `ms`). */
export async function waitForPort(port, ms = 5000, host = '127.0.0.1') {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts a command in the foreground, in a process group of its own, with a
 * temporary directory of its own; resolves with { port, pid, dir, stop }.
 * Stopping signals the whole group (nginx's master and its workers), TERM
 * first, then KILL.
 */
async function startNative(command, args, port, dir) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`))));
  await Promise.race([waitForPort(port), exited]);
  return {
    port,
    pid: child.pid,
    dir,
    stop: async () => {
      await stopGroup(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** TERM to the child's process group, KILL after a second; resolves once the child has exited. */
async function stopGroup(child) {
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // The group is gone.
    }
  };
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    signal('SIGTERM');
    const late = setTimeout(() => signal('SIGKILL'), 1000);
    await exited;
    clearTimeout(late);
  }
  // Workers outliving their master go with the group.
  signal('SIGKILL');
}

export const hasNginx = () => which('nginx') !== undefined;
export const hasLighttpd = () => which('lighttpd') !== undefined;

/**
 * nginx with one worker and `server` as the body of its one server block
 * (`listen` is added); `http` goes in the http block. `{dir}` in either is
 * the temporary directory.
 */
export async function startNginx({ server = '', http = '' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'boxwire-nginx-'));
  const port = await freePort();
  const fill = (text) => text.replaceAll('{dir}', dir);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  ${fill(http)}
  server {
    listen 127.0.0.1:${port};
    ${fill(server)}
  }
}
`,
  );
  return startNative('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], port, dir);
}

/** lighttpd in the foreground with `config` after the basics (`{dir}` is the temporary directory), serving `root` (default: that directory). */
export async function startLighttpd(config = '', { root } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'boxwire-lighttpd-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'lighttpd.conf'),
    `server.bind = "127.0.0.1"
server.port = ${port}
server.document-root = "${root ?? dir}"
server.errorlog = "${dir}/error.log"
server.max-keep-alive-requests = 1000000
server.max-connections = 4096
${config.replaceAll('{dir}', dir)}
`,
  );
  return startNative('lighttpd', ['-D', '-f', join(dir, 'lighttpd.conf')], port, dir);
}
