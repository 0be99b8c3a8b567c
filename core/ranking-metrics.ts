/**
 * Ranking metrics of the published protocol (../shared/datasets/README.md): the target is ranked against
 * ALL items, with the items the user interacted with before it removed from the candidates.
 */
export const CUTOFFS = [5, 10, 20] as const;
type MetricName = `HR@${(typeof CUTOFFS)[number]}` | `NDCG@${(typeof CUTOFFS)[number]}`;
export type Metrics = Record<MetricName, number>;

/**
 * 0-based rank of `target` in `scores` (row of a score matrix), counting only candidates not in `seen`
 * and never the padding column 0. Ties count against the target, so a constant model scores zero.
 */
export function rankOf(scores: ArrayLike<number>, target: number, seen: ReadonlySet<number>, offset = 0, width = scores.length): number {
  const t = scores[offset + target]!;
  if (Number.isNaN(t)) return width; // a broken score never counts as a hit
  // Count every candidate at or above the target, then take back the excluded ones: one tight loop over
  // the catalog instead of a set lookup per item (the hot loop of a full-ranking evaluation).
  let rank = 0;
  for (let i = offset + 1, end = offset + width; i < end; i++) if (scores[i]! >= t) rank++;
  rank--; // the target itself
  for (const i of seen) if (i !== target && i >= 1 && i < width && scores[offset + i]! >= t) rank--;
  return rank;
}

/** Accumulates HR@k (hit if rank < k) and NDCG@k (1/log2(rank+2), Järvelin & Kekäläinen 2002, one relevant item). */
export class RankingAccumulator {
  private readonly sums = new Map<MetricName, number>();
  count = 0;

  add(rank: number): void {
    this.count++;
    for (const k of CUTOFFS) {
      if (rank < k) {
        this.bump(`HR@${k}`, 1);
        this.bump(`NDCG@${k}`, 1 / Math.log2(rank + 2));
      }
    }
  }

  result(): Metrics {
    const out = {} as Metrics;
    for (const k of CUTOFFS) {
      out[`HR@${k}`] = this.mean(`HR@${k}`);
      out[`NDCG@${k}`] = this.mean(`NDCG@${k}`);
    }
    return out;
  }

  private bump(name: MetricName, v: number): void {
    this.sums.set(name, (this.sums.get(name) ?? 0) + v);
  }

  private mean(name: MetricName): number {
    return this.count === 0 ? 0 : (this.sums.get(name) ?? 0) / this.count;
  }
}
