import { describe, expect, it } from 'vitest';
import { residualRisk } from './sybil-simulation.ts';

describe('residual risk of a Sybil attack, offline with the server\'s aggregator (issue 14, must-have 1)', () => {
  it('takes one address before the per-source limits and dozens after', async () => {
    const out = await residualRisk({ users: 2000, evalUsers: 600, epochs: 1, trials: 1, maxAddresses: 300, backend: 'cpu' });
    expect(out.before.addresses).toBe(1);
    // Exposure the attack adds to the start model's (a median item may be in a few users' top 10 already).
    expect(out.before.exposure - out.startExposure).toBeGreaterThanOrEqual(0.01);
    // 20 updates per address and a row counted once per address: the target row moves only when about
    // 96 addresses (the release threshold, less noise) carry it.
    expect(out.after.addressesNeeded).not.toBe(1);
    expect(out.after.addressesNeeded ?? Infinity).toBeGreaterThanOrEqual(30);
    expect((out.after.tried.find((t) => t.addresses <= 20)?.exposure ?? 0) - out.startExposure).toBeLessThan(0.01);
  }, 300_000);
});
