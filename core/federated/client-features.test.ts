/**
 * A device update for a model with content features (issue 18): the local model composes its rows'
 * vectors from their features as the published one does, held-out items use no id row, and the feature
 * table stays on the device unchanged (not in the update) until device updates move it too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/support/tf-backend.ts';
import type { ModelConfig } from '../model/config.ts';
import { buildItemFeatures } from '../model/features.ts';
import { initWeights } from '../model/weights.ts';
import { rng } from '../random.ts';
import { trainClientUpdate } from './client.ts';

const config: ModelConfig = { numItems: 40, dim: 8, blocks: 1, heads: 1, maxLen: 6, numFeatures: 7 };
const features = buildItemFeatures(Array.from({ length: 40 }, (_, i) => [`cat:${i % 4}`, `brand:${i % 3}`]), 2);

beforeAll(() => useTestBackend('cpu'));

describe('a device update for a model with content features', () => {
  it('trains, sends id rows and dense weights but no feature table, and refuses to train without the features', async () => {
    expect(features.names).toHaveLength(7);
    const cfg = config;
    const weights = initWeights(cfg, 3);
    const base = { config: cfg, weights, features, withoutId: [5] };
    const update = await trainClientUpdate(base, [3, 5, 9, 12, 3], { steps: 3, trainable: 'all', random: rng(1) });
    expect(update.lossAfter).toBeLessThan(update.lossBefore);
    expect(update.delta.rows.indices.length).toBeGreaterThan(0);
    expect([...update.delta.dense.keys()]).not.toContain('feat_emb');
    expect(update.delta.dense.size).toBeGreaterThan(0);
    await expect(trainClientUpdate({ config: cfg, weights }, [3, 5, 9, 12], { steps: 1 })).rejects.toThrow(/features are needed/);
  });
});
