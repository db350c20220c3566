/**
 * Rocket's API, for those who know web2py's server: `new Rocket(interfaces,
 * 'wsgi', { wsgiApp }, minThreads, maxThreads, queueSize)` and CherryPy's
 * `CherryPyWSGIServer(bindAddr, wsgiApp, ...)`, as Rocket's adapter maps it.
 * Both are thin layers over the options object of `createServer`: they
 * build one, check it at once (a bad value throws here, as createServer
 * does), and start a fresh server on each `start()`.
 *
 * Differences from Rocket, on purpose: `wsgiApp` names a module (a worker
 * thread loads it) rather than being a function; `queueSize` bounds the
 * requests waiting for a thread (answered 503 past it) rather than the
 * listen backlog; `start()` resolves once listening instead of blocking;
 * process signals are left to the program.
 */
import { readFileSync } from 'node:fs';
import type { BoundAddress } from '../../components/tcp-server/index.js';
import type { ListenInterface } from './interfaces-option.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { createServer, type BoxwireServer } from './server.js';
import { parseWsgiSpec } from './app-entries.js';

/** `[host, port]`, or `[host, port, keyFile, certFile, caFile?]` for TLS (a CA asks clients for a certificate). */
export type RocketInterface =
  | readonly [host: string, port: number]
  | readonly [host: string, port: number, keyFile: string, certFile: string, caFile?: string];

export interface RocketAppInfo {
  /** The application's module: "./app.mjs" or "./app.mjs#exportName". */
  readonly wsgiApp: string;
}

export class Rocket {
  /** The options every start() builds its server from. */
  readonly options: ServerOptions;
  private current: BoxwireServer | undefined;

  constructor(
    interfaces: RocketInterface | readonly RocketInterface[] = ['127.0.0.1', 8000],
    method: 'wsgi' = 'wsgi',
    appInfo: RocketAppInfo,
    minThreads?: number | null,
    maxThreads?: number | null,
    queueSize?: number | null,
    /** Seconds an idle keep-alive connection is kept (Rocket's monitor timeout). */
    timeout?: number | null,
    /** Anything else createServer takes (logging, limits...). */
    options: ServerOptions = {},
  ) {
    if (method !== 'wsgi') throw new TypeError(`Rocket: only the "wsgi" method is served (got ${JSON.stringify(method)})`);
    if (typeof appInfo?.wsgiApp !== 'string') throw new TypeError('Rocket: app_info needs { wsgiApp: "./app.mjs" }');
    const list = isOne(interfaces) ? [interfaces] : interfaces;
    const app = parseWsgiSpec(`/=${appInfo.wsgiApp}`);
    const pool = {
      ...(minThreads != null ? { minThreads } : {}),
      ...(maxThreads != null ? { maxThreads } : {}),
      ...(queueSize != null ? { queueSize } : {}),
      ...options.pool,
    };
    this.options = {
      ...options,
      interfaces: list.map(toInterface),
      wsgi: [app],
      pool,
      timeouts: { ...(timeout != null ? { idle: timeout * 1000 } : {}), ...options.timeouts },
    };
    resolveOptions(this.options);
  }

  /** The running server, once started. */
  get server(): BoxwireServer | undefined {
    return this.current;
  }

  /** Starts a server; resolves with the addresses it listens on. */
  async start(): Promise<readonly BoundAddress[]> {
    if (this.current) throw new Error('Rocket: already started');
    const server = createServer(this.options);
    this.current = server;
    try {
      return await server.listen();
    } catch (error) {
      this.current = undefined;
      throw error;
    }
  }

  /** Stops the server, letting requests in flight finish. */
  async stop(): Promise<void> {
    const server = this.current;
    this.current = undefined;
    await server?.stop();
  }

  /** Stops, then starts a fresh server: its threads load the application again. */
  async restart(): Promise<readonly BoundAddress[]> {
    await this.stop();
    return this.start();
  }
}

/**
 * CherryPy's wsgiserver signature, mapped onto Rocket as Rocket's own
 * adapter does: numthreads is the minimum, a negative max means no limit,
 * request_queue_size is the queue, timeout the keep-alive timeout;
 * serverName and shutdownTimeout are accepted and ignored.
 */
export function CherryPyWSGIServer(
  bindAddr: RocketInterface | readonly RocketInterface[],
  wsgiApp: string,
  numthreads = 10,
  serverName: string | null = null,
  max = -1,
  requestQueueSize = 5,
  timeout = 10,
  shutdownTimeout = 5,
  options: ServerOptions = {},
): Rocket {
  void serverName;
  void shutdownTimeout;
  return new Rocket(bindAddr, 'wsgi', { wsgiApp }, numthreads, Math.max(max, 0), requestQueueSize, timeout, options);
}

function isOne(interfaces: RocketInterface | readonly RocketInterface[]): interfaces is RocketInterface {
  return typeof interfaces[0] === 'string';
}

function toInterface(spec: RocketInterface): ListenInterface {
  const [host, port, keyFile, certFile, caFile] = spec as readonly [string, number, string?, string?, string?];
  if (keyFile === undefined) return { host, port };
  if (certFile === undefined) throw new TypeError(`Rocket: interface ${host}:${port} has a key file but no certificate file`);
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new TypeError(`Rocket: cannot read the ${what} ${file} for ${host}:${port}: ${(error as Error).message}`);
    }
  };
  const tls = { key: read('key file', keyFile), cert: read('certificate file', certFile) };
  return { host, port, tls: caFile ? { ...tls, ca: read('CA file', caFile) } : tls };
}
