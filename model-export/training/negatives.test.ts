import { describe, expect, it } from 'vitest';
import { rng } from '../../core/random.ts';
import { NegativeSampler } from './negatives.ts';

describe('NegativeSampler', () => {
  // Items 1..3 seen 0, 9 and 99 times: popularity weights 1, 10, 100.
  const sequences = [[2, 3, 2, 2], Array(6).fill(2), Array(98).fill(3)];

  it('draws popularity negatives in proportion to training count plus one, never the padding index', () => {
    const sampler = NegativeSampler.from('popularity', 3, sequences);
    [1 / 111, 10 / 111, 100 / 111].forEach((p, i) => expect(sampler.probability(i + 1)).toBeCloseTo(p, 12));
    const counts = [0, 0, 0, 0];
    const random = rng(7);
    for (let d = 0; d < 200; d++) for (const i of sampler.draw(100, random).negatives) counts[i]!++;
    expect(counts[0]).toBe(0);
    expect(counts[1]! / 20000).toBeCloseTo(1 / 111, 2);
    expect(counts[2]! / 20000).toBeCloseTo(10 / 111, 2);
    expect(counts[3]! / 20000).toBeCloseTo(100 / 111, 2);
  });

  it('corrects each popularity negative by -log(expected draws), so the sampled softmax denominator is unbiased', () => {
    const numItems = 50;
    const seqs = Array.from({ length: 40 }, (_, u) => Array.from({ length: 1 + (u % 7) }, (_, j) => 1 + ((u * j * 7) % numItems)));
    const sampler = NegativeSampler.from('popularity', numItems, seqs);
    const random = rng(3);
    const logit = Array.from({ length: numItems + 1 }, (_, i) => Math.sin(i) * 2);
    const full = logit.slice(1).reduce((a, x) => a + Math.exp(x), 0);
    let estimate = 0;
    const draws = 4000;
    for (let d = 0; d < draws; d++) {
      const { negatives, bias } = sampler.draw(16, random);
      negatives.forEach((i, k) => {
        expect(bias![k]).toBeCloseTo(-Math.log(16 * sampler.probability(i)), 5);
        estimate += Math.exp(logit[i]! + bias![k]!);
      });
    }
    expect(estimate / draws / full).toBeCloseTo(1, 1);
    // Uncorrected, the popular items' logits would dominate the sum: the correction is what makes it unbiased.
    expect(Math.abs(estimate / draws / full - 1)).toBeLessThan(0.03);
  });

  it('draws uniform negatives without a correction, as the earlier recipe did', () => {
    const sampler = NegativeSampler.from('uniform', 10, sequences);
    const a = rng(5);
    const b = rng(5);
    const { negatives, bias } = sampler.draw(64, a);
    expect(bias).toBeUndefined();
    expect(Array.from(negatives)).toEqual(Array.from({ length: 64 }, () => 1 + Math.floor(b() * 10)));
    expect(sampler.probability(4)).toBe(0.1);
  });

  it('ignores indices outside the catalog and rejects a bad sampling or catalog size', () => {
    const sampler = NegativeSampler.from('popularity', 2, [[0, 1, 5, -1, 2, 2]]);
    expect(sampler.probability(1)).toBeCloseTo(2 / 5, 10);
    expect(sampler.probability(2)).toBeCloseTo(3 / 5, 10);
    expect(() => NegativeSampler.from('zipf' as 'uniform', 2, [])).toThrow(/unknown sampling "zipf"/);
    expect(() => NegativeSampler.from('popularity', 0, [])).toThrow(/positive integer/);
  });
});
