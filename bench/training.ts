/**
 * Training-step time of the SASRec trainer on the tfjs WASM backend (our Node fast path: custom
 * scatter-add gradient for the embedding lookup, explicit-transpose matmuls) against the pure-JS CPU
 * backend, in the same run. Batch: 128 Beauty users, sampled softmax with 256 negatives, SASRec 2 blocks,
 * dim 64, length 50: random users padded to the longest, the same users packed, and a length bucket.
 *
 * Then data-parallel training (`--workers`): the trainer's own loop (`CentralTraining`, the `train`
 * defaults: batches of 128 packed histories, 2,048 shared negatives, dropout 0.5) over the same Beauty
 * batches, on this thread alone, with 1 worker thread and with 2, taking turns; ms per step, and the
 * training part of an epoch at that pace.
 *
 *   npm run bench -- training            writes bench/results/training.json
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { MODEL_DEFAULTS } from '../core/model/config.ts';
import { SasRec } from '../core/model/sasrec.ts';
import { nextItemBatch, nextItemLoss, packedBatch } from '../core/model/training.ts';
import { initWeights } from '../core/model/weights.ts';
import { rng, shuffle } from '../core/random.ts';
import { parseS3Rec, split } from '../model-export/data/dataset.ts';
import { CentralTraining } from '../model-export/training/central-training.ts';
import { TRAIN_DEFAULTS } from '../model-export/training/defaults.ts';
import { useBackend, type NodeBackend } from '../model-export/training/tf-node.ts';

const FILE = '../shared/datasets/amazon-beauty.txt';

/**
 * The parallel comparison: `ROUNDS` rounds of `STEPS_PER_ROUND` steps each, every configuration taking its
 * turn each round (so a load that comes and goes on the machine falls on all of them alike), after a
 * warm-up pass that starts its workers.
 */
const ROUNDS = 4;
const STEPS_PER_ROUND = 6;
const PARALLEL = [['thisThread', 0], ['workers1', 1], ['workers2', 2]] as const;

/**
 * ms per Adam step of the trainer's loop with each number of worker threads (0 = this thread alone), over
 * the same batches: the same sequences, seed and recipe, so the same draws, whatever the workers.
 */
async function parallelStepMs(train: readonly number[][], numItems: number): Promise<Record<string, number>> {
  const config = { ...MODEL_DEFAULTS, numItems };
  const { batchSize } = TRAIN_DEFAULTS;
  const sequences = shuffle([...train], rng(5));
  const chunk = (i: number) => sequences.slice(i * STEPS_PER_ROUND * batchSize, (i + 1) * STEPS_PER_ROUND * batchSize);
  const runs = PARALLEL.map(([name, workers]) => ({
    name,
    training: new CentralTraining(config, initWeights(config, 1), { ...TRAIN_DEFAULTS, lossScale: 'pass' }, rng(6), { workers }),
    ms: 0,
  }));
  try {
    for (const run of runs) await run.training.pass(chunk(0).slice(0, 2 * batchSize));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const run of runs) {
        const t0 = performance.now();
        await run.training.pass(chunk(round));
        run.ms += performance.now() - t0;
      }
      console.error(`parallel: round ${round}/${ROUNDS}: ${runs.map((r) => `${r.name} ${(r.ms / (round * STEPS_PER_ROUND)).toFixed(1)}`).join(', ')} ms per step`);
    }
    return Object.fromEntries(runs.map((r) => [r.name, r.ms / (ROUNDS * STEPS_PER_ROUND)]));
  } finally {
    for (const run of runs) await run.training.dispose();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const data = parseS3Rec(await readFile(FILE, 'utf8'), FILE);
  const config = { numItems: data.itemIds.length, dim: 64, blocks: 2, heads: 1, maxLen: 50 };
  const random = rng(1);
  const train = data.sequences.map((s) => split(s)!.train).filter((s) => s.length >= 2);
  // A typical batch (random users, so windows are as long as the longest of them), the same users packed
  // several to a row (what the trainer runs), and a length-bucketed batch.
  const users = Array.from({ length: 128 }, () => train[Math.floor(random() * train.length)]!);
  const mixed = nextItemBatch(users, config.maxLen);
  const packed = packedBatch(users, config.maxLen);
  const sorted = [...train].sort((a, b) => a.length - b.length);
  const bucketed = nextItemBatch(sorted.slice(sorted.length / 2, sorted.length / 2 + 128), config.maxLen);
  const negatives = Int32Array.from({ length: 256 }, () => 1 + Math.floor(random() * config.numItems));
  const results: Record<string, Record<string, number>> = {};
  for (const backend of ['wasm', 'cpu'] as NodeBackend[]) {
    await useBackend(backend);
    const model = SasRec.fromWeights(config, initWeights(config, 1), { trainable: true });
    const optimizer = tf.train.adam(0.001);
    const step = async (batch: typeof mixed): Promise<number> => {
      const t0 = performance.now();
      const loss = optimizer.minimize(() => nextItemLoss(model, batch, { negatives, noise: { rate: 0.2, random } }), true)!;
      await loss.data();
      loss.dispose();
      return performance.now() - t0;
    };
    const steps = backend === 'wasm' ? 8 : 2;
    const time = async (batch: typeof mixed): Promise<number> => {
      await step(batch);
      let total = 0;
      for (let i = 0; i < steps; i++) total += await step(batch);
      return total / steps;
    };
    results[backend] = {
      [`msPerStep_window${mixed.inputs.length}`]: await time(mixed),
      [`msPerStep_packed${packed.inputs.batch}x${packed.inputs.length}`]: await time(packed),
      [`msPerStep_window${bucketed.inputs.length}`]: await time(bucketed),
    };
    optimizer.dispose();
    model.dispose();
    console.error(backend, JSON.stringify(results[backend]));
  }
  const key = `msPerStep_window${mixed.inputs.length}`;
  const stepsPerEpoch = Math.ceil(train.length / 128);

  await useBackend('wasm');
  const msPerStep = await parallelStepMs(train, config.numItems);
  const epochSeconds = Object.fromEntries(Object.entries(msPerStep).map(([name, ms]) => [name, (ms * stepsPerEpoch) / 1000]));
  return {
    benchmark: 'training',
    what: 'ms per Adam step, batch 128, sampled softmax (256 negatives), SASRec 2x64, Beauty',
    results,
    wasmSpeedupOverCpu: results.cpu![key]! / results.wasm![key]!,
    stepsPerEpoch,
    parallel: {
      what: `ms per Adam step of the trainer's loop (train defaults: batch ${TRAIN_DEFAULTS.batchSize} packed, ${TRAIN_DEFAULTS.negatives} shared negatives, dropout ${TRAIN_DEFAULTS.dropout}; SASRec 2x64), WASM, the same ${ROUNDS * STEPS_PER_ROUND} Beauty batches on this thread alone, 1 worker thread and 2, taking turns every ${STEPS_PER_ROUND} steps; epochSeconds: an epoch's steps at that pace (validation not included)`,
      msPerStep,
      epochSeconds,
      speedup2WorkersOver1Worker: msPerStep.workers1! / msPerStep.workers2!,
      speedup2WorkersOverThisThread: msPerStep.thisThread! / msPerStep.workers2!,
    },
  };
}
