import { MODEL_DEFAULTS, type ModelConfig } from '../../core/model/config.ts';
import { initWeights, type NamedWeights } from '../../core/model/weights.ts';
import { rng, shuffle } from '../../core/random.ts';
import type { Metrics } from '../../core/ranking-metrics.ts';
import { split, type Dataset } from '../data/dataset.ts';
import { TRAIN_DEFAULTS, type EpochInfo, type TrainOptions } from './defaults.ts';
import { evaluate } from './evaluate.ts';
import { CentralTraining } from './central-training.ts';

export { TRAIN_DEFAULTS };
export type { EpochInfo, TrainOptions };

/**
 * The last epoch of a run whose validation NDCG@10 stops improving now. After `epoch`, with `stale`
 * validations in a row without improvement, training stops at the `patience`-th one; validations run
 * every epoch from `validateFrom` on, and the first one always sets the best (`validated`
 * false until then). This is what a progress ETA must aim at: runs stop early far more often than at
 * `epochs`.
 */
export function stopHorizon(
  epoch: number,
  stale: number,
  validated: boolean,
  o: Pick<TrainOptions, 'epochs' | 'patience' | 'validateFrom'>,
): number {
  if (stale >= o.patience) return epoch;
  const next = Math.max(epoch + 1, o.validateFrom);
  const remaining = validated ? o.patience - stale - 1 : o.patience;
  return Math.min(o.epochs, next + remaining);
}

export interface TrainResult {
  config: ModelConfig;
  /** Weights of the epoch with the best validation NDCG@10. */
  weights: NamedWeights;
  bestEpoch: number;
  bestValid: Metrics | null;
  history: EpochInfo[];
}

/**
 * Trains a SASRec model on the training part of each sequence (all but the last two items, as the
 * leave-one-out protocol holds those out), early-stopping on validation NDCG@10.
 */
export async function trainModel(data: Dataset, opts: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...opts };
  const config: ModelConfig = { ...MODEL_DEFAULTS, ...o.model, numItems: data.itemIds.length };
  const random = rng(o.seed);
  const training = new CentralTraining(config, initWeights(config, o.seed), { ...o, lossScale: 'pass' }, random);
  const { model } = training;
  const trainSeqs = data.sequences.map((s) => split(s)?.train).filter((s): s is number[] => !!s && s.length >= 2);
  const evalUsers = [...data.sequences.keys()].filter((u) => split(data.sequences[u]!));
  const validUsers = o.validationUsers > 0 && o.validationUsers < evalUsers.length ? sample(evalUsers, o.validationUsers, random) : evalUsers;
  const history: EpochInfo[] = [];
  let best: { epoch: number; valid: Metrics; weights: NamedWeights } | null = null;
  let stale = 0;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const started = performance.now();
      const loss = await training.pass(trainSeqs);
      const info: EpochInfo = { epoch, epochs: o.epochs, loss, seconds: 0, horizon: o.epochs };
      if (epoch >= o.validateFrom || epoch === o.epochs) {
        info.valid = (await evaluate(model, data, { target: 'valid', users: validUsers })).metrics;
        if (!best || info.valid['NDCG@10'] > best.valid['NDCG@10']) {
          best = { epoch, valid: info.valid, weights: await model.exportWeights() };
          stale = 0;
        } else stale++;
      }
      info.seconds = (performance.now() - started) / 1000;
      info.horizon = stopHorizon(epoch, stale, best !== null, o);
      history.push(info);
      o.onEpoch?.(info);
      if (stale >= o.patience) break;
    }
    return {
      config,
      weights: best?.weights ?? (await model.exportWeights()),
      bestEpoch: best?.epoch ?? history.length,
      bestValid: best?.valid ?? null,
      history,
    };
  } finally {
    training.dispose();
  }
}

function sample<T>(items: readonly T[], n: number, random: () => number): T[] {
  return shuffle([...items], random).slice(0, n);
}
