/** How `edge-recs simulate` scores a model: every metric of its report comes from `evaluateWeights`. */
import { RankingAccumulator, rankOf, type Metrics } from '../../core/ranking-metrics.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { split, type Dataset } from '../data/dataset.ts';

export interface Evaluated {
  metrics: Metrics;
  /** Share of eval users with the target in their top 10 (seen items excluded). */
  exposure: number;
}

/**
 * Full-ranking leave-one-out on the test item (history = everything before it, seen items excluded), and
 * the share of users whose top 10 holds `target`.
 */
export async function evaluateWeights(config: ModelConfig, weights: NamedWeights, data: Dataset, users: readonly number[], target: number): Promise<Evaluated> {
  const model = SasRec.fromWeights(config, weights);
  try {
    const acc = new RankingAccumulator();
    let exposed = 0;
    const width = config.numItems + 1;
    const jobs = users.map((u) => {
      const s = split(data.sequences[u]!)!;
      return { history: [...s.train, s.valid], target: s.test };
    });
    jobs.sort((a, b) => a.history.length - b.history.length);
    for (let start = 0; start < jobs.length; start += 256) {
      const batch = jobs.slice(start, start + 256);
      const scores = await model.scoreBatch(batch.map((j) => j.history));
      batch.forEach((job, b) => {
        const seen = new Set(job.history);
        acc.add(rankOf(scores, job.target, seen, b * width, width));
        if (!seen.has(target) && rankOf(scores, target, seen, b * width, width) < 10) exposed++;
      });
    }
    return { metrics: acc.result(), exposure: exposed / Math.max(1, users.length) };
  } finally {
    model.dispose();
  }
}
