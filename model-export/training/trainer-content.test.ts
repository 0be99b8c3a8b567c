/**
 * Training with content features and held-out (cold) items: what the trainer may see under
 * `--cold-items`, the model it returns, and a small run in which a held-out item is ranked from its
 * features alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildItemFeatures } from '../../core/model/features.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import { rng } from '../../core/random.ts';
import { fromSequences, split } from '../data/dataset.ts';
import { useBackend } from './tf-node.ts';
import { trainModel, warmView } from './trainer.ts';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('warmView (what training sees under --cold-items)', () => {
  // Items a..f are 1..6; c and e are held out.
  const data = fromSequences(
    ['u1', 'u2', 'u3', 'u4'],
    [
      ['a', 'c', 'b', 'd', 'f'], // train a c b, valid d, test f
      ['a', 'b', 'c', 'e', 'd'], // valid e: held out
      ['c', 'e', 'a', 'b'], // train c e: nothing left before the validation item
      ['a', 'b'], // too short for leave-one-out
    ],
  );
  const held = new Set([3, 5]);
  const view = warmView(data, held);
  const named = (s: readonly number[]) => s.map((i) => view.data.itemIds[i - 1]);

  it('renumbers the items left, in their order', () => {
    expect(view.data.itemIds).toEqual(['a', 'b', 'd', 'f']);
    expect(view.items).toEqual([1, 2, 4, 6]);
  });

  it('trains on each user\'s training part without the held-out items, never on a validation or test item', () => {
    expect(view.train.map(named)).toEqual([['a', 'b'], ['a', 'b'], []]);
  });

  it('validates where the validation item is not held out and something is left before it', () => {
    const parts = view.data.sequences.map((s) => split(s));
    expect(parts[0]).toMatchObject({ train: [1, 2], valid: 3 });
    expect(parts.slice(1)).toEqual([null, null, null]);
    expect(view.data.users).toEqual(data.users);
  });
});

/**
 * 4 categories of 8 items (item i is in category floor((i - 1) / 8)); shoppers walk the categories in a
 * cycle, 0 -> 1 -> 2 -> 3 -> 0, picking an item at random in each. Each item's features: its category.
 */
function categoryWalks(users: number, seed: number) {
  const random = rng(seed);
  const sequences: string[][] = [];
  for (let u = 0; u < users; u++) {
    let c = Math.floor(random() * 4);
    const length = 5 + Math.floor(random() * 5);
    const s: string[] = [];
    for (let j = 0; j < length; j++, c = (c + 1) % 4) s.push(String(c * 8 + 1 + Math.floor(random() * 8)));
    sequences.push(s);
  }
  const itemIds = Array.from({ length: 32 }, (_, i) => String(i + 1));
  const data = fromSequences(sequences.map((_, u) => `u${u}`), sequences, itemIds);
  const category = (id: string): number => Math.floor((Number(id) - 1) / 8);
  const features = buildItemFeatures(data.itemIds.map((id) => [`cat:${category(id)}`]));
  return { data, features, category };
}

const TINY = { model: { dim: 8, blocks: 1, maxLen: 6 }, batchSize: 32, learningRate: 0.01, negatives: 0, dropout: 0.1, validateFrom: 1, patience: 20, seed: 5 };

describe('trainModel with content features and held-out items', () => {
  const { data, features, category } = categoryWalks(240, 11);
  // Item "10" (category 1) and "27" (category 3) are held out.
  const cold = new Set([data.itemIds.indexOf('10') + 1, data.itemIds.indexOf('27') + 1]);

  it('lowers the loss, and returns a model of every item with its features, the held-out ones recorded with all-zero id rows', async () => {
    const result = await trainModel(data, { ...TINY, epochs: 6, features, coldItems: cold });
    const losses = result.history.map((h) => h.loss);
    expect(losses.at(-1)!, JSON.stringify(losses)).toBeLessThan(0.85 * losses[0]!);
    expect(result.config).toMatchObject({ numItems: 32, numFeatures: 4 });
    expect(result.features).toBe(features);
    expect(result.coldItems).toEqual([...cold].sort((a, b) => a - b));
    const items = result.weights.get('item_emb')!;
    expect(items.shape).toEqual([33, 8]);
    const row = (i: number) => Array.from(items.values.subarray(i * 8, (i + 1) * 8));
    for (const i of cold) expect(row(i).every((v) => v === 0)).toBe(true);
    for (const i of [1, 9, 32]) expect(row(i).some((v) => v !== 0)).toBe(true);
    expect(result.weights.get('feat_emb')!.shape).toEqual([5, 8]);
  });

  it('ranks a held-out item from its features: after category 0, the held-out item of category 1 comes before every item of categories 2 and 3', async () => {
    const result = await trainModel(data, { ...TINY, epochs: 12, features, coldItems: cold });
    const model = SasRec.fromWeights(result.config, result.weights, { features: result.features!, withoutId: result.coldItems });
    try {
      const history = [data.itemIds.indexOf('3') + 1, data.itemIds.indexOf('29') + 1, data.itemIds.indexOf('5') + 1]; // categories 0, 3, 0
      const scores = await model.scoreBatch([history]);
      const held = data.itemIds.indexOf('10') + 1;
      const others = data.itemIds.map((id, i) => ({ id, i: i + 1 })).filter(({ id }) => category(id) >= 2);
      for (const { i, id } of others) expect(scores[held], `held-out item 10 vs item ${id}`).toBeGreaterThan(scores[i]!);
    } finally {
      model.dispose();
    }
  });

  it('an id-only model on a cold split has all-zero id rows for the held-out items and no feature table', async () => {
    const result = await trainModel(data, { ...TINY, epochs: 1, coldItems: cold });
    expect(result.config.numFeatures).toBeUndefined();
    expect(result.features).toBeUndefined();
    expect(result.weights.has('feat_emb')).toBe(false);
    const items = result.weights.get('item_emb')!;
    for (const i of cold) expect(Array.from(items.values.subarray(i * 8, (i + 1) * 8)).every((v) => v === 0)).toBe(true);
  });

  it('trains as before without held-out items or features (the same weights with an empty cold set)', async () => {
    const a = await trainModel(data, { ...TINY, epochs: 1 });
    const b = await trainModel(data, { ...TINY, epochs: 1, coldItems: new Set(), idDropout: 0.9 });
    expect([...b.weights].map(([n, w]) => [n, [...w.values]])).toEqual([...a.weights].map(([n, w]) => [n, [...w.values]]));
  });
});
