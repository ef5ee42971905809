import { describe, expect, it } from 'vitest';
import { ConfirmedWrites, RESEND_AFTER_MS } from './confirmed-writes.js';

describe('ConfirmedWrites', () => {
  it('sends a write once, and again only while the watch has not handed it back', () => {
    const sent: string[] = [];
    const writes = new ConfirmedWrites((key) => sent.push(key));
    writes.write('a', 0);
    writes.write('b', 0);
    writes.confirm('a');
    writes.resend(RESEND_AFTER_MS - 1);
    expect(sent).toEqual(['a', 'b']);
    writes.resend(RESEND_AFTER_MS);
    expect(sent).toEqual(['a', 'b', 'b']);
    // Sent again just now: the next try waits its own interval.
    writes.resend(RESEND_AFTER_MS + 1);
    expect(sent).toEqual(['a', 'b', 'b']);
    writes.confirm('b');
    writes.resend(10 * RESEND_AFTER_MS);
    expect(sent).toEqual(['a', 'b', 'b']);
    expect(writes.size).toBe(0);
  });

  it('waits for the newest write of a key: an earlier one seen back confirms nothing it was not told', () => {
    const sent: string[] = [];
    const writes = new ConfirmedWrites((key) => sent.push(key));
    writes.write('a', 0);
    writes.write('a', 1_000);
    writes.resend(RESEND_AFTER_MS);
    expect(sent).toEqual(['a', 'a']);
    writes.resend(RESEND_AFTER_MS + 1_000);
    expect(sent).toEqual(['a', 'a', 'a']);
  });
});
