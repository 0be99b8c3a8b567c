import { describe, expect, expectTypeOf, it } from 'vitest';
import { CUTOFFS, RankingAccumulator, rankOf, type Metrics } from './ranking-metrics.ts';

describe('rankOf', () => {
  // column:          0(pad) 1    2    3    4    5
  const scores = [100, 0.5, 0.9, 0.5, 0.1, 0.7];

  it('counts the candidates that score at least as high as the target, ties against the target', () => {
    // 2 (0.9), 3 (0.5, a tie) and 5 (0.7) are not below item 1 (0.5)
    expect(rankOf(scores, 1, new Set())).toBe(3);
    expect(rankOf(scores, 2, new Set())).toBe(0);
    expect(rankOf(scores, 4, new Set())).toBe(4);
  });

  it('never counts the padding column, however high it scores', () => {
    expect(rankOf(scores, 2, new Set())).toBe(0);
    expect(rankOf([Infinity, 1, 2], 2, new Set())).toBe(0);
  });

  it('does not count items the user has already seen', () => {
    expect(rankOf(scores, 1, new Set([2, 5]))).toBe(1);
    expect(rankOf(scores, 4, new Set([1, 2, 3, 5]))).toBe(0);
  });

  it('does not count the target itself even when it is in the seen set', () => {
    expect(rankOf(scores, 2, new Set([2]))).toBe(0);
  });

  it('ranks a target last when every item scores the same, so a constant model scores zero', () => {
    const constant = new Float32Array(21).fill(0.25);
    expect(rankOf(constant, 7, new Set())).toBe(19);
    const acc = new RankingAccumulator();
    acc.add(rankOf(constant, 7, new Set()));
    expect(acc.result()['HR@10']).toBe(0);
  });

  it('reads one row of a row-major score matrix given its offset and width', () => {
    const matrix = [...[0, 3, 2, 1], ...[0, 1, 2, 3]];
    expect(rankOf(matrix, 1, new Set(), 0, 4)).toBe(0);
    expect(rankOf(matrix, 1, new Set(), 4, 4)).toBe(2);
    expect(rankOf(matrix, 3, new Set([2]), 4, 4)).toBe(0);
  });
});

describe('RankingAccumulator', () => {
  const ndcg = (rank: number): number => 1 / Math.log2(rank + 2);

  it('scores rank 0 as a hit with NDCG 1 at every cutoff', () => {
    const acc = new RankingAccumulator();
    acc.add(0);
    expect(acc.result()).toEqual({ 'HR@5': 1, 'NDCG@5': 1, 'HR@10': 1, 'NDCG@10': 1, 'HR@20': 1, 'NDCG@20': 1 });
  });

  it('scores rank 1 with NDCG 1/log2(3)', () => {
    const acc = new RankingAccumulator();
    acc.add(1);
    expect(acc.result()['NDCG@10']).toBeCloseTo(1 / Math.log2(3), 12);
    expect(acc.result()['NDCG@5']).toBeCloseTo(0.6309297535714575, 12);
  });

  it('counts rank k-1 as a hit at cutoff k and rank k as a miss', () => {
    for (const k of CUTOFFS) {
      const hit = new RankingAccumulator();
      hit.add(k - 1);
      expect(hit.result()[`HR@${k}`], `HR@${k}`).toBe(1);
      expect(hit.result()[`NDCG@${k}`], `NDCG@${k}`).toBeCloseTo(ndcg(k - 1), 12);
      const miss = new RankingAccumulator();
      miss.add(k);
      expect(miss.result()[`HR@${k}`], `HR@${k}`).toBe(0);
      expect(miss.result()[`NDCG@${k}`], `NDCG@${k}`).toBe(0);
    }
  });

  it('averages over every added user, misses included', () => {
    const acc = new RankingAccumulator();
    for (const rank of [0, 1, 4, 5, 10, 19, 20, 500]) acc.add(rank);
    const m = acc.result();

    expectTypeOf(m).toEqualTypeOf<Metrics>();
    expect(acc.count).toBe(8);
    expect(m['HR@5']).toBe(3 / 8);
    expect(m['HR@10']).toBe(4 / 8);
    expect(m['HR@20']).toBe(6 / 8);
    expect(m['NDCG@5']).toBeCloseTo((1 + ndcg(1) + ndcg(4)) / 8, 12);
    expect(m['NDCG@10']).toBeCloseTo((1 + ndcg(1) + ndcg(4) + ndcg(5)) / 8, 12);
    expect(m['NDCG@20']).toBeCloseTo((1 + ndcg(1) + ndcg(4) + ndcg(5) + ndcg(10) + ndcg(19)) / 8, 12);
    expect(m['NDCG@10']).toBeCloseTo(0.29675, 5); // the same sum, computed by hand
  });

  it('reports zeros, not NaN, before any user is added', () => {
    expect(Object.values(new RankingAccumulator().result())).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
