/**
 * Data-parallel training with real worker threads on tfjs-wasm (`gradient-workers.ts`), through the
 * trainer's loop (`CentralTraining`) and `trainModel`.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../core/model/config.ts';
import { buildItemFeatures, type ItemFeatures } from '../../core/model/features.ts';
import { initWeights, type NamedWeights } from '../../core/model/weights.ts';
import { rng } from '../../core/random.ts';
import { fromSequences } from '../data/dataset.ts';
import { CentralTraining, type AdamRecipe } from './central-training.ts';
import { GradientWorkers } from './gradient-workers.ts';
import { useBackend } from './tf-node.ts';
import { trainModel } from './trainer.ts';

const config: ModelConfig = { numItems: 30, dim: 8, blocks: 1, heads: 1, maxLen: 6 };
const recipe: AdamRecipe = { learningRate: 0.01, batchSize: 8, negatives: 10, dropout: 0.2, lossScale: 'pass' };
/** Users walking a ring of 30 items (i -> i+1), 3 to 8 items long: every batch packs into several rows. */
const ring = Array.from({ length: 48 }, (_, u) => Array.from({ length: 3 + (u % 6) }, (_, j) => ((u * 5 + j) % 30) + 1));
const featureConfig: ModelConfig = { ...config, numFeatures: 3 };
// Three features, each on ten of the ring's items.
const features = buildItemFeatures(Array.from({ length: 30 }, (_, i) => [`f${i % 3}`]));

interface Run {
  weights: NamedWeights;
  losses: number[];
}

async function train(workers: number, o: { recipe?: AdamRecipe; config?: ModelConfig; features?: ItemFeatures; seed?: number; decay?: number } = {}): Promise<Run> {
  const c = o.config ?? config;
  const training = new CentralTraining(c, initWeights(c, 1), o.recipe ?? recipe, rng(o.seed ?? 3), { workers, ...(o.features && { features: o.features }) });
  try {
    const losses = [await training.pass(ring)];
    // The trainer's decay on a plateau, between passes: the workers' optimizers must follow it.
    if (o.decay !== undefined) await training.decayLearningRate(o.decay);
    losses.push(await training.pass(ring));
    return { weights: await training.model.exportWeights(), losses };
  } finally {
    await training.dispose();
  }
}

/** Every tensor's bytes, by name: equal only where the weights are bit for bit the same. */
const bytes = (w: NamedWeights) => [...w].map(([name, t]) => [name, Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength).toString('base64')]);

/** The largest absolute difference between two sets of weights of the same shapes. */
function maxDifference(a: NamedWeights, b: NamedWeights): number {
  let max = 0;
  for (const [name, t] of a) t.values.forEach((v, i) => (max = Math.max(max, Math.abs(v - b.get(name)!.values[i]!))));
  return max;
}

/** OS threads of this process (Linux): each worker thread is one while it runs. */
const threads = (): number => readdirSync('/proc/self/task').length;

beforeAll(async () => {
  await useBackend('wasm');
});

describe('data-parallel training', () => {
  it('gives byte-identical weights and losses for the same seed with 2 workers, and others for another seed', async () => {
    const a = await train(2);
    const b = await train(2);
    expect(b.losses).toEqual(a.losses);
    expect(bytes(b.weights)).toEqual(bytes(a.weights));
    expect(bytes((await train(2, { seed: 4 })).weights)).not.toEqual(bytes(a.weights));
  });

  it('steps bit for bit as the calling thread does with 1 worker, dropout and ID dropout included', async () => {
    const idDropout = { recipe: { ...recipe, idDropout: 0.5 }, config: featureConfig, features };
    const [alone, one] = [await train(0, idDropout), await train(1, idDropout)];
    expect(one.losses).toEqual(alone.losses);
    expect(bytes(one.weights)).toEqual(bytes(alone.weights));
  });

  it('decays the learning rate in the workers\' optimizers as in the calling thread\'s, moments kept', async () => {
    const alone = await train(0, { decay: 0.25 });
    const worker = await train(1, { decay: 0.25 });
    expect(bytes(worker.weights)).toEqual(bytes(alone.weights));
    expect(worker.losses).toEqual(alone.losses);
    // And the decay does change the second pass's steps.
    const constant = await train(1);
    expect(bytes(constant.weights)).not.toEqual(bytes(worker.weights));
  });

  it('computes the whole batch\'s gradient across 2 workers: without dropout, feature table included, the weights match the calling thread\'s to float precision', async () => {
    const noDropout = { recipe: { ...recipe, dropout: 0, idDropout: 0.5 }, config: featureConfig, features };
    const [alone, two] = [await train(0, noDropout), await train(2, noDropout)];
    // The shards' losses, under the whole batch's denominator, sum to the batch's loss.
    two.losses.forEach((loss, i) => expect(loss).toBeCloseTo(alone.losses[i]!, 5));
    expect(maxDifference(two.weights, alone.weights)).toBeLessThan(1e-5);
    // The feature table trained in the workers (it moved from its start), as the calling thread trains it.
    expect(maxDifference(new Map([['feat_emb', two.weights.get('feat_emb')!]]), initWeights(featureConfig, 1))).toBeGreaterThan(1e-3);
  });

  it('turns a worker\'s failure into an error naming the worker, and stops every worker', async () => {
    await readFile(import.meta.filename); // Node's I/O threads start on first use: before the count, not during it.
    const before = threads();
    const broken = ring.map((s, u) => (u === 5 ? [1, 999, 2] : s));
    const training = new CentralTraining(config, initWeights(config, 1), recipe, rng(3), { workers: 2 });
    try {
      await expect(training.pass(broken)).rejects.toThrow(/training worker \d failed: .*index value 999/);
      // Still running until disposed (and counted): the count below sees them end.
      expect(threads()).toBeGreaterThanOrEqual(before + 2);
    } finally {
      await training.dispose();
    }
    expect(threads()).toBeLessThanOrEqual(before);
  });

  it('fails to start, stopping the workers already started, when a replica cannot be built', async () => {
    const before = threads();
    const weights = initWeights(config, 1);
    weights.delete('final_ln.gamma');
    await expect(GradientWorkers.start(2, { backend: 'wasm', config, weights, learningRate: 0.01 })).rejects.toThrow(/training worker \d failed: .*final_ln\.gamma/);
    expect(threads()).toBeLessThanOrEqual(before);
  });
});

describe('trainModel with workers', () => {
  // The ring's histories with two more steps each: what leave-one-out holds out for validation and test.
  const sequences = ring.map((s) => [...s, (s.at(-1)! % 30) + 1, ((s.at(-1)! + 1) % 30) + 1].map(String));
  const data = fromSequences(sequences.map((_, u) => `u${u}`), sequences);
  const tiny = { model: { dim: 8, blocks: 1, heads: 1, maxLen: 6 }, epochs: 2, batchSize: 8, validateFrom: 1, negatives: 10 };

  it('trains the same model twice with 2 workers, validating the weights the workers trained', async () => {
    const a = await trainModel(data, { ...tiny, workers: 2 });
    const b = await trainModel(data, { ...tiny, workers: 2 });
    expect(bytes(b.weights)).toEqual(bytes(a.weights));
    expect(b.history).toEqual(a.history.map((h) => ({ ...h, seconds: b.history[h.epoch - 1]!.seconds })));
    // The main thread's model follows the workers': the weights kept moved from their start.
    expect(maxDifference(a.weights, initWeights({ ...config, numItems: 30 }, 42))).toBeGreaterThan(1e-3);
    expect(a.bestValid).not.toBeNull();
  });

  it('refuses a number of workers that is not a positive integer, naming the valid ones', async () => {
    for (const workers of [0, 1.5, -2]) await expect(trainModel(data, { ...tiny, workers })).rejects.toThrow(/workers must be a positive integer, 1 .* or more/);
  });
});
