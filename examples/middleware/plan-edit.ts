/**
 * The built-in stages placed by name in the connection graph, as you would
 * place a component of your own: CORS and authentication between the parser
 * and the router, the security headers after the error page, where every
 * response passes (the 401s included).
 */
import { basicAuth, cors, createServer, securityHeaders, type BoxwireServer } from '../../src/index.js';

export function editedServer(usersFile: string): BoxwireServer {
  return createServer({
    port: 0,
    routes: [{ path: '/', handler: (request) => ({ body: `hi ${request.identity?.user ?? 'stranger'}\n` }) }],
    connection: (plan) =>
      plan
        .insert('cors', cors('https://app.example.com'), { after: 'parser', before: 'router', links: [['cors.answer', 'errorPage.inbox']] })
        .insert('auth', basicAuth({ file: usersFile }), {
          after: 'cors',
          before: 'router',
          links: [
            ['auth.answer', 'errorPage.inbox'],
            ['auth.log', 'self.log'],
          ],
        })
        .insert('headers', securityHeaders(), { after: 'errorPage', before: 'responder' }),
  });
}
