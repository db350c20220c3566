// The websocket scenario's load generator, run in processes of its own: raw sockets, one
// masked frame built once and written again for each round trip, and echoes counted by
// their known length, so the client does a small part of the server's work per message.
//
// Told by its parent (IPC): { port, connections, seconds, size, idle }. With `idle`, it opens
// the connections, completes their handshakes, says { open } and holds them until told { close }.
// Otherwise each connection sends a message, waits for the echo, and sends again, for `seconds`,
// and it says { roundTrips, errors }.
import net from 'node:net';

const handshake = (port) =>
  `GET /echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

function maskedText(size) {
  const payload = Buffer.alloc(size, 'a');
  const mask = [0x12, 0x34, 0x56, 0x78];
  const header = size < 126 ? Buffer.from([0x81, 0x80 | size]) : Buffer.from([0x81, 0x80 | 126, size >> 8, size & 0xff]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
  return { frame: Buffer.concat([header, Buffer.from(mask), masked]), echo: (size < 126 ? 2 : 4) + size };
}

function open(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () => socket.write(handshake(port)));
    let head = '';
    const onData = (chunk) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.split('\r\n')[0]));
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

const sockets = [];

process.on('message', async (task) => {
  if (task.close) {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
  for (let i = 0; i < task.connections; i++) sockets.push(await open(task.port));
  if (task.idle) {
    process.send({ open: sockets.length });
    return;
  }
  const { frame, echo } = maskedText(task.size);
  let roundTrips = 0;
  let errors = 0;
  let running = true;
  for (const socket of sockets) {
    let got = 0;
    socket.on('error', () => errors++);
    socket.on('data', (chunk) => {
      got += chunk.length;
      while (got >= echo) {
        got -= echo;
        roundTrips++;
        if (running) socket.write(frame);
      }
    });
    socket.write(frame);
  }
  await new Promise((r) => setTimeout(r, task.seconds * 1000));
  running = false;
  process.send({ roundTrips, errors });
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
