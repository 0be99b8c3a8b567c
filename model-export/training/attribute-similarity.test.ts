import { describe, expect, it } from 'vitest';
import { buildItemFeatures } from '../../core/model/features.ts';
import type { Dataset } from '../data/dataset.ts';
import { rng } from '../../core/random.ts';
import { ATTRIBUTE_WINDOW, AttributeSimilarity, evaluateAttributeSimilarity, rankWithTiebreak, tiebreakOrder } from './attribute-similarity.ts';
import { PROTOCOL } from './evaluate.ts';

/** Items 1..7: `x` is on every item (so it weighs nothing), the rest on some; `d` on one. */
const items = [['a', 'x'], ['a', 'b', 'x'], ['b', 'x'], ['c', 'x'], ['c', 'a', 'x'], ['x'], ['d', 'b', 'x']];

/** The baseline's definition written densely, as a reference: cosine of TF-IDF vectors (idf = ln(N / df)) with the sum of the last 3 unit vectors. */
function referenceCosines(itemNames: string[][], history: number[]): number[] {
  const vocab = [...new Set(itemNames.flat())];
  const idf = vocab.map((n) => Math.log(itemNames.length / itemNames.filter((i) => i.includes(n)).length));
  const unit = itemNames.map((names) => {
    const v = vocab.map((n, k) => (names.includes(n) ? idf[k]! : 0));
    const norm = Math.hypot(...v);
    return v.map((x) => (norm > 0 ? x / norm : 0));
  });
  const profile = vocab.map((_, k) => history.slice(-3).reduce((s, i) => s + unit[i - 1]![k]!, 0));
  const pn = Math.hypot(...profile);
  return [0, ...unit.map((v) => (pn > 0 ? v.reduce((s, x, k) => s + x * profile[k]!, 0) / pn : 0))];
}

const scoresOf = (sim: AttributeSimilarity, history: number[]): Float64Array => {
  const out = new Float64Array(sim.count + 1);
  sim.scores(history, out);
  return out;
};

describe('AttributeSimilarity', () => {
  const sim = new AttributeSimilarity(items);

  it('scores each item by the cosine of its TF-IDF vector with the sum of the last history items\' vectors', () => {
    for (const history of [[1], [2], [1, 4], [7, 3, 5], [6], [2, 2, 4]]) {
      const scores = scoresOf(sim, history);
      const expected = referenceCosines(items, history);
      // The scores are the cosines times the profile's length, the same for every item of one history.
      const length = Math.max(...scores) / Math.max(...expected);
      expected.forEach((c, i) => expect(scores[i]! / (length || 1), `history ${history}, item ${i}`).toBeCloseTo(c, 10));
    }
    expect(scoresOf(sim, [1])[1]).toBeCloseTo(1, 12); // an item against itself: cosine 1
  });

  it('reads only the last 3 items of a history', () => {
    expect(ATTRIBUTE_WINDOW).toBe(3);
    expect(scoresOf(sim, [4, 1, 2, 3])).toEqual(scoresOf(sim, [1, 2, 3]));
    expect(scoresOf(sim, [4, 1, 2])).not.toEqual(scoresOf(sim, [1, 2]));
  });

  it('gives an attribute every item has no weight, and an item with nothing else no score', () => {
    const s = scoresOf(sim, [1, 4]);
    expect(s[6]).toBe(0);
    expect(s[0]).toBe(0);
    // Item 3 shares only x with items 1 and 4.
    expect(s[3]).toBe(0);
    expect(s[5]).toBeGreaterThan(s[2]!);
  });

  it('ignores history indices outside its items, and starts each history afresh', () => {
    expect(scoresOf(sim, [0, 99, 1])).toEqual(scoresOf(sim, [1]));
    scoresOf(sim, [7, 7]);
    expect(scoresOf(sim, [4])).toEqual(scoresOf(new AttributeSimilarity(items), [4]));
  });

  it('reads the names of a trained model\'s features', () => {
    const features = buildItemFeatures([['a', 'x'], ['x'], ['b', 'x', 'a']], 1);
    expect(AttributeSimilarity.namesOf(features)).toEqual([['a', 'x'], ['x'], ['a', 'b', 'x']]);
  });
});

describe('rankWithTiebreak', () => {
  const scores = Float64Array.from([0, 5, 2, 2, 2, 1, 7]);
  const order = Uint32Array.from([0, 4, 2, 0, 5, 1, 3]);

  it('counts higher scores, and equal ones only where the tiebreak order puts them first', () => {
    // Target 2 (score 2, order 2): item 6 and 1 score higher, item 3 (order 0) ties ahead, item 4 (order 5) behind.
    expect(rankWithTiebreak(scores, 2, new Set(), order)).toBe(3);
    expect(rankWithTiebreak(scores, 4, new Set(), order)).toBe(4);
    expect(rankWithTiebreak(scores, 6, new Set(), order)).toBe(0);
  });

  it('leaves out the items seen before, never the target itself', () => {
    expect(rankWithTiebreak(scores, 2, new Set([6, 3, 2]), order)).toBe(1);
    expect(rankWithTiebreak(scores, 5, new Set([1, 5]), order)).toBe(4);
  });
});

describe('tiebreakOrder', () => {
  it('puts the items seen more often in training first, equals in a seeded order', () => {
    const counts = Float64Array.from([0, 1, 5, 0, 5, 2, 0]);
    const order = tiebreakOrder(counts, rng(3));
    const byPlace = [1, 2, 3, 4, 5, 6].sort((a, b) => order[a]! - order[b]!);
    expect(byPlace.slice(0, 2).sort()).toEqual([2, 4]);
    expect(byPlace.slice(2, 4)).toEqual([5, 1]);
    expect(byPlace.slice(4).sort()).toEqual([3, 6]);
    expect(tiebreakOrder(counts, rng(3))).toEqual(order);
    // Another seed may order the equals differently, never across counts.
    const other = tiebreakOrder(counts, rng(4));
    expect(other[5]).toBe(2);
    expect(other[1]).toBe(3);
  });
});

describe('evaluateAttributeSimilarity', () => {
  it('breaks equal attribute scores by popularity in training, counting cold items as never seen', () => {
    // Every item has the same attributes, so every score ties. Training parts: 3 three times, 2 twice, 1 and 6 once.
    const same: Dataset = {
      itemIds: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
      users: ['u1', 'u2', 'u3', 'u4'],
      sequences: [[3, 2, 1, 8, 3], [3, 2, 7, 4], [3, 5, 6], [6, 6, 6]],
    };
    const names = same.itemIds.map(() => ['cat:x']);
    // u1's target 3 is the most popular item: first (the target is never excluded as seen).
    const warm = evaluateAttributeSimilarity(same, names, { target: 'test', seed: 5, users: [0] });
    expect(warm.metrics['NDCG@10']).toBe(1);
    // Held out, item 3 counts 0: item 6 (once), unseen by u1, now ranks ahead of it.
    const cold = evaluateAttributeSimilarity(same, names, { target: 'test', seed: 5, cold: new Set([3]) });
    expect(cold).toMatchObject({ users: 4, warm: { users: 3 }, cold: { users: 1 } });
    expect(cold.cold!['NDCG@10']).toBeLessThanOrEqual(1 / Math.log2(3));
  });

  // Twenty items in two categories of ten: 1-10 are `cat:a`, 11-20 `cat:b`; odd items also `brand:odd`.
  const names = Array.from({ length: 20 }, (_, i) => [i < 10 ? 'cat:a' : 'cat:b', ...(i % 2 === 0 ? ['brand:odd'] : [])]);
  const shop: Dataset = {
    itemIds: Array.from({ length: 20 }, (_, i) => `i${i + 1}`),
    users: ['u1', 'u2', 'u3'],
    sequences: [
      // Odd cat:a items, then target 7: ties only with item 9, the other unseen odd cat:a item (rank 0 or 1).
      [1, 3, 5, 7],
      // Last three 12, 13, 14 (cat:b), then target 20: ties only with 16 and 18, the unseen even cat:b items (rank 0-2).
      [11, 12, 13, 14, 20],
      // Odd cat:a items, then target 12 (even cat:b, nothing shared): the 8 unseen cat:a and 5 odd cat:b items rank above (rank 13-17).
      [1, 3, 12],
    ],
  };

  it('ranks every item under the protocol, with warm and cold users apart', () => {
    const result = evaluateAttributeSimilarity(shop, names, { target: 'test', seed: 1, cold: new Set([7, 12]) });
    expect(result).toMatchObject({ protocol: PROTOCOL, users: 3, items: 20 });
    expect(result.metrics['HR@5']).toBeCloseTo(2 / 3, 12);
    expect(result.metrics['HR@10']).toBeCloseTo(2 / 3, 12);
    expect(result.metrics['HR@20']).toBe(1);
    expect(result.warm).toMatchObject({ users: 1, 'HR@10': 1 });
    expect(result.cold).toMatchObject({ users: 2, 'HR@10': 0.5 });
    expect([1 / 2, 1 / Math.log2(3) / 2]).toContain(result.cold!['NDCG@10']);
  });

  it('breaks ties by a seeded order: items without attributes score like chance', () => {
    const flat: Dataset = {
      itemIds: Array.from({ length: 50 }, (_, i) => `i${i + 1}`),
      users: Array.from({ length: 400 }, (_, u) => `u${u}`),
      sequences: Array.from({ length: 400 }, (_, u) => [50, 50, 1 + (u % 49)]),
    };
    const none = Array.from({ length: 50 }, () => []);
    const hr10 = evaluateAttributeSimilarity(flat, none, { target: 'test', seed: 7 }).metrics['HR@10'];
    expect(hr10).toBeCloseTo(10 / 49, 1);
    expect(evaluateAttributeSimilarity(flat, none, { target: 'test', seed: 7 })).toEqual(evaluateAttributeSimilarity(flat, none, { target: 'test', seed: 7 }));
  });

  it('refuses attributes for a different number of items than the data has', () => {
    expect(() => evaluateAttributeSimilarity(shop, names.slice(1), { target: 'test', seed: 1 })).toThrow(/19 items, the data has 20/);
  });
});
