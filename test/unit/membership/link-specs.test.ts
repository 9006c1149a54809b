import { describe, expect, it } from 'vitest';
import { linkSpecsFromAddresses } from '../../../src/membership/index.js';

describe('linkSpecsFromAddresses', () => {
  it('pairs addresses link by link on the heartbeat port', () => {
    expect(
      linkSpecsFromAddresses(['192.168.110.22', '10.0.0.1'], ['192.168.110.23', '10.0.0.2'], 7790),
    ).toEqual({
      ok: true,
      value: [
        { localAddress: '192.168.110.22', localPort: 7790, peerAddress: '192.168.110.23', peerPort: 7790 },
        { localAddress: '10.0.0.1', localPort: 7790, peerAddress: '10.0.0.2', peerPort: 7790 },
      ],
    });
  });

  it('refuses mismatched or empty lists', () => {
    expect(linkSpecsFromAddresses(['a'], ['b', 'c'], 1).ok).toBe(false);
    expect(linkSpecsFromAddresses([], [], 1).ok).toBe(false);
  });
});
