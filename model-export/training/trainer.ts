import { MODEL_DEFAULTS, type ModelConfig } from '../../core/model/config.ts';
import { featureItemCount, type ItemFeatures } from '../../core/model/features.ts';
import { initWeights, type NamedWeights } from '../../core/model/weights.ts';
import { rng, shuffle } from '../../core/random.ts';
import type { Metrics } from '../../core/ranking-metrics.ts';
import { split, type Dataset } from '../data/dataset.ts';
import { selectItemFeatures } from '../../core/model/features.ts';
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

/**
 * Wall time of a run's epochs against its time budget (`TrainOptions.timeBudget`, seconds; 0 = none):
 * whether another epoch fits, judged by the mean pass so far and the last validation's time (before the
 * first validation, a guess of a quarter of a pass: a full-ranking pass over the validation users).
 */
class EpochClock {
  private readonly start = performance.now();
  private passSeconds = 0;
  private passes = 0;
  private validSeconds: number | undefined;

  constructor(private readonly budget: number) {}

  passed(since: number): void {
    this.passSeconds += (performance.now() - since) / 1000;
    this.passes++;
  }

  validated(since: number): void {
    this.validSeconds = (performance.now() - since) / 1000;
  }

  /** Seconds the next epoch is expected to take, `validates` or not. */
  private next(validates: boolean): number {
    const pass = this.passSeconds / Math.max(1, this.passes);
    return pass + (validates ? (this.validSeconds ?? pass / 4) : 0);
  }

  /** Whether the next epoch (`validates` or not) ends within the budget; always with no budget. */
  fits(validates: boolean): boolean {
    return this.budget <= 0 || (performance.now() - this.start) / 1000 + this.next(validates) <= this.budget;
  }

  /** How many more epochs fit in the budget, the first `unvalidated` of them without validation; Infinity with no budget. */
  epochsLeft(unvalidated: number): number {
    if (this.budget <= 0 || this.next(false) <= 0) return Infinity;
    let left = this.budget - (performance.now() - this.start) / 1000;
    let n = 0;
    while ((left -= this.next(n >= unvalidated)) >= 0) n++;
    return n;
  }
}

export interface TrainResult {
  /** Every item of the data, held-out ones too (`numItems`), and `numFeatures` where the model has content features. */
  config: ModelConfig;
  /** Weights of the epoch with the best validation NDCG@10; a held-out item's id row is all zeros. */
  weights: NamedWeights;
  /** The features the model embeds (`TrainOptions.features`), where it has any. */
  features?: ItemFeatures;
  /** Item indices held out of training (`TrainOptions.coldItems`), ascending; their id rows are not to be used (`withoutId`). */
  coldItems: number[];
  bestEpoch: number;
  bestValid: Metrics | null;
  history: EpochInfo[];
  /** Why training ended: `patience` (validation stopped improving), `budget` (`timeBudget`), or `epochs` (the limit). */
  stopped: 'patience' | 'budget' | 'epochs';
}

/**
 * Trains a SASRec model on the training part of each sequence (all but the last two items, as the
 * leave-one-out protocol holds those out), early-stopping on validation NDCG@10. With `features`, each
 * item's vector is its id row plus the mean of its features' (trained with ID dropout, `idDropout`); with
 * `coldItems`, the model trained never sees those items (`warmView`) and they are put back with all-zero
 * id rows, to be ranked from their features.
 */
export async function trainModel(data: Dataset, opts: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...opts };
  if (!(o.lrDecay > 0 && o.lrDecay <= 1)) throw new Error(`trainModel: lrDecay must be above 0 and at most 1 (got ${o.lrDecay})`);
  if (!Number.isInteger(o.workers) || o.workers < 1) throw new Error(`trainModel: workers must be a positive integer, 1 (this thread) or more (worker threads) (got ${o.workers})`);
  const features = o.features && o.features.names.length > 0 ? o.features : undefined;
  if (features && featureItemCount(features) !== data.itemIds.length) {
    throw new Error(`trainModel: features describe ${featureItemCount(features)} items, the data has ${data.itemIds.length}`);
  }
  const config: ModelConfig = { ...MODEL_DEFAULTS, ...o.model, numItems: data.itemIds.length, ...(features && { numFeatures: features.names.length }) };
  const held = [...(o.coldItems ?? [])].filter((i) => Number.isInteger(i) && i >= 1 && i <= data.itemIds.length).sort((a, b) => a - b);
  // The model trained knows only the items it may see; the held-out ones are put back (zero id rows) at the end.
  const seen = held.length > 0 ? warmView(data, new Set(held)) : undefined;
  const view = seen?.data ?? data;
  const trainConfig: ModelConfig = { ...config, numItems: view.itemIds.length };
  const trainFeatures = features && seen ? selectItemFeatures(features, seen.items) : features;
  const random = rng(o.seed);
  const recipe = { ...o, lossScale: 'pass' as const };
  const training = new CentralTraining(trainConfig, initWeights(trainConfig, o.seed), recipe, random, { ...(trainFeatures && { features: trainFeatures }), workers: o.workers > 1 ? o.workers : 0 });
  const { model } = training;
  const trainSeqs = (seen?.train ?? view.sequences.map((s) => split(s)?.train)).filter((s): s is number[] => !!s && s.length >= 2);
  const evalUsers = [...view.sequences.keys()].filter((u) => split(view.sequences[u]!));
  const validUsers = o.validationUsers > 0 && o.validationUsers < evalUsers.length ? sample(evalUsers, o.validationUsers, random) : evalUsers;
  const history: EpochInfo[] = [];
  let best: { epoch: number; valid: Metrics; weights: NamedWeights } | null = null;
  let stale = 0;
  let stopped: TrainResult['stopped'] = 'epochs';
  const clock = new EpochClock(o.timeBudget);
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const started = performance.now();
      const loss = await training.pass(trainSeqs);
      clock.passed(started);
      const info: EpochInfo = { epoch, epochs: o.epochs, loss, seconds: 0, horizon: o.epochs };
      // The budget leaves no room for another epoch after this one: this one is validated whatever its number.
      const lastInBudget = !clock.fits(epoch + 1 >= o.validateFrom);
      if (epoch >= o.validateFrom || epoch === o.epochs || lastInBudget) {
        const validating = performance.now();
        info.valid = (await evaluate(model, view, { target: 'valid', users: validUsers })).metrics;
        clock.validated(validating);
        if (!best || info.valid['NDCG@10'] > best.valid['NDCG@10']) {
          best = { epoch, valid: info.valid, weights: await model.exportWeights() };
          stale = 0;
        } else {
          stale++;
          // Decay on a plateau: the next epochs take smaller steps, as long as training goes on.
          if (stale < o.patience && o.lrDecay < 1) await training.decayLearningRate(o.lrDecay);
        }
      }
      info.seconds = (performance.now() - started) / 1000;
      info.horizon = Math.min(stopHorizon(epoch, stale, best !== null, o), epoch + clock.epochsLeft(o.validateFrom - epoch - 1));
      history.push(info);
      o.onEpoch?.(info);
      if (stale >= o.patience) {
        stopped = 'patience';
        break;
      }
      if (lastInBudget && epoch < o.epochs) {
        stopped = 'budget';
        break;
      }
    }
    const weights = best?.weights ?? (await model.exportWeights());
    return {
      config,
      weights: seen ? withItemRows(weights, seen.items, config) : weights,
      ...(features && { features }),
      coldItems: held,
      bestEpoch: best?.epoch ?? history.length,
      bestValid: best?.valid ?? null,
      history,
      stopped,
    };
  } finally {
    await training.dispose();
  }
}

/**
 * What training may see of `data` with the items `held` out: the other items, renumbered 1..W in their
 * order (`items[j - 1]` is the data's index of item j), each user's training part without the held-out
 * items (`train`), and for validation (`data`) the users whose validation target is not held out and
 * who have something left before it. The leave-one-out split is the data's own, made before the
 * held-out items are taken out, so no test item is ever trained on and validation targets are the data's
 * validation items. A validated user's sequence is `[...train, valid, valid]`, so that `split` reads it
 * back (the repeated item stands for the test target, which validation never reads); the others' is empty.
 */
export function warmView(data: Dataset, held: ReadonlySet<number>): { data: Dataset; items: number[]; train: number[][] } {
  const items: number[] = [];
  const renumber = new Int32Array(data.itemIds.length + 1);
  for (let i = 1; i <= data.itemIds.length; i++) {
    if (!held.has(i)) {
      items.push(i);
      renumber[i] = items.length;
    }
  }
  const train: number[][] = [];
  const sequences = data.sequences.map((s) => {
    const parts = split(s);
    if (!parts) return [];
    const seq = parts.train.filter((i) => !held.has(i)).map((i) => renumber[i]!);
    train.push(seq);
    const valid = renumber[parts.valid]!;
    return valid > 0 && seq.length > 0 ? [...seq, valid, valid] : [];
  });
  return { data: { itemIds: items.map((i) => data.itemIds[i - 1]!), users: data.users, sequences }, items, train };
}

/** Weights of a model trained on `items` (the data's indices of its items 1..W) as weights of a model of every item (`config`): each held-out item's id row all zeros. */
function withItemRows(weights: NamedWeights, items: readonly number[], config: ModelConfig): NamedWeights {
  const { dim, numItems } = config;
  const trained = weights.get('item_emb')!.values;
  const values = new Float32Array((numItems + 1) * dim);
  items.forEach((i, j) => values.set(trained.subarray((j + 1) * dim, (j + 2) * dim), i * dim));
  const out: NamedWeights = new Map(weights);
  out.set('item_emb', { shape: [numItems + 1, dim], values });
  return out;
}

function sample<T>(items: readonly T[], n: number, random: () => number): T[] {
  return shuffle([...items], random).slice(0, n);
}
