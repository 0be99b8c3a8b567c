import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.ts';
import { AGGREGATION_DEFAULTS, RoundAggregator } from './aggregate.ts';
import { TRENDING_EVIDENCE_SIGMAS, trendingEvidence } from './trending.ts';

describe('trendingEvidence', () => {
  it('takes the median count as the cover baseline and passes only rows 5σ_e above it, with their excess', () => {
    // 9 items at cover level 12..14, one at 45; σ_c = 4: b = 13, margin 5·√(16 + 13) ≈ 26.9.
    const counts = [12, 13, 14, 13, 12, 45, 14, 13, 12, 13];
    const out = trendingEvidence(counts, 4);
    expect(out.baseline).toBe(13);
    expect(out.margin).toBeCloseTo(TRENDING_EVIDENCE_SIGMAS * Math.sqrt(16 + 13));
    expect(out.excess).toEqual(new Map([[6, 32]]));
    // Just below the margin is not evidence: cover plus noise does that now and then.
    expect(trendingEvidence([...counts.slice(0, 5), 13 + 26.8, ...counts.slice(6)], 4).excess.size).toBe(0);
  });

  it('counts the cover spread even without noise, and at least one device of spread without cover', () => {
    expect(trendingEvidence([0, 0, 0, 4, 6], 0)).toEqual({ baseline: 0, margin: 5, excess: new Map([[5, 6]]) });
    expect(trendingEvidence([], 4)).toEqual({ baseline: 0, margin: 0, excess: new Map() });
  });
});

describe('RoundAggregator trending', () => {
  const config: ModelConfig = { numItems: 40, dim: 2, blocks: 0, heads: 1, maxLen: 2 };
  const row = (indices: number[]) => ({ dense: new Map(), rows: { indices: Uint32Array.from(indices), values: new Float32Array(indices.length * 2).fill(0.01) } });

  it('reads every row\'s noisy count and reports the released items well above the cover', () => {
    // 30 updates of 8 rows: items 1 and 2 in every one, then 6 cover rows walking round items 3..40.
    const agg = new RoundAggregator(config, { ...AGGREGATION_DEFAULTS, countNoiseMultiplier: 0, noiseMultiplier: 0, maxRowsPerClient: 8, releaseThreshold: 20 });
    let next = 0;
    for (let k = 0; k < 30; k++) agg.add(row([1, 2, ...Array.from({ length: 6 }, () => 3 + (next++ % 38))].sort((a, b) => a - b)));
    const out = agg.finish(() => 0);
    expect([...out.rowCounts.keys()]).toEqual([1, 2]); // only they reached the release threshold
    expect(out.trending.baseline).toBeCloseTo(5); // 180 cover rows over 38 items: 4 or 5 each
    expect([...out.trending.excess.keys()]).toEqual([1, 2]);
    expect(out.trending.excess.get(1)).toBeCloseTo(25);
  });

  it('counts each source once per row: 30 updates from 2 sources make nothing trend or release', () => {
    const settings = { ...AGGREGATION_DEFAULTS, countNoiseMultiplier: 0, noiseMultiplier: 0, maxRowsPerClient: 8, releaseThreshold: 20 };
    const agg = new RoundAggregator(config, settings);
    let next = 0;
    for (let k = 0; k < 30; k++) agg.add(row([1, 2, ...Array.from({ length: 6 }, () => 3 + (next++ % 38))].sort((a, b) => a - b)), `source-${k % 2}`);
    expect(agg.sources).toBe(2);
    const out = agg.finish(() => 0);
    expect(out.rowCounts.size).toBe(0);
    expect(out.trending.excess.size).toBe(0);
    expect(out.updates).toBe(30); // the sums still hold every update, each clipped
  });
});

describe('trendingEvidence limits: plausible movement', () => {
  it('passes only rows the round released, and counts no more than the round\'s sources', () => {
    const counts = [0, 0, 0, 40, 60];
    expect(trendingEvidence(counts, 0, { released: (r) => r === 5 }).excess).toEqual(new Map([[5, 60]]));
    expect(trendingEvidence(counts, 0, { sources: 50 }).excess).toEqual(new Map([[4, 40], [5, 50]]));
  });
});
