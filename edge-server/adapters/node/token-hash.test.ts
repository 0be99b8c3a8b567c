import { describe, expect, it } from 'vitest';
import { tokenHash } from '../../federated/client-token.ts';
import { nodeTokenHash } from './token-hash.ts';

describe('nodeTokenHash', () => {
  it('gives the same digest as the Web Crypto tokenHash, so stored updates match across runtimes and restarts', async () => {
    for (const token of ['device-0001-token-abcdef', 'A'.repeat(128), 'bench-0000000000000001', 'x_y-Z0123456789ab']) {
      expect(nodeTokenHash(token)).toBe(await tokenHash(token));
    }
    expect(nodeTokenHash('device-0001-token-abcdef')).toMatch(/^[0-9a-f]{32}$/);
  });
});
