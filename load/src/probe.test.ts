import { describe, expect, it } from 'vitest';
import { probePayload, readProbe } from './probe.js';

describe('probe', () => {
  const p = { r: 3, i: 1234, t: 1764400000123.456 };
  it('is found in a Pulse frame, a Socket.IO packet and an SSE event', () => {
    const payload = probePayload(p);
    expect(readProbe(`{"type":"message","ch":"room:b","seq":9,"ts":1,"data":{"kind":"event","event":${payload}}}`)).toEqual(p);
    expect(readProbe(`42["m",${payload}]`)).toEqual(p);
    expect(readProbe(`event: message\nid: v1;room:b@9\ndata: {"data":{"event":${payload}}}`)).toEqual(p);
  });
  it('ignores frames without one', () => {
    expect(readProbe('{"type":"pong"}')).toBeUndefined();
  });
});
