import { RankingAccumulator, rankOf, type Metrics } from '../../core/ranking-metrics.ts';
import type { SasRec } from '../../core/model/sasrec.ts';
import { rng } from '../../core/random.ts';
import { split, type Dataset } from '../data/dataset.ts';

export const PROTOCOL = 'full-ranking-leave-one-out';

/** The figures of one group of users (`warm`, `cold`): how many, and the two metrics the goals name. */
export interface GroupMetrics {
  users: number;
  'HR@10': number;
  'NDCG@10': number;
}

export interface Evaluation {
  protocol: typeof PROTOCOL;
  users: number;
  items: number;
  metrics: Metrics;
  /** With `cold` items (`EvaluateOptions.cold`): the users whose target has an id row the model learned. */
  warm?: GroupMetrics;
  /** With `cold` items: the users whose target is one of them (held out of training, or new since). */
  cold?: GroupMetrics;
}

export interface EvaluateOptions {
  /** `valid` ranks the second-to-last item from the history before it; `test` the last from all before it. */
  target: 'valid' | 'test';
  batchSize?: number;
  /** Evaluate only these users (indices into the dataset); all by default. */
  users?: readonly number[];
  /**
   * Item indices the model learned no id row for (held out with `--cold-items`, or new since training).
   * Given, the result also has `warm` and `cold`: users grouped by whether their target is one of them.
   * Ranking is unchanged: every user's target is still ranked against every item.
   */
  cold?: ReadonlySet<number>;
}

/** One user's evaluation: the history the ranker reads, the target it must rank. */
export interface EvaluationJob {
  history: number[];
  target: number;
}

/** The evaluable users' histories and targets under the protocol, the same for the model and every baseline. */
export function evaluationJobs(data: Dataset, options: Pick<EvaluateOptions, 'target' | 'users'>): EvaluationJob[] {
  const jobs: EvaluationJob[] = [];
  for (const u of options.users ?? data.sequences.keys()) {
    const s = split(data.sequences[u]!);
    if (!s) continue;
    jobs.push(options.target === 'valid' ? { history: s.train, target: s.valid } : { history: [...s.train, s.valid], target: s.test });
  }
  return jobs;
}

/** Ranks of all users, and apart those whose target is warm and those whose target is cold. */
export class GroupedAccumulator {
  private readonly all = new RankingAccumulator();
  private readonly groups: { warm: RankingAccumulator; cold: RankingAccumulator } | undefined;

  constructor(private readonly cold?: ReadonlySet<number>) {
    if (cold) this.groups = { warm: new RankingAccumulator(), cold: new RankingAccumulator() };
  }

  add(rank: number, target: number): void {
    this.all.add(rank);
    this.groups?.[this.cold!.has(target) ? 'cold' : 'warm'].add(rank);
  }

  /** The evaluation of `items` candidates, keys in the order `eval --json` prints them. */
  result(items: number): Evaluation {
    const out: Evaluation = { protocol: PROTOCOL, users: this.all.count, items, metrics: this.all.result() };
    if (this.groups) {
      for (const g of ['warm', 'cold'] as const) {
        const m = this.groups[g].result();
        out[g] = { users: this.groups[g].count, 'HR@10': m['HR@10'], 'NDCG@10': m['NDCG@10'] };
      }
    }
    return out;
  }
}

/**
 * Full-ranking leave-one-out evaluation through the model's own scoring code (the same `SasRec` the widget
 * runs): the target is ranked against every item the model ranks (`itemCount`: its own and any
 * feature-only items after them), with the items the user had before it excluded.
 */
export async function evaluate(model: SasRec, data: Dataset, options: EvaluateOptions): Promise<Evaluation> {
  const batchSize = options.batchSize ?? 256;
  const acc = new GroupedAccumulator(options.cold);
  const width = model.itemCount + 1;
  const jobs = evaluationJobs(data, options);
  // Similar lengths together: each batch's window is only as long as its longest history.
  jobs.sort((a, b) => a.history.length - b.history.length);
  for (let start = 0; start < jobs.length; start += batchSize) {
    const batch = jobs.slice(start, start + batchSize);
    const scores = await model.scoreBatch(batch.map((j) => j.history));
    batch.forEach((job, b) => acc.add(rankOf(scores, job.target, new Set(job.history), b * width, width), job.target));
  }
  return acc.result(model.itemCount);
}

/**
 * How often each item (index 1..items; 0 is padding) occurs in the training part of all histories, what a
 * model trained on the data learned from; `cold` items count 0, as nobody who trains without them knows
 * their interactions.
 */
export function trainingCounts(data: Dataset, cold?: ReadonlySet<number>): Float64Array {
  const counts = new Float64Array(data.itemIds.length + 1);
  for (const s of data.sequences) for (const i of split(s)?.train ?? []) counts[i]!++;
  for (const i of cold ?? []) if (i >= 1 && i < counts.length) counts[i] = 0;
  return counts;
}

/**
 * The popularity baseline under the same protocol: every item scored by how often it occurs in the
 * training part of all histories (what the model learned from), ties broken by a seeded random order
 * rather than against the target, seen items excluded. A model that does not beat it has learned nothing
 * beyond bestsellers. `cold` items count 0, as the model never saw them: a held-out item's interactions
 * in the data are not known to anyone who trains without them.
 */
export function evaluatePopularity(data: Dataset, options: Pick<EvaluateOptions, 'target' | 'users' | 'cold'> & { seed: number }): Evaluation {
  const width = data.itemIds.length + 1;
  const scores = trainingCounts(data, options.cold);
  const tiebreak = rng(options.seed);
  for (let i = 1; i < width; i++) scores[i]! += tiebreak() * 0.5;
  const acc = new GroupedAccumulator(options.cold);
  for (const job of evaluationJobs(data, options)) acc.add(rankOf(scores, job.target, new Set(job.history)), job.target);
  return acc.result(data.itemIds.length);
}
