/**
 * One Adam step's gradient, the part of central training that runs in parallel: the main thread draws
 * everything random of a step (`StepDraws`) and packs its batch, a shard of the batch's rows goes to each
 * gradient computer (the main thread itself, or a training worker, `train-worker.ts`), and their gradients
 * are summed in shard order. Both sides compute a shard with `shardGradients`, so a step is one piece of
 * code wherever it runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SasRec } from '../../core/model/sasrec.ts';
import { nextItemLoss, type Batch } from '../../core/model/training.ts';
import { rng } from '../../core/random.ts';

/** What the main thread draws for a step, shared by every shard of it. */
export interface StepDraws {
  /** Shared sampled negatives; absent = full softmax. */
  negatives?: Int32Array;
  /** Each negative's log-Q correction (`LossOptions.negativeBias`); absent = none. */
  negativeBias?: Float32Array;
  /** ID dropout's mask (per item index, 1 = id row left out); absent = none. */
  dropIds?: Float32Array;
  /** Activation dropout rate. */
  rate: number;
  /** Seeds each shard's dropout stream (`shardSeed`). */
  seed: number;
  /** What the loss is divided by: the whole batch's, so the shards' losses (and gradients) sum to the batch's. */
  denominator: number;
}

/** A shard's gradients as host arrays, by parameter name, in the model's parameter order; its loss beside them. */
export interface HostGradients {
  loss: number;
  grads: [string, Float32Array][];
}

/**
 * The seed of shard `shard`'s dropout masks in a step seeded `seed`: each shard draws its own stream, so
 * the masks do not depend on which thread computes which shard, only on the step and the shard's place.
 */
function shardSeed(seed: number, shard: number): number {
  // An odd multiplier (the golden ratio's, as mulberry32 and splitmix use) spreads consecutive shards apart.
  return (seed ^ Math.imul(shard + 1, 0x9e3779b9)) >>> 0;
}

/**
 * Shard `index` of `count` of a packed batch: a contiguous run of its rows (about `rows / count` of them),
 * with the batch's row length. Rows are independent in the forward pass (a packed row attends only
 * within itself), so the shards' losses sum to the batch's under one denominator.
 */
export function batchShard(batch: Batch, index: number, count: number): Batch {
  const { batch: rows, length: L, ids, segments, positions } = batch.inputs;
  const from = Math.floor((index * rows) / count) * L;
  const to = Math.floor(((index + 1) * rows) / count) * L;
  return {
    inputs: {
      ids: ids.slice(from, to),
      batch: (to - from) / L,
      length: L,
      ...(segments && { segments: segments.slice(from, to) }),
      ...(positions && { positions: positions.slice(from, to) }),
    },
    targets: batch.targets.slice(from, to),
  };
}

/** How many shards a step of `rows` packed rows is cut into with `computers` gradient computers: never an empty one. */
export function shardCount(rows: number, computers: number): number {
  return Math.max(1, Math.min(rows, computers));
}

/** The number of next-item targets of a batch: a per-batch mean's denominator. */
export function targetCount(batch: Batch): number {
  let n = 0;
  for (const t of batch.targets) if (t > 0) n++;
  return n;
}

/**
 * The gradients of `model`'s variables for shard `shard` of a step, as tensors by variable (the engine's
 * names, as `optimizer.applyGradients` takes them) in the model's parameter order, and the shard's loss.
 * Variables the loss does not reach are left out, as `optimizer.minimize` leaves them.
 */
export function shardGradients(model: SasRec, batch: Batch, draws: StepDraws, shard: number): { loss: tf.Scalar; grads: { name: string; tensor: tf.Tensor }[] } {
  const variables = [...model.variables.values()];
  const { value, grads } = tf.variableGrads(
    () =>
      nextItemLoss(model, batch, {
        negatives: draws.negatives,
        negativeBias: draws.negativeBias,
        noise: { rate: draws.rate, random: rng(shardSeed(draws.seed, shard)) },
        denominator: draws.denominator,
        dropIds: draws.dropIds,
      }),
    variables,
  );
  return { loss: value, grads: variables.filter((v) => grads[v.name]).map((v) => ({ name: v.name, tensor: grads[v.name]! })) };
}

/**
 * `shardGradients` read back to host memory, named by the model's parameter names (each thread's engine
 * names its variables differently), each array in a buffer of its own (to transfer).
 */
export async function hostGradients(model: SasRec, batch: Batch, draws: StepDraws, shard: number): Promise<HostGradients> {
  const paramOf = new Map([...model.variables].map(([param, v]) => [v.name, param]));
  // WASM reads hand out a fresh copy of its heap; the CPU backend hands out its own storage.
  const fresh = tf.getBackend() === 'wasm';
  const { loss, grads } = shardGradients(model, batch, draws, shard);
  try {
    const out: [string, Float32Array][] = [];
    for (const g of grads) {
      const values = (await g.tensor.data()) as Float32Array;
      out.push([paramOf.get(g.name)!, fresh ? values : values.slice()]);
    }
    return { loss: (await loss.data())[0]!, grads: out };
  } finally {
    loss.dispose();
    for (const g of grads) g.tensor.dispose();
  }
}

/**
 * Host gradients applied to `model`'s variables with `optimizer`, in the model's parameter order (Adam keeps
 * its moments by position, so every replica must pass the same order).
 */
export function applyHostGradients(model: SasRec, optimizer: tf.Optimizer, grads: readonly (readonly [string, Float32Array])[]): void {
  const variables = model.variables;
  tf.tidy(() => {
    const named = grads.map(([param, values]) => {
      const v = variables.get(param);
      if (!v) throw new Error(`applyHostGradients: the model has no parameter "${param}"`);
      return { name: v.name, tensor: tf.tensor(values, v.shape, 'float32') };
    });
    optimizer.applyGradients(named);
  });
}

/**
 * The sum of the shards' gradients, added in shard order (so the same shards always give the same
 * bits), by parameter in `order` (the model's parameter order), leaving out a parameter no shard has.
 * Where one shard alone has a parameter, its array is the sum as it is.
 */
export function sumGradients(shards: readonly HostGradients[], order: readonly string[]): [string, Float32Array][] {
  const sums = new Map<string, Float32Array>();
  for (const shard of shards) {
    for (const [param, values] of shard.grads) {
      const sum = sums.get(param);
      if (!sum) sums.set(param, values);
      else for (let i = 0; i < sum.length; i++) sum[i]! += values[i]!;
    }
  }
  return order.filter((param) => sums.has(param)).map((param) => [param, sums.get(param)!]);
}

/**
 * Sets an Adam optimizer's learning rate in place, keeping its moments (the trainer's decay on a
 * plateau). tfjs' `AdamOptimizer` reads its `learningRate` field at every step and has no setter.
 */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  if (!(optimizer instanceof tf.AdamOptimizer)) throw new Error('setLearningRate: an Adam optimizer is needed');
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new Error(`setLearningRate: a positive learning rate is needed (got ${learningRate})`);
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}
