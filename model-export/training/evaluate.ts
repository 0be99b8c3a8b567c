import { RankingAccumulator, rankOf, type Metrics } from '../../core/ranking-metrics.ts';
import type { SasRec } from '../../core/model/sasrec.ts';
import { rng } from '../../core/random.ts';
import { split, type Dataset } from '../data/dataset.ts';

export const PROTOCOL = 'full-ranking-leave-one-out';

export interface Evaluation {
  protocol: typeof PROTOCOL;
  users: number;
  items: number;
  metrics: Metrics;
}

export interface EvaluateOptions {
  /** `valid` ranks the second-to-last item from the history before it; `test` the last from all before it. */
  target: 'valid' | 'test';
  batchSize?: number;
  /** Evaluate only these users (indices into the dataset); all by default. */
  users?: readonly number[];
}

/**
 * Full-ranking leave-one-out evaluation through the model's own scoring code (the same `SasRec` the widget
 * runs): the target is ranked against every item, with the items the user had before it excluded.
 */
export async function evaluate(model: SasRec, data: Dataset, options: EvaluateOptions): Promise<Evaluation> {
  const batchSize = options.batchSize ?? 256;
  const acc = new RankingAccumulator();
  const width = model.config.numItems + 1;
  const jobs: Array<{ history: number[]; target: number }> = [];
  for (const u of options.users ?? data.sequences.keys()) {
    const s = split(data.sequences[u]!);
    if (!s) continue;
    jobs.push(options.target === 'valid' ? { history: s.train, target: s.valid } : { history: [...s.train, s.valid], target: s.test });
  }
  // Similar lengths together: each batch's window is only as long as its longest history.
  jobs.sort((a, b) => a.history.length - b.history.length);
  for (let start = 0; start < jobs.length; start += batchSize) {
    const batch = jobs.slice(start, start + batchSize);
    const scores = await model.scoreBatch(batch.map((j) => j.history));
    batch.forEach((job, b) => acc.add(rankOf(scores, job.target, new Set(job.history), b * width, width)));
  }
  return { protocol: PROTOCOL, users: acc.count, items: model.config.numItems, metrics: acc.result() };
}

/**
 * The popularity baseline under the same protocol: every item scored by how often it occurs in the
 * training part of all histories (what the model learned from), ties broken by a seeded random order
 * rather than against the target, seen items excluded. A model that does not beat it has learned nothing
 * beyond bestsellers.
 */
export function evaluatePopularity(data: Dataset, options: Pick<EvaluateOptions, 'target' | 'users'> & { seed: number }): Evaluation {
  const width = data.itemIds.length + 1;
  const scores = new Float64Array(width);
  for (const s of data.sequences) for (const i of split(s)?.train ?? []) scores[i]!++;
  const tiebreak = rng(options.seed);
  for (let i = 1; i < width; i++) scores[i]! += tiebreak() * 0.5;
  const acc = new RankingAccumulator();
  for (const u of options.users ?? data.sequences.keys()) {
    const s = split(data.sequences[u]!);
    if (!s) continue;
    const history = options.target === 'valid' ? s.train : [...s.train, s.valid];
    acc.add(rankOf(scores, options.target === 'valid' ? s.valid : s.test, new Set(history)));
  }
  return { protocol: PROTOCOL, users: acc.count, items: data.itemIds.length, metrics: acc.result() };
}
