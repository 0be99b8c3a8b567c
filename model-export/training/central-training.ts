/**
 * The one Adam loop of central training: `trainModel` runs it epoch after epoch (the CLI's `train`, and
 * `simulate`'s start model), and `simulate`'s central reference runs it round after round on the devices'
 * sequences. Federated devices do not use it: they take a few SGD steps on one history
 * (`core/federated/client.ts`).
 *
 * With `workers` the gradient of each step is computed data-parallel by worker threads
 * (`gradient-workers.ts`), each on a shard of the step's rows; the loop, its draws and the step's code
 * (`step.ts`) are the same either way.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../../core/model/config.ts';
import { featureItemCount, type ItemFeatures } from '../../core/model/features.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import { packedBatch, type Batch } from '../../core/model/training.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { shuffle } from '../../core/random.ts';
import { GradientWorkers } from './gradient-workers.ts';
import { NegativeSampler, type NegativeSampling } from './negatives.ts';
import { setLearningRate, shardGradients, targetCount, type StepDraws } from './step.ts';
import type { NodeBackend } from './tf-node.ts';

/** How each pass steps (the `TrainOptions` of the same names). */
export interface AdamRecipe {
  learningRate: number;
  /** Sequences per step. */
  batchSize: number;
  /** Shared sampled negatives per step; 0, or a catalog no larger, means full softmax. */
  negatives: number;
  /** How the negatives are drawn (`negatives.ts`): default `uniform`, `simulate`'s central reference as measured. */
  sampling?: NegativeSampling;
  dropout: number;
  /**
   * What a step's summed loss is divided by: `pass` (the trainer's) the mean number of targets per batch
   * of the pass, so every position weighs alike whichever batch it falls in; `batch` (the per-batch mean)
   * the targets of that batch, as simulate's central reference was measured with.
   */
  lossScale: 'pass' | 'batch';
  /**
   * Probability that a step leaves an item's id row out of its vector (ID dropout, `TrainOptions.idDropout`);
   * used only by a model with content features. Default 0.
   */
  idDropout?: number;
}

/** Where and how `CentralTraining` runs besides its recipe. */
export interface TrainingOptions {
  /** The items' content features (exactly `config.numItems` of them); required where `config.numFeatures` is set. */
  features?: ItemFeatures;
  /**
   * Worker threads computing each step's gradient (`TrainOptions.workers`), started by the first pass;
   * 0 = none, the calling thread computes it. Default 0. One worker steps bit for bit as the calling
   * thread does (the same step code on the same shard), so `trainModel` runs `--workers 1` without one.
   */
  workers?: number;
}

/**
 * A trainable model and its Adam optimizer (and, with `workers`, the worker threads holding replicas of
 * them); `dispose()` frees them all. Between passes `model` holds the weights trained so far.
 */
export class CentralTraining {
  readonly model: SasRec;
  private readonly optimizer: tf.Optimizer;
  /** The learning rate now: the recipe's, less any decay so far. */
  private learningRate: number;
  private readonly workers: number;
  private readonly features: ItemFeatures | undefined;
  private pool: Promise<GradientWorkers> | undefined;

  /**
   * Draws nothing from `random` here: the passes draw the order, the negatives and the dropout from it.
   */
  constructor(
    config: ModelConfig,
    weights: NamedWeights,
    private readonly recipe: AdamRecipe,
    private readonly random: () => number,
    options: TrainingOptions = {},
  ) {
    const { features, workers = 0 } = options;
    // Training has no feature-only items: every item it ranks is one it may learn an id row for.
    if (features && featureItemCount(features) !== config.numItems) throw new Error(`CentralTraining: features describe ${featureItemCount(features)} items, the model trains ${config.numItems}`);
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`CentralTraining: workers must be a non-negative integer (got ${workers})`);
    this.model = SasRec.fromWeights(config, weights, { trainable: true, ...(features && { features }) });
    this.optimizer = tf.train.adam(recipe.learningRate);
    this.learningRate = recipe.learningRate;
    this.workers = workers;
    this.features = features;
  }

  /** The worker threads, started on first use from the model's current weights; none without `workers`. */
  private async gradientWorkers(): Promise<GradientWorkers | undefined> {
    if (this.workers === 0) return undefined;
    this.pool ??= this.model.exportWeights().then((weights) =>
      GradientWorkers.start(this.workers, {
        // The workers run the backend this thread runs (the CLI's --backend), WASM unless told otherwise.
        backend: (tf.getBackend() === 'cpu' ? 'cpu' : 'wasm') satisfies NodeBackend,
        config: this.model.config,
        weights,
        ...(this.features && { features: this.features }),
        learningRate: this.learningRate,
      }),
    );
    return this.pool;
  }

  /**
   * One pass over `sequences` (item indices, oldest first; those shorter than 2 have no target and are
   * left out) in random order, `batchSize` histories packed into each step's batch (`packedBatch`).
   * Returns the mean loss per step.
   */
  async pass(sequences: readonly (readonly number[])[]): Promise<number> {
    const { model, recipe, random } = this;
    const { maxLen, numItems } = model.config;
    const batches = chunks(
      shuffle(
        sequences.filter((s) => s.length >= 2),
        random,
      ),
      recipe.batchSize,
    );
    const denominator = recipe.lossScale === 'pass' ? targetsPerBatch(batches, maxLen) : undefined;
    const idDropout = (model.config.numFeatures ?? 0) > 0 ? (recipe.idDropout ?? 0) : 0;
    const sampler = recipe.negatives > 0 && recipe.negatives < numItems ? NegativeSampler.from(recipe.sampling ?? 'uniform', numItems, sequences) : undefined;
    const workers = await this.gradientWorkers();
    let lossSum = 0;
    for (const histories of batches) {
      const batch = packedBatch(histories, maxLen);
      const sampled = sampler?.draw(recipe.negatives, random);
      const dropped = idDropout > 0 ? dropIds(numItems, idDropout, random) : undefined;
      const draws: StepDraws = {
        ...(sampled && { negatives: sampled.negatives }),
        ...(sampled?.bias && { negativeBias: sampled.bias }),
        ...(dropped && { dropIds: dropped }),
        rate: recipe.dropout,
        seed: Math.floor(random() * 2 ** 32),
        denominator: denominator ?? targetCount(batch),
      };
      lossSum += workers ? await workers.step(batch, draws) : await this.step(batch, draws);
    }
    if (workers) model.assign(await workers.weights());
    return lossSum / Math.max(1, batches.length);
  }

  /** One step on this thread: the whole batch is shard 0 of 1. */
  private async step(batch: Batch, draws: StepDraws): Promise<number> {
    const { loss, grads } = shardGradients(this.model, batch, draws, 0);
    try {
      this.optimizer.applyGradients(grads);
      return (await loss.data())[0]!;
    } finally {
      loss.dispose();
      for (const g of grads) g.tensor.dispose();
    }
  }

  /**
   * Multiplies the learning rate by `factor` from the next step on, in this thread's optimizer and every
   * worker's (each keeps its Adam moments): the trainer's decay when validation stops improving.
   */
  async decayLearningRate(factor: number): Promise<void> {
    this.learningRate *= factor;
    setLearningRate(this.optimizer, this.learningRate);
    (await this.gradientWorkers())?.setLearningRate(this.learningRate);
  }

  /** Frees the model and the optimizer, and stops the worker threads (waits for them to end). */
  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.optimizer.dispose();
    this.model.dispose();
    // A pool that failed to start has stopped its workers already.
    await pool?.then((p) => p.close(), () => undefined);
  }
}

/** Per item index (0, padding, never), 1 where this step leaves the item's id row out: each with probability `rate`. */
function dropIds(numItems: number, rate: number, random: () => number): Float32Array {
  const out = new Float32Array(numItems + 1);
  for (let i = 1; i <= numItems; i++) if (random() < rate) out[i] = 1;
  return out;
}


/** `items` cut into consecutive pieces of `size` (the last may be shorter). */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/**
 * Mean next-item targets per batch (each sequence of n items gives min(n - 1, maxLen) of them): the
 * loss's denominator, so every position weighs alike whichever batch it falls in.
 */
function targetsPerBatch(batches: readonly (readonly (readonly number[])[])[], maxLen: number): number {
  let targets = 0;
  for (const batch of batches) for (const s of batch) targets += Math.min(s.length - 1, maxLen);
  return targets / Math.max(1, batches.length);
}
