import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../core/model/config.ts';
import { buildItemFeatures } from '../../core/model/features.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import { nextItemBatch, nextItemLoss } from '../../core/model/training.ts';
import { initWeights, type NamedWeights } from '../../core/model/weights.ts';
import { rng } from '../../core/random.ts';
import { CentralTraining, type AdamRecipe } from './central-training.ts';
import { useBackend } from './tf-node.ts';

const config: ModelConfig = { numItems: 30, dim: 8, blocks: 1, heads: 1, maxLen: 6 };
const recipe: AdamRecipe = { learningRate: 0.01, batchSize: 4, negatives: 10, dropout: 0.2, lossScale: 'pass' };

/** Users walking a ring of 30 items (i -> i+1), 3 to 8 items long, so batches differ in their number of targets. */
const ring = Array.from({ length: 24 }, (_, u) => Array.from({ length: 3 + (u % 6) }, (_, j) => ((u * 5 + j) % 30) + 1));

async function train(sequences: readonly number[][], r: AdamRecipe, passes: number, seed = 3): Promise<{ weights: NamedWeights; losses: number[] }> {
  const training = new CentralTraining(config, initWeights(config, 1), r, rng(seed));
  try {
    const losses: number[] = [];
    for (let p = 0; p < passes; p++) losses.push(await training.pass(sequences));
    return { weights: await training.model.exportWeights(), losses };
  } finally {
    await training.dispose();
  }
}

const values = (w: NamedWeights) => [...w].map(([name, t]) => [name, [...t.values]]);

beforeAll(async () => {
  await useBackend('cpu');
});

describe('CentralTraining', () => {
  it('gives the same weights and losses for the same seed, and others for another seed', async () => {
    const a = await train(ring, recipe, 2);
    const b = await train(ring, recipe, 2);
    expect(b.losses).toEqual(a.losses);
    expect(values(b.weights)).toEqual(values(a.weights));
    expect(values((await train(ring, recipe, 2, 4)).weights)).not.toEqual(values(a.weights));
  });

  it('learns the ring: the mean loss falls pass after pass', async () => {
    const { losses } = await train(ring, { ...recipe, dropout: 0 }, 8);
    expect(losses.at(-1)!, JSON.stringify(losses)).toBeLessThan(0.8 * losses[0]!);
  });

  it('leaves out sequences with no target without changing what it draws', async () => {
    const a = await train(ring, recipe, 1);
    const b = await train([[7], ...ring, []], recipe, 1);
    expect(values(b.weights)).toEqual(values(a.weights));
  });

  it('scales the loss by the pass\'s mean targets per batch, or by each batch\'s own targets', async () => {
    // One batch: its own targets are the pass's mean, so both scales step alike.
    const whole = { ...recipe, batchSize: ring.length };
    expect(values((await train(ring, { ...whole, lossScale: 'batch' }, 1)).weights)).toEqual(values((await train(ring, whole, 1)).weights));
    // Batches of different sizes: the scales differ.
    expect(values((await train(ring, { ...recipe, lossScale: 'batch' }, 1)).weights)).not.toEqual(values((await train(ring, recipe, 1)).weights));
  });
});

describe('ID dropout', () => {
  const fconfig: ModelConfig = { ...config, numFeatures: 3 };
  // Three features, each on ten of the ring's items.
  const features = buildItemFeatures(Array.from({ length: 30 }, (_, i) => [`f${i % 3}`]));

  async function trainWith(c: ModelConfig, r: AdamRecipe, seed = 3): Promise<NamedWeights> {
    const training = new CentralTraining(c, initWeights(c, 1), r, rng(seed), c.numFeatures ? { features } : {});
    try {
      await training.pass(ring);
      return await training.model.exportWeights();
    } finally {
      await training.dispose();
    }
  }

  it('leaves a dropped item its features\' vector alone, and its id row without gradient', () => {
    const model = SasRec.fromWeights(fconfig, initWeights(fconfig, 2), { trainable: true, features });
    try {
      const dropped = new Float32Array(31);
      dropped[4] = 1;
      const table = model.itemTable({ dropIds: dropped }).arraySync();
      const feat = model.param('feat_emb').arraySync() as number[][];
      const ids = model.param('item_emb').arraySync() as number[][];
      table[4]!.forEach((v, j) => expect(v).toBeCloseTo(feat[features.values[features.offsets[4]!]!]![j]!, 6));
      table[5]!.forEach((v, j) => expect(v).toBeCloseTo(ids[5]![j]! + feat[features.values[features.offsets[5]!]!]![j]!, 6));
      const batch = nextItemBatch([[3, 4, 5, 6]], fconfig.maxLen);
      const { grads } = tf.variableGrads(() => nextItemLoss(model, batch, { dropIds: dropped }), [model.variables.get('item_emb')!]);
      const g = Object.values(grads)[0]!.arraySync() as number[][];
      expect(g[4]!.every((v) => v === 0)).toBe(true);
      expect(g[5]!.some((v) => v !== 0)).toBe(true);
      tf.dispose(grads);
    } finally {
      model.dispose();
    }
  });

  it('changes what a model with features learns, the same for the same seed', async () => {
    const a = await trainWith(fconfig, { ...recipe, idDropout: 0.5 });
    expect(values(await trainWith(fconfig, { ...recipe, idDropout: 0.5 }))).toEqual(values(a));
    expect(values(await trainWith(fconfig, { ...recipe, idDropout: 0 }))).not.toEqual(values(a));
  });

  it('is off for an id-only model: it learns the same as without', async () => {
    expect(values(await trainWith(config, { ...recipe, idDropout: 0.5 }))).toEqual(values(await trainWith(config, recipe)));
  });

  it('refuses features that do not describe exactly the items trained', () => {
    const short = buildItemFeatures(Array.from({ length: 29 }, (_, i) => [`f${i % 3}`]));
    expect(() => new CentralTraining(fconfig, initWeights(fconfig, 1), recipe, rng(1), { features: short })).toThrow(/29 items/);
  });
});
