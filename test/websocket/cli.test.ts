/** `--websocket PATH=MODULE[#EXPORT]`: parsed, loaded into routes, and served by the command. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CliError, parseArgs } from '../../src/cli/args.js';
import { flags } from '../../src/cli/flags.js';
import { withWebSocketRoutes } from '../../src/cli/flags-websocket.js';
import type { Route } from '../../components/request-router.js';
import { startCommand } from '../helpers/cli.js';
import { RawClient, handshake, text } from '../helpers/websocket.js';

const factories = fileURLToPath(new URL('../fixtures/websocket/factories.mjs', import.meta.url));
const chat = fileURLToPath(new URL('../../dist/examples/chat/chat.js', import.meta.url));

async function routesOf(...argv: string[]): Promise<Route[]> {
  const options = await withWebSocketRoutes(parseArgs(argv, flags).options);
  return options.routes as Route[];
}

describe('--websocket', () => {
  it("mounts a module's default export, a named factory, or a named route's fields", async () => {
    const routes = await routesOf(
      '--websocket',
      `/chat=${chat}`,
      '--websocket',
      `/up=${factories}#upper`,
      '--websocket',
      `/rooms/=${factories}#shouting`,
    );
    expect(routes.map((r) => r.path)).toEqual(['/chat', '/up', '/rooms/*']);
    expect(routes.every((r) => typeof r.websocket === 'function')).toBe(true);
    expect(routes[2]!.protocols).toEqual(['shout']);
    // Nothing else is left in the options for the option checks to trip on.
    const options = await withWebSocketRoutes(parseArgs(['--websocket', `/chat=${chat}`, '--port', '0'], flags).options);
    expect(Object.keys(options).sort()).toEqual(['port', 'routes']);
  });

  it.each([
    [['--websocket', 'chat=x.mjs'], /needs PATH=MODULE/],
    [['--websocket', '/chat='], /needs PATH=MODULE/],
    [['--websocket', '/c:id=x.mjs'], /not a plain path/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv, flags)).toThrow(CliError);
    expect(() => parseArgs(argv, flags)).toThrow(message);
  });

  it('says which module or export is wrong', async () => {
    await expect(routesOf('--websocket', '/x=./no/such/module.mjs')).rejects.toThrow(/cannot load/);
    await expect(routesOf('--websocket', `/x=${factories}#nothing`)).rejects.toThrow(/exports no "nothing"/);
    await expect(routesOf('--websocket', `/x=${factories}`)).rejects.toThrow(/exports no default or "websocket"/);
  });

  it('serves the chat example from the command', async () => {
    const command = await startCommand([
      '--port',
      '0',
      '--cgi',
      'off',
      '--wsgi',
      'off',
      '--websocket',
      `/chat=${chat}`,
      '--websocket',
      `/up=${factories}#upper`,
    ]);
    try {
      const client = await RawClient.open(command.port, handshake('/chat'));
      expect(client.status).toBe(101);
      client.send(text('hello room'));
      expect((await client.frame(1)).payload.toString()).toBe('hello room');
      const up = await RawClient.open(command.port, handshake('/up'));
      up.send(text('quiet'));
      expect((await up.frame(1)).payload.toString()).toBe('QUIET');
      client.destroy();
      up.destroy();
    } finally {
      expect(await command.stop()).toBe(0);
    }
  });
});
