// The peer of the websocket scenario: a plain `ws` server echoing every message.
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/echo', perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => process.send({ port: wss.address().port }));
// The scenario measures memory after a full collection (it starts the server with --expose-gc).
process.on('message', (message) => message === 'gc' && (globalThis.gc?.(), process.send('gc')));
