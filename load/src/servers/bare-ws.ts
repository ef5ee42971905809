import { connect } from 'nats';
import { WebSocketServer, WebSocket } from 'ws';

/**
 * Baseline: a bare `ws` server relaying one NATS subject to every connected
 * client, sending the same buffer to each. What a hand-written relay does.
 */
const port = Number(process.env.PORT ?? 0);
const nc = await connect({ servers: process.env.NATS_URL!, user: process.env.NATS_USER, pass: process.env.NATS_PASS });
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
nc.subscribe(process.env.SUBJECT!, {
  callback: (_err, m) => {
    for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(m.data, { binary: false });
  },
});
wss.on('listening', () => {
  const a = wss.address();
  console.log(`listening on http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}`);
});
process.on('SIGTERM', () => process.exit(0));
