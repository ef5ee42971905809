/**
 * An unmasked, final WebSocket text frame (RFC 6455 §5.2) around a UTF-8
 * payload, as a server sends it. Built once per channel message and written
 * as is to every subscriber's socket: what `ws.send` would otherwise frame
 * again for each of them.
 */
export function wsTextFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLength + n);
  out[0] = 0x81; // FIN + text
  if (n < 126) out[1] = n;
  else if (n < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(out, headerLength);
  return out;
}
