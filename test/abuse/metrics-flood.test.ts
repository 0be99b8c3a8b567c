import { describe, expect, it } from 'vitest';
import { COPY_KINDS, COPY_VARIANTS_PER_KIND } from '../../core/analytics.ts';
import { metricsFlood } from './metrics-flood.ts';

describe('a flood of forged metric batches (issue 14, must-have 3)', () => {
  it('is refused past the per-source limit and the day\'s cell cap, made-up variants are refused, and the read-out stays small', async () => {
    const outcome = await metricsFlood({ seconds: 4, forgedSources: 500, concurrency: 8, minPerPhase: 200 });
    for (const phase of Object.values(outcome.statuses)) for (const status of Object.keys(phase)) expect(Number(status)).toBeLessThan(500);
    // One address: past its burst, 429s.
    expect(outcome.statuses.oneSource[429]).toBeGreaterThan(0);
    expect(outcome.madeUpVariantBatches).toBeGreaterThan(0);
    expect(outcome.madeUpVariantAccepted).toBe(0);
    // Forged addresses pass the rate limit, but the cells they fill stop at the cap, and the drop is shown.
    expect(outcome.statuses.forgedSources[202]).toBeGreaterThan(0);
    // Placements x copy variants (every kind's, and `none`) x model versions.
    expect(outcome.readout.groupCount).toBeLessThanOrEqual(5 * (COPY_KINDS.length * COPY_VARIANTS_PER_KIND + 1) * 3);
    expect(outcome.readout.droppedEntries).toBeGreaterThan(0);
    expect(outcome.readout.bytes).toBeLessThan(1024 * 1024);
    expect(outcome.dashboard.bytes).toBeLessThan(2 * 1024 * 1024);
    expect(outcome.rssGrowthBytes).toBeLessThan(100 * 1024 * 1024);
  }, 180_000);
});
