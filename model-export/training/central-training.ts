/**
 * The one Adam loop of central training: `trainModel` runs it epoch after epoch (the CLI's `train`, and
 * `simulate`'s start model), and `simulate`'s central reference runs it round after round on the devices'
 * sequences. Federated devices do not use it: they take a few SGD steps on one history
 * (`core/federated/client.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../../core/model/config.ts';
import { featureItemCount, type ItemFeatures } from '../../core/model/features.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import { nextItemLoss, packedBatch } from '../../core/model/training.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { shuffle } from '../../core/random.ts';

/** How each pass steps (the `TrainOptions` of the same names). */
export interface AdamRecipe {
  learningRate: number;
  /** Sequences per step. */
  batchSize: number;
  /** Shared sampled negatives per step; 0, or a catalog no larger, means full softmax. */
  negatives: number;
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

/** A trainable model and its Adam optimizer; `dispose()` frees both. */
export class CentralTraining {
  readonly model: SasRec;
  private readonly optimizer: tf.Optimizer;

  /**
   * Draws nothing from `random` here: the passes draw the order, the negatives and the dropout from it.
   * `features` (of the model's items, exactly `config.numItems` of them) is required where
   * `config.numFeatures` is set.
   */
  constructor(
    config: ModelConfig,
    weights: NamedWeights,
    private readonly recipe: AdamRecipe,
    private readonly random: () => number,
    features?: ItemFeatures,
  ) {
    // Training has no feature-only items: every item it ranks is one it may learn an id row for.
    if (features && featureItemCount(features) !== config.numItems) throw new Error(`CentralTraining: features describe ${featureItemCount(features)} items, the model trains ${config.numItems}`);
    this.model = SasRec.fromWeights(config, weights, { trainable: true, ...(features && { features }) });
    this.optimizer = tf.train.adam(recipe.learningRate);
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
    let lossSum = 0;
    for (const histories of batches) {
      const batch = packedBatch(histories, maxLen);
      const negatives = recipe.negatives > 0 && recipe.negatives < numItems ? sampleNegatives(recipe.negatives, numItems, random) : undefined;
      const dropped = idDropout > 0 ? dropIds(numItems, idDropout, random) : undefined;
      const loss = this.optimizer.minimize(
        () => nextItemLoss(dropped ? withIdsDropped(model, dropped) : model, batch, { negatives, noise: { rate: recipe.dropout, random }, denominator }),
        true,
      )!;
      lossSum += (await loss.data())[0]!;
      loss.dispose();
    }
    return lossSum / Math.max(1, batches.length);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Per item index (0, padding, never), 1 where this step leaves the item's id row out: each with probability `rate`. */
function dropIds(numItems: number, rate: number, random: () => number): Float32Array {
  const out = new Float32Array(numItems + 1);
  for (let i = 1; i <= numItems; i++) if (random() < rate) out[i] = 1;
  return out;
}

/**
 * `model` as one step of ID dropout sees it: its item table without the id rows `dropped` marks, so those
 * items are their features' mean alone, in the histories and among the candidates alike, and their id
 * rows get no gradient this step. Not rescaled by 1 / (1 - rate) as activation dropout is: the point is
 * an item vector with no id at all, the one a new item has, not a noisier id. A view over the model
 * (`Object.create`: every other member is the model's own), because `nextItemLoss` composes the table
 * itself (`SasRec.itemTable`); the table is composed anyway each step, so this adds one multiply and one
 * subtraction of the [numItems + 1, dim] table.
 */
export function withIdsDropped(model: SasRec, dropped: Float32Array): SasRec {
  const itemTable = (): tf.Tensor2D => {
    const mask = tf.tensor2d(dropped, [dropped.length, 1]);
    return tf.sub(model.itemTable(), tf.mul(model.param('item_emb'), mask));
  };
  return Object.create(model, { itemTable: { value: itemTable } }) as SasRec;
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

/** Uniform shared negatives (without the padding index); accidental hits are masked in the loss. */
function sampleNegatives(count: number, numItems: number, random: () => number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < out.length; i++) out[i] = 1 + Math.floor(random() * numItems);
  return out;
}
