import { createServer } from 'node:http';
import { connect, StringCodec } from 'nats';
import { Server } from 'socket.io';

/**
 * Baseline: a Socket.IO 4 server relaying one NATS subject to every client
 * with one broadcast (Socket.IO encodes the packet once for all of them).
 */
const sc = StringCodec();
const port = Number(process.env.PORT ?? 0);
const nc = await connect({ servers: process.env.NATS_URL!, user: process.env.NATS_USER, pass: process.env.NATS_PASS });
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
// The payload goes out as the JSON object it is, encoded once by Socket.IO for the whole broadcast.
nc.subscribe(process.env.SUBJECT!, { callback: (_err, m) => io.emit('m', JSON.parse(sc.decode(m.data)) as unknown) });
http.listen(port, '127.0.0.1', () => {
  const a = http.address();
  console.log(`listening on http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}`);
});
process.on('SIGTERM', () => process.exit(0));
