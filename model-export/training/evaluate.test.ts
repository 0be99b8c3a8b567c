import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { RankingAccumulator, rankOf } from '../../core/ranking-metrics.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import { buildItemFeatures } from '../../core/model/features.ts';
import { initWeights } from '../../core/model/weights.ts';
import type { Dataset } from '../data/dataset.ts';
import { evaluate, evaluatePopularity, PROTOCOL, type Evaluation } from './evaluate.ts';

const numItems = 30;
const config: ModelConfig = { numItems, dim: 2, blocks: 0, heads: 1, maxLen: 3 };

/**
 * A model whose scores ignore the history: with no blocks and final layer-norm gain 0, every hidden state is
 * the layer-norm bias (1, 0), so item i scores its first embedding coordinate, here 31 - i: item 1 ranks
 * first, item 30 last, for every user.
 */
function fixedOrderModel(): SasRec {
  const w = initWeights(config, 1);
  const emb = w.get('item_emb')!.values;
  emb.fill(0);
  for (let i = 1; i <= numItems; i++) emb[i * 2] = 31 - i;
  w.get('final_ln.gamma')!.values.fill(0);
  w.get('final_ln.beta')!.values.set([1, 0]);
  return SasRec.fromWeights(config, w);
}

const data: Dataset = {
  itemIds: Array.from({ length: numItems }, (_, i) => `i${i + 1}`),
  users: ['a', 'b', 'c', 'd'],
  sequences: [
    // test: target 7 after 1..6, all better items seen -> rank 0. valid: target 6 after 1..5 -> rank 0.
    [1, 2, 3, 4, 5, 6, 7],
    // test: target 12 after 20, 21 -> items 1..11 rank higher -> rank 11. valid: target 21 after 20 -> rank 19.
    [20, 21, 12],
    // test: target 3 after 9, 2 -> only item 1 ranks higher -> rank 1. valid: target 2 after 9 -> rank 1.
    [9, 2, 3],
    // too short for leave-one-out: not evaluated.
    [1, 2],
  ],
};

const ndcg = (rank: number): number => 1 / Math.log2(rank + 2);

let model: SasRec;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = fixedOrderModel();
});

afterAll(() => model.dispose());

describe('evaluate', () => {
  it('ranks each test target against all items with the items seen before it excluded', async () => {
    const scores = await model.scoreBatch([[5], [29, 28]]);
    expect(scores[1]).toBe(30);
    expect(scores[numItems + 1 + 30]).toBe(1); // second row, item 30

    const result = await evaluate(model, data, { target: 'test' });

    expectTypeOf(result).toEqualTypeOf<Evaluation>();
    expect(result.protocol).toBe(PROTOCOL);
    expect(result.users).toBe(3);
    expect(result.items).toBe(numItems);
    // Ranks 0, 11, 1.
    expect(result.metrics['HR@5']).toBeCloseTo(2 / 3, 12);
    expect(result.metrics['HR@10']).toBeCloseTo(2 / 3, 12);
    expect(result.metrics['HR@20']).toBe(1);
    expect(result.metrics['NDCG@5']).toBeCloseTo((1 + ndcg(1)) / 3, 12);
    expect(result.metrics['NDCG@10']).toBeCloseTo((1 + 1 / Math.log2(3)) / 3, 12);
    expect(result.metrics['NDCG@20']).toBeCloseTo((1 + ndcg(11) + ndcg(1)) / 3, 12);
  });

  it('excludes seen items that lie beyond the model window', async () => {
    // User a's test history 1..6 is longer than maxLen 3; items 1..3 must still be excluded, or its rank would be 3.
    const result = await evaluate(model, data, { target: 'test', users: [0] });
    expect(result.users).toBe(1);
    expect(result.metrics['NDCG@5']).toBe(1);
  });

  it('ranks each validation target from the history before it', async () => {
    const result = await evaluate(model, data, { target: 'valid' });
    // Ranks 0, 19, 1.
    expect(result.users).toBe(3);
    expect(result.metrics['HR@5']).toBeCloseTo(2 / 3, 12);
    expect(result.metrics['HR@20']).toBe(1);
    expect(result.metrics['NDCG@10']).toBeCloseTo((1 + ndcg(1)) / 3, 12);
    expect(result.metrics['NDCG@20']).toBeCloseTo((1 + ndcg(19) + ndcg(1)) / 3, 12);
  });

  it('evaluates only the chosen users', async () => {
    const result = await evaluate(model, data, { target: 'test', users: [1, 3] });
    expect(result.users).toBe(1);
    expect(result.metrics['HR@20']).toBe(1);
    expect(result.metrics['HR@10']).toBe(0);
    expect(result.metrics['NDCG@20']).toBeCloseTo(ndcg(11), 12);
  });

  it('gives the same result whatever the batch size', async () => {
    const whole = await evaluate(model, data, { target: 'test' });
    expect(await evaluate(model, data, { target: 'test', batchSize: 1 })).toEqual(whole);
    expect(await evaluate(model, data, { target: 'test', batchSize: 2 })).toEqual(whole);
  });

  it('scores each user as the model scores that user alone, in batches of histories of mixed lengths', async () => {
    // A model whose scores do depend on the history, and users whose histories differ in length.
    const cfg: ModelConfig = { numItems: 40, dim: 8, blocks: 1, heads: 2, maxLen: 6 };
    const w = initWeights(cfg, 4);
    for (const t of w.values()) if (t.shape.length === 2) t.values.forEach((v, i) => (t.values[i] = v * 20));
    const m = SasRec.fromWeights(cfg, w);
    try {
      let s = 3;
      const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 40;
      const sequences = Array.from({ length: 24 }, (_, u) => Array.from({ length: 3 + (u % 9) }, () => 1 + next()));
      const mixed: Dataset = { itemIds: Array.from({ length: 40 }, (_, i) => `i${i + 1}`), users: sequences.map((_, u) => `u${u}`), sequences };

      const reference = new RankingAccumulator();
      for (const seq of sequences) {
        const history = seq.slice(0, -1);
        reference.add(rankOf(await m.scoreBatch([history]), seq[seq.length - 1]!, new Set(history)));
      }
      const result = await evaluate(m, mixed, { target: 'test', batchSize: 8 });
      for (const [k, v] of Object.entries(reference.result())) expect(result.metrics[k as keyof typeof result.metrics], k).toBeCloseTo(v, 9);
    } finally {
      m.dispose();
    }
  });
});

describe('evaluate, warm and cold', () => {
  it('groups users by whether their test item is cold, the overall figures unchanged', async () => {
    const all = await evaluate(model, data, { target: 'test' });
    // Ranks: user a 0 (target 7), b 11 (target 12), c 1 (target 3). Item 12 is cold.
    const result = await evaluate(model, data, { target: 'test', cold: new Set([12, 29]) });
    expect(result.metrics).toEqual(all.metrics);
    expect(result.users).toBe(3);
    expect(result.warm).toEqual({ users: 2, 'HR@10': 1, 'NDCG@10': (1 + ndcg(1)) / 2 });
    expect(result.cold).toEqual({ users: 1, 'HR@10': 0, 'NDCG@10': 0 });
    expect(all.warm).toBeUndefined();
    expect(all.cold).toBeUndefined();
    expect(Object.keys(result)).toEqual(['protocol', 'users', 'items', 'metrics', 'warm', 'cold']);
  });

  it('ranks against the items a model has from features alone, and reads them in histories', async () => {
    // Items 1-4 have id rows, 5 and 6 features only (new since training). As in fixedOrderModel, every
    // hidden state is (1, 0), so an item scores the first coordinate of its vector: id row + mean of its
    // features' rows. Items 1-4 score 4, 3, 2, 1; item 5 (feature f2) 10; item 6 (feature f1) 0.
    const cfg: ModelConfig = { numItems: 4, dim: 2, blocks: 0, heads: 1, maxLen: 3, numFeatures: 2 };
    const w = initWeights(cfg, 1);
    w.get('item_emb')!.values.set([0, 0, 4, 0, 3, 0, 2, 0, 1, 0]);
    w.get('feat_emb')!.values.set([0, 0, 0, 0, 10, 0]);
    w.get('final_ln.gamma')!.values.fill(0);
    w.get('final_ln.beta')!.values.set([1, 0]);
    const features = buildItemFeatures([[], [], [], [], ['f2'], ['f1']], 1);
    const m = SasRec.fromWeights(cfg, w, { features });
    try {
      const shop: Dataset = {
        itemIds: ['a', 'b', 'c', 'd', 'new5', 'new6'],
        users: ['u1', 'u2', 'u3'],
        // u1: target 5 ranks first (0). u2: target 6 after 5, 1: items 2, 3, 4 above it (3). u3: target 3 after 1, 2: item 5 above (1).
        sequences: [[1, 2, 5], [5, 1, 6], [1, 2, 3]],
      };
      const result = await evaluate(m, shop, { target: 'test', cold: new Set([5, 6]) });
      expect(result.items).toBe(6);
      expect(result.metrics['NDCG@5']).toBeCloseTo((1 + ndcg(3) + ndcg(1)) / 3, 12);
      expect(result.cold).toEqual({ users: 2, 'HR@10': 1, 'NDCG@10': (1 + ndcg(3)) / 2 });
      expect(result.warm).toEqual({ users: 1, 'HR@10': 1, 'NDCG@10': ndcg(1) });
    } finally {
      m.dispose();
    }
  });
});

describe('evaluatePopularity', () => {
  // Training parts (all but the last two items): item 3 occurs 4 times, item 2 three times, item 4 once;
  // items 1, 5 and 6 tie at 0.
  const shop: Dataset = {
    itemIds: ['a', 'b', 'c', 'd', 'e', 'f'],
    users: ['u1', 'u2', 'u3', 'u4', 'u5'],
    sequences: [
      [3, 2, 4, 5, 3], // test 3 after 3,2,4,5: seen before, but the target is never excluded -> rank 0
      [3, 2, 6, 2], // test 2 after 3,2,6: 3 is seen -> rank 0
      [3, 2, 1, 6], // test 6 after 3,2,1: 4 ranks above, 5 ties -> rank 1 or 2
      [3, 1, 5], // test 5 after 3,1: 2 and 4 rank above, 6 ties -> rank 2 or 3
      [1], // too short: neither evaluated nor counted
    ],
  };

  it('ranks every item by its count in the training parts, under the same protocol', () => {
    const result = evaluatePopularity(shop, { target: 'test', seed: 1 });
    expect(result).toMatchObject({ protocol: PROTOCOL, users: 4, items: 6 });
    expect(result.metrics['HR@5']).toBe(1);
    const possible = [1, 2].flatMap((r3) => [2, 3].map((r4) => (2 + ndcg(r3) + ndcg(r4)) / 4));
    expect(possible.some((v) => Math.abs(v - result.metrics['NDCG@5']) < 1e-12), `NDCG@5 ${result.metrics['NDCG@5']}`).toBe(true);
  });

  it('breaks ties by a seeded order, not against the target: a catalog of equals scores like chance', () => {
    const flat: Dataset = {
      itemIds: Array.from({ length: 50 }, (_, i) => `i${i + 1}`),
      users: Array.from({ length: 400 }, (_, u) => `u${u}`),
      sequences: Array.from({ length: 400 }, (_, u) => [50, 50, 1 + (u % 49)]),
    };
    // Every history holds item 50 only; the 49 others tie at count 0 and the target is one of them.
    const hr10 = evaluatePopularity(flat, { target: 'test', seed: 7 }).metrics['HR@10'];
    expect(hr10).toBeCloseTo(10 / 49, 1);
    expect(evaluatePopularity(flat, { target: 'test', seed: 7 })).toEqual(evaluatePopularity(flat, { target: 'test', seed: 7 }));
  });

  it('counts a cold item as never seen, and groups users by their test item', () => {
    // Training parts: item 1 four times, item 2 twice, item 4 three times. User u2's test item is 1.
    const data: Dataset = {
      itemIds: ['a', 'b', 'c', 'd', 'e'],
      users: ['u1', 'u2', 'u3'],
      sequences: [
        [1, 1, 1, 2, 2, 4, 5],
        [1, 2, 3, 1],
        [4, 4, 4, 3, 5],
      ],
    };
    const warm = evaluatePopularity(data, { target: 'test', seed: 3 });
    const cold = evaluatePopularity(data, { target: 'test', seed: 3, cold: new Set([1]) });
    expect(cold.users).toBe(3);
    expect(cold.cold!.users).toBe(1);
    expect(cold.warm!.users).toBe(2);
    // Counted, item 1 is u2's best unseen item (rank 0); cold, it has no count and item 4 (3) ranks above it.
    expect(warm.metrics['NDCG@5']).toBeGreaterThan(cold.metrics['NDCG@5']);
    expect(cold.cold!['NDCG@10']).toBeLessThanOrEqual(ndcg(1));
  });
});
