/**
 * Reads the PROXY protocol header off a freshly accepted socket
 * (src/http/proxy-protocol.ts parses it), before anything is built for the
 * connection. Once it is known, the socket is left paused, with the bytes
 * that came after the header put back in front of it, for whoever reads it
 * next (the connection's graph, or TLS). The header must come within
 * `timeout` ms; a socket that ends, errors or times out first is reported
 * as a failure. Every listener and the timer are gone when `done` is called.
 */
import type { Socket } from 'node:net';
import { ProxyHeaderParser, type ProxyParse } from '../../src/http/proxy-protocol.js';

export function readProxyHeader(socket: Socket, timeout: number, done: (outcome: ProxyParse) => void): void {
  const parser = new ProxyHeaderParser();
  let settled = false;
  const settle = (outcome: ProxyParse): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    if (outcome.ok) {
      socket.pause();
      if (outcome.rest.length > 0) socket.unshift(Buffer.from(outcome.rest));
    }
    done(outcome);
  };
  const onData = (chunk: Buffer): void => {
    const outcome = parser.push(chunk);
    if (outcome) settle(outcome);
  };
  const onEnd = (): void => settle(parser.end());
  const onClose = (): void => settle({ ok: false, reason: 'the connection closed before its PROXY header' });
  const timer = setTimeout(() => settle({ ok: false, reason: `no PROXY header within ${timeout} ms` }), timeout);
  timer.unref();
  // A reset peer is a close that follows; nothing to do for the error itself.
  socket.on('error', ignore);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onClose);
}

function ignore(): void {}
