/**
 * The configuration file (`--config`): a JSON file holding the options
 * object, or a JavaScript module (`.mjs`/`.js`) exporting it (default export,
 * or `options`), which can hold what JSON cannot (functions: handlers,
 * stages). It is read once at start and again on SIGHUP. Its values are
 * checked by `resolveOptions`, like any options; errors name the file.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerOptions } from './options.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

let generation = 0;

export async function loadConfig(file: string): Promise<ServerOptions> {
  const path = resolve(file);
  const ext = extname(path);
  let options: unknown;
  if (ext === '.json') {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
    }
    try {
      options = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  } else if (ext === '.mjs' || ext === '.js') {
    // A new URL each time, so a reload reads the file again rather than the module cache.
    let module: { default?: unknown; options?: unknown };
    try {
      module = (await import(`${pathToFileURL(path).href}?generation=${++generation}`)) as typeof module;
    } catch (error) {
      throw new ConfigError(`cannot load ${file}: ${(error as Error).message}`);
    }
    options = module.default ?? module.options;
  } else {
    throw new ConfigError(`${file}: a configuration file is .json, .mjs or .js`);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(`${file} must hold an options object`);
  }
  return options as ServerOptions;
}

/** Options from the command line laid over those from the file: flags win, limits and timeouts merge. */
export function mergeOptions(file: ServerOptions, flags: ServerOptions): ServerOptions {
  return {
    ...file,
    ...flags,
    limits: { ...file.limits, ...flags.limits },
    timeouts: { ...file.timeouts, ...flags.timeouts },
  };
}
