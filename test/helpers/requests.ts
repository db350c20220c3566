/** Request messages for component tests, without a parser or a socket. */
import { HeaderMap } from '../../src/http/headers.js';
import type { HttpRequest } from '../../src/http/messages.js';

export function fakeRequest(path = '/', headers: Record<string, string> = {}, method = 'GET', seq = 0): HttpRequest {
  return {
    type: 'request',
    seq,
    method,
    target: path,
    path,
    rawPath: path,
    query: '',
    version: 'HTTP/1.1',
    headers: new HeaderMap({ host: 'x', ...headers }),
    host: 'x',
    hostPort: undefined,
    connection: {
      id: 1,
      remoteAddress: '127.0.0.1',
      remotePort: 1,
      family: 'IPv4',
      localAddress: '127.0.0.1',
      localPort: 2,
      secure: false,
      peerCertificate: undefined,
    },
    body: undefined,
    keepAlive: true,
    received: 0,
  };
}
