import { describe, expect, it } from 'vitest';
import { clientAddress } from './client-address.js';

const balancers = new Set(['10.0.0.2', '127.0.0.1']);

describe('clientAddress', () => {
  it('is the peer when the peer is not a trusted proxy, whatever the header says', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', balancers)).toBe('203.0.113.9');
  });

  it('is the nearest untrusted address of a trusted proxy\'s chain', () => {
    expect(clientAddress('::ffff:10.0.0.2', '198.51.100.1, 203.0.113.7', balancers)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.2', '203.0.113.7, 127.0.0.1', balancers)).toBe('203.0.113.7');
  });

  it('falls back to the peer, or the chain\'s first, when nothing better is known', () => {
    expect(clientAddress('10.0.0.2', undefined, balancers)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', '127.0.0.1', balancers)).toBe('127.0.0.1');
    expect(clientAddress(undefined, undefined, balancers)).toBe('unknown');
  });
});
