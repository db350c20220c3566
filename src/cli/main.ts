#!/usr/bin/env node
/**
 * The `boxwire` command: flags -> the options object -> createServer. Serves
 * the directory it is given (or the current one) and nothing it is not told
 * to; prints once what it serves where and the addresses it listens on
 * (nothing but errors with --quiet); stops gracefully on SIGINT and SIGTERM.
 * Exit status: 0 after a clean stop, 1 when the server cannot start, 2 for
 * a bad command line.
 */
import { readFileSync } from 'node:fs';
import cluster from 'node:cluster';
import { CliError, parseArgs, usage } from './args.js';
import { flags } from './flags.js';
import { createServer, urlOf, type BoxwireServer } from '../server/server.js';
import { reportListening, shareFigures, supervise } from '../server/workers.js';
import { describeServer } from '../server/summary.js';
import { ConfigError, loadConfig, mergeOptions } from '../server/config-file.js';
import type { ServerOptions } from '../server/options.js';
import type { OptionsDraft } from './args.js';
import { withInterfaces } from './flags-listen.js';
import { withMiddlewareFlags } from './flags-middleware.js';
import { withWebSocketRoutes } from './flags-websocket.js';
import { withProxyDefaults } from './flags-proxy.js';

function version(): string {
  const pkg = JSON.parse(
    readFileSync(new URL(import.meta.url.endsWith('.ts') ? '../../package.json' : '../../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<number> {
  let server: BoxwireServer;
  let flagOptions: ServerOptions;
  let configFile: string | undefined;
  try {
    const parsed = parseArgs(argv, flags);
    if (parsed.help) {
      process.stdout.write(usage(flags));
      return 0;
    }
    if (parsed.version) {
      process.stdout.write(`boxwire ${version()}\n`);
      return 0;
    }
    const { workers: workersFlag, config, ...options } = parsed.options;
    flagOptions = (await withWebSocketRoutes(
      withProxyDefaults(withMiddlewareFlags(withInterfaces(options as OptionsDraft))),
    )) as ServerOptions;
    configFile = config;
    // The file may say how many workers too; the flag wins.
    const { workers: workersFile, ...fromFile } = (await optionsFrom(configFile, flagOptions)) as ServerOptions & { workers?: unknown };
    const workers = workersFlag ?? workersFile;
    if (workers !== undefined && (!Number.isInteger(workers) || (workers as number) < 1))
      throw new TypeError(`boxwire: "workers" must be a whole number from 1 (got ${JSON.stringify(workers)})`);
    server = createServer(fromFile);
    if (typeof workers === 'number' && workers > 1 && cluster.isPrimary) {
      // The options were checked here; each worker builds its own server from the same command line.
      const print = (line: string): void => void process.stdout.write(`${line}\n`);
      return await supervise(workers, print, (urls) => (prints(server) ? describeServer(server.options, urls).join('\n') : undefined));
    }
  } catch (error) {
    if (error instanceof CliError || error instanceof TypeError || error instanceof ConfigError) {
      process.stderr.write(`boxwire: ${error.message.replace(/^boxwire: /, '')}\n`);
      return 2;
    }
    throw error;
  }
  try {
    await server.listen();
  } catch (error) {
    process.stderr.write(`boxwire: ${(error as Error).message}\n`);
    return 1;
  }
  const urls = server.addresses.map(urlOf);
  if (cluster.isWorker) {
    // The status page and /metrics show every worker, gathered through the primary.
    shareFigures(server.figures);
    reportListening(urls);
  } else if (prints(server)) process.stdout.write(`${describeServer(server.options, urls, `boxwire ${version()} serves`).join('\n')}\n`);
  const reload = (): void => {
    void optionsFrom(configFile, flagOptions)
      .then(({ workers: _workers, ...options }: ServerOptions & { workers?: unknown }) => server.reload(options))
      .catch((error: Error) => process.stderr.write(`boxwire: reload failed, keeping the configuration in force: ${error.message}\n`));
  };
  process.on('SIGHUP', reload);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', reload);
      void server.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // A worker's channel to its primary would keep it alive: let go of it.
  if (cluster.isWorker) process.disconnect?.();
  return 0;
}

/**
 * The options: the configuration file's, if there is one, with the flags
 * over them, and the command's one default where neither says: the current
 * directory as the document root (as http-server, serve and python -m
 * http.server do). Nothing else is mounted unless asked for.
 */
async function optionsFrom(file: string | undefined, fromFlags: ServerOptions): Promise<ServerOptions> {
  const options = file ? mergeOptions(await loadConfig(file), fromFlags) : fromFlags;
  return options.root === undefined ? { ...options, root: process.cwd() } : options;
}

/** Whether the server's own lines are printed (not under --quiet). */
function prints(server: BoxwireServer): boolean {
  const print = server.options.log.print;
  return print === undefined || (print !== false && print.includes('server'));
}

process.exitCode = await main(process.argv.slice(2));
