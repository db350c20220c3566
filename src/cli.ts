#!/usr/bin/env node
/**
 * The `boxwire` command: flags -> the options object -> createServer. Prints
 * the address it listens on; stops gracefully on SIGINT and SIGTERM.
 * Exit status: 0 after a clean stop, 1 when the server cannot start, 2 for
 * a bad command line.
 */
import { readFileSync } from 'node:fs';
import { CliError, parseArgs, serverFlags, usage, type Flag } from './cli-args.js';
import { staticFlags } from './cli-flags-static.js';
import { createServer, type BoxwireServer } from './server.js';

export const flags: readonly Flag[] = [...serverFlags, ...staticFlags];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<number> {
  let server: BoxwireServer;
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
    server = createServer(parsed.options);
  } catch (error) {
    if (error instanceof CliError || error instanceof TypeError) {
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
  process.stdout.write(`boxwire ${version()} listening on ${server.addresses.map((a) => urlOf(a)).join(', ')}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

function urlOf(a: { host: string; port: number; family: string; secure: boolean }): string {
  return `${a.secure ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.host}]` : a.host}:${a.port}`;
}

process.exitCode = await main(process.argv.slice(2));
