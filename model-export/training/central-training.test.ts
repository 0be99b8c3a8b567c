import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../core/model/config.ts';
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
    training.dispose();
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
