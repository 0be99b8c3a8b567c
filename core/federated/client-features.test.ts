/**
 * A device update for a model with content features (issue 18): the local model composes its rows'
 * vectors from their features as the published one does, held-out items use no id row, and the update
 * moves the feature table's rows too (at most `maxFeatureRows`, the ones training moved), clipped with
 * the rest and within the upload budget. A product new to the model (an item after `numItems`, known by
 * its features) trains its features' rows, never an id row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/support/tf-backend.ts';
import type { ModelConfig } from '../model/config.ts';
import { appendItemFeatures, buildItemFeatures, encodeItemFeatures, featuresOf, type ItemFeatures } from '../model/features.ts';
import { initWeights } from '../model/weights.ts';
import { rng } from '../random.ts';
import { decodeUpdate } from './codec.ts';
import { encodeClientUpdate, trainClientUpdate } from './client.ts';
import { deltaNorm } from './delta.ts';

const config: ModelConfig = { numItems: 40, dim: 8, blocks: 1, heads: 1, maxLen: 6, numFeatures: 7 };
const features = buildItemFeatures(Array.from({ length: 40 }, (_, i) => [`cat:${i % 4}`, `brand:${i % 3}`]), 2);

/** Rows of a `[rows, dim]` tensor that are not all zero. */
function nonZeroRows(values: Float32Array, dim: number): number[] {
  const rows: number[] = [];
  for (let r = 0; (r + 1) * dim <= values.length; r++) if (values.subarray(r * dim, (r + 1) * dim).some((v) => v !== 0)) rows.push(r);
  return rows;
}

beforeAll(() => useTestBackend('cpu'));

describe('a device update for a model with content features', () => {
  it('moves id rows, dense weights and the rows of the features it trained, and refuses to train without the features', async () => {
    expect(features.names).toHaveLength(7);
    const weights = initWeights(config, 3);
    const base = { config, weights, features, withoutId: [5] };
    const update = await trainClientUpdate(base, [3, 5, 9, 12, 3], { steps: 3, trainable: 'all', random: rng(1) });
    expect(update.lossAfter).toBeLessThan(update.lossBefore);
    expect(update.delta.rows.indices.length).toBeGreaterThan(0);
    const moved = nonZeroRows(update.delta.dense.get('feat_emb')!, config.dim);
    expect(moved.length).toBeGreaterThan(0);
    expect(update.featureRows).toBe(moved.length);
    // Only rows of features of the items the slice held (the padding row never).
    const read = new Set([...update.delta.rows.indices].flatMap((i) => [...featuresOf(features, i)]));
    for (const row of moved) expect(read.has(row)).toBe(true);
    expect(moved).not.toContain(0);
    // Clipped as one with the id rows and dense weights (the default clip norm is 1).
    expect(deltaNorm(update.delta)).toBeLessThanOrEqual(1 + 1e-5);
    expect(update.norm).toBeGreaterThanOrEqual(deltaNorm(update.delta) - 1e-5);
    await expect(trainClientUpdate({ config, weights }, [3, 5, 9, 12], { steps: 1 })).rejects.toThrow(/features are needed/);
  });

  it('moves at most maxFeatureRows feature rows, and only the item rows and feature rows with trainable: items', async () => {
    const weights = initWeights(config, 4);
    const update = await trainClientUpdate({ config, weights, features }, [1, 2, 3, 4, 5, 6], { steps: 2, trainable: 'items', maxFeatureRows: 2, random: rng(2) });
    expect([...update.delta.dense.keys()]).toEqual(['feat_emb']);
    expect(nonZeroRows(update.delta.dense.get('feat_emb')!, config.dim).length).toBe(2);
    await expect(trainClientUpdate({ config, weights, features }, [1, 2], { maxFeatureRows: -1 })).rejects.toThrow(/maxFeatureRows/);
  });

  it('trains a product new to the model through its features: no id row for it, its features move', async () => {
    const weights = initWeights(config, 5);
    // Item 41: new since training, of a brand no model item has, in a known category.
    const extended: ItemFeatures = appendItemFeatures(features, encodeItemFeatures(features.names, [['cat:1', 'brand:new']]));
    const withNew = buildItemFeatures([...Array.from({ length: 40 }, (_, i) => [`cat:${i % 4}`, `brand:${i % 3}`]), ['cat:1', 'brand:2']], 2);
    expect(withNew.names).toEqual(features.names);
    const newItem = config.numItems + 1;
    for (const f of [extended, withNew]) {
      const update = await trainClientUpdate({ config, weights, features: f }, [3, newItem, 9, newItem], { steps: 3, rows: 'sequence', random: rng(3) });
      expect([...update.delta.rows.indices]).not.toContain(newItem);
      expect(Math.max(...update.delta.rows.indices)).toBeLessThanOrEqual(config.numItems);
      expect(update.historyRows).toBe(2);
      const moved = new Set(nonZeroRows(update.delta.dense.get('feat_emb')!, config.dim));
      for (const row of featuresOf(f, newItem)) expect(moved.has(row)).toBe(true);
    }
    await expect(trainClientUpdate({ config, weights, features }, [3, newItem], {})).rejects.toThrow(/outside 1\.\.40/);
  });

  it('stays within the 20 KB upload budget for a Beauty-sized model with a Beauty-sized vocabulary', async () => {
    const big: ModelConfig = { numItems: 12_101, dim: 64, blocks: 2, heads: 1, maxLen: 50, numFeatures: 660 };
    const names = Array.from({ length: big.numItems }, (_, i) => [`cat:${i % 200}`, `sub:${i % 400}`, `brand:${i % 60}`]);
    const many = buildItemFeatures(names, 1);
    const cfg = { ...big, numFeatures: many.names.length };
    const weights = initWeights(cfg, 6);
    const sequence = Array.from({ length: 20 }, (_, i) => 1 + ((i * 613) % big.numItems));
    const update = await trainClientUpdate({ config: cfg, weights, features: many }, sequence, { steps: 1, random: rng(4) });
    expect(update.featureRows).toBe(32);
    const bytes = encodeClientUpdate(update.delta, { model: 'default', baseVersion: 'v1', config: cfg });
    expect(bytes.length).toBeLessThanOrEqual(20 * 1024);
    const decoded = decodeUpdate(bytes);
    // Every kept feature row arrives whole.
    expect(nonZeroRows(decoded.dense.get('feat_emb')!, cfg.dim).length).toBe(32);
  });
});
