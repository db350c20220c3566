/**
 * The command line of WebSocket routes: `--websocket PATH=MODULE[#EXPORT]`
 * (repeatable) mounts, at PATH, the component factory a module exports. The
 * export is a function `(request) => component`, or a route's WebSocket
 * fields (`{ websocket, protocols, allowedOrigins, websocketOptions }`);
 * without #EXPORT, the default export, then one named `websocket`. PATH is
 * a route path: `/chat` for that path alone, `/rooms/` for every path below.
 *
 * Loading a module is asynchronous and options are checked synchronously,
 * so the command loads them first (`withWebSocketRoutes`) and hands
 * createServer ordinary routes.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Route } from '../../components/request-router.js';
import type { WebSocketRouteFields } from '../../components/websocket/options.js';
import { CliError, type Flag, type OptionsDraft } from './args.js';

/** Where the flags keep their mounts until the modules are loaded: a symbol, which option checks do not see. */
const mounts = Symbol('--websocket mounts');

interface Mount {
  readonly path: string;
  readonly module: string;
  readonly export: string | undefined;
}

type WithMounts = OptionsDraft & { [mounts]?: Mount[] };

export const websocketFlags: readonly Flag[] = [
  {
    name: '--websocket',
    value: 'PATH=MODULE[#EXPORT]',
    help: 'serve WebSocket at PATH with the component factory MODULE exports, e.g. /chat=./chat.mjs (PATH/ for every path below)',
    repeatable: true,
    apply: (o, v) => {
      const eq = v.indexOf('=');
      if (eq <= 0 || eq === v.length - 1 || !v.startsWith('/')) {
        throw new CliError(`--websocket needs PATH=MODULE[#EXPORT], such as /chat=./chat.mjs, not "${v}"`);
      }
      const path = v.slice(0, eq);
      if (/[*:?#\s]/.test(path)) throw new CliError(`--websocket: "${path}" is not a plain path`);
      const rest = v.slice(eq + 1);
      const hash = rest.lastIndexOf('#');
      const draft = o as WithMounts;
      (draft[mounts] ??= []).push(
        hash < 0 ? { path, module: rest, export: undefined } : { path, module: rest.slice(0, hash), export: rest.slice(hash + 1) },
      );
    },
  },
];

/** The options with each --websocket module loaded and mounted as a route, before the routes given otherwise. */
export async function withWebSocketRoutes(options: OptionsDraft): Promise<OptionsDraft> {
  const { [mounts]: given, ...rest } = options as WithMounts;
  if (!given || given.length === 0) return options;
  const routes: Route[] = [];
  for (const mount of given) routes.push({ path: mount.path.endsWith('/') ? `${mount.path}*` : mount.path, ...(await load(mount)) });
  return { ...rest, routes: [...routes, ...((rest.routes as Route[] | undefined) ?? [])] };
}

async function load(mount: Mount): Promise<WebSocketRouteFields> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(mount.module)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`--websocket ${mount.path}: cannot load ${mount.module}: ${(error as Error).message}`);
  }
  const name = mount.export ?? ('default' in module ? 'default' : 'websocket');
  const found = module[name];
  if (typeof found === 'function') return { websocket: found as WebSocketRouteFields['websocket'] };
  if (typeof found === 'object' && found !== null && typeof (found as WebSocketRouteFields).websocket === 'function') {
    return found as WebSocketRouteFields;
  }
  throw new CliError(
    `--websocket ${mount.path}: ${mount.module} exports no ${mount.export ? `"${mount.export}"` : 'default or "websocket"'} that is a factory (request) => component or an object with one as "websocket"`,
  );
}
