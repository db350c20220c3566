/**
 * Real servers beside ours, for the proxy tests: nginx, gunicorn and
 * HAProxy, each started in the foreground from a configuration written
 * under a temporary directory, listening on loopback, and stopped by its
 * own PID (and its directory removed) after the test. Plain node:http
 * upstreams too, counting the connections they accept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export interface Peer {
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** What it printed on stderr so far. */
  readonly stderr: () => string;
  stop(): Promise<void>;
}

const started: (() => Promise<void>)[] = [];

afterEach(async () => {
  const stops = started.splice(0);
  await Promise.all(stops.map((stop) => stop()));
});

/** A free port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port; rejects after `ms`. */
export async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops a child by its PID: SIGTERM, then SIGKILL after a grace; resolves once it has exited. */
function stopChild(child: ChildProcess, grace = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), grace);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a command that will listen on `port`; stopped after the test. */
async function startPeer(command: string, args: readonly string[], port: number, dir: string, env?: NodeJS.ProcessEnv): Promise<Peer> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, env: env ?? process.env });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  started.push(stop);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before listening: ${stderr}`))),
  );
  await Promise.race([waitForPort(port), exited]);
  return { port, pid: child.pid!, dir, stderr: () => stderr, stop };
}

/** nginx with one worker, `server` as its server block's body; `{dir}` is its temporary directory. */
export async function startNginx(server: string, http = ''): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'boxwire-test-nginx-'));
  const port = await freePort();
  const fill = (text: string): string => text.replaceAll('{dir}', dir);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${fill(http)}
  server {
    listen 127.0.0.1:${port};
    ${fill(server)}
  }
}
`,
  );
  return startPeer('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], port, dir);
}

/** Debian's gunicorn (run by /usr/bin/python3) serving `module:callable` from a file written in its directory. */
export async function startGunicorn(source: string, callable = 'app:application', extra: readonly string[] = []): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'boxwire-test-gunicorn-'));
  const port = await freePort();
  writeFileSync(join(dir, 'app.py'), source);
  return startPeer(
    '/usr/bin/python3',
    ['/usr/bin/gunicorn', '--bind', `127.0.0.1:${port}`, '--workers', '1', '--chdir', dir, '--error-logfile', '-', ...extra, callable],
    port,
    dir,
  );
}

/** HAProxy in the foreground from `config` (its global and defaults sections are given); `{dir}` is its directory, `{port}` its port. */
export async function startHaproxy(config: string): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'boxwire-test-haproxy-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global
  maxconn 256
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
${config.replaceAll('{dir}', dir).replaceAll('{port}', String(port))}
`,
  );
  return startPeer('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], port, dir);
}

export interface NodeUpstream {
  readonly port: number;
  readonly server: http.Server;
  /** Connections accepted so far. */
  connections: number;
}

/** A node:http upstream on an ephemeral port, closed after the test. */
export async function nodeUpstream(handler: http.RequestListener): Promise<NodeUpstream> {
  const server = http.createServer(handler);
  const upstream = { port: 0, server, connections: 0 };
  server.on('connection', () => upstream.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.port = (server.address() as net.AddressInfo).port;
  started.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return upstream;
}

export interface RawUpstream {
  readonly port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Connections the proxy closed (or that ended) so far. */
  closed: number;
}

/** A TCP upstream that answers each connection's requests as `answer` says (raw bytes), for responses node:http would never send. */
export async function rawUpstream(answer: (request: string, socket: net.Socket) => void): Promise<RawUpstream> {
  const sockets = new Set<net.Socket>();
  const upstream = { port: 0, connections: 0, closed: 0 };
  const server = net.createServer((socket) => {
    upstream.connections++;
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        answer(head, socket);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      upstream.closed++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.port = (server.address() as net.AddressInfo).port;
  started.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return upstream;
}
