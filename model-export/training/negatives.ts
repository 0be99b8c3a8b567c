/**
 * The shared negatives of a sampled-softmax step, and the log-Q correction of each (`LossOptions.negativeBias`).
 *
 * `popularity` (the default) draws each negative with probability proportional to its item's count in
 * the training histories plus one, so the items a history's next item most often competes with — the
 * popular ones, which are also the hardest to rank below it — are among a step's negatives far more often
 * than a uniform draw puts them, and corrects each drawn logit by −log(expected draws) so the sampled sum
 * still estimates the full softmax's denominator. On Beauty, 2,048 such negatives came within 0.001 of
 * full softmax's validation NDCG@10 over the first epochs at the cost of 2,048 uniform ones
 * (docs/benchmarks.md, "Recipe runs for issue 19").
 *
 * `uniform` draws every item alike and needs no per-item correction: it is the earlier recipe, kept
 * bit for bit (no bias), for the figures measured with it.
 */
export const NEGATIVE_SAMPLINGS = ['popularity', 'uniform'] as const;
export type NegativeSampling = (typeof NEGATIVE_SAMPLINGS)[number];

/** A step's draw: the negatives (item indices, repeats allowed) and, where needed, each one's correction. */
export interface NegativeDraw {
  negatives: Int32Array;
  bias?: Float32Array;
}

/** Draws a step's shared negatives from items 1..numItems (never the padding index 0), with replacement. */
export class NegativeSampler {
  private constructor(
    private readonly numItems: number,
    /** Popularity: the cumulative sampling weights of items 1..numItems (index 0 holds 0), and their total. */
    private readonly cumulative: Float64Array | undefined,
  ) {}

  /**
   * A sampler for `sampling` over items 1..`numItems`, its popularity counted in `sequences` (item indices;
   * indices outside 1..numItems are ignored).
   */
  static from(sampling: NegativeSampling, numItems: number, sequences: readonly (readonly number[])[]): NegativeSampler {
    if (!Number.isInteger(numItems) || numItems < 1) throw new Error(`NegativeSampler: numItems must be a positive integer (got ${numItems})`);
    if (sampling === 'uniform') return new NegativeSampler(numItems, undefined);
    if (sampling !== 'popularity') throw new Error(`NegativeSampler: unknown sampling "${String(sampling)}" (one of ${NEGATIVE_SAMPLINGS.join(', ')})`);
    const weight = new Float64Array(numItems + 1).fill(1);
    weight[0] = 0;
    for (const s of sequences) for (const i of s) if (i >= 1 && i <= numItems) weight[i]! += 1;
    const cumulative = new Float64Array(numItems + 1);
    for (let i = 1; i <= numItems; i++) cumulative[i] = cumulative[i - 1]! + weight[i]!;
    return new NegativeSampler(numItems, cumulative);
  }

  /** Probability that one draw gives item `i` (1..numItems). */
  probability(i: number): number {
    const c = this.cumulative;
    return c ? (c[i]! - c[i - 1]!) / c[this.numItems]! : 1 / this.numItems;
  }

  /** `count` negatives, drawing `count` numbers from `random`; with popularity, each one's −log(count · probability). */
  draw(count: number, random: () => number): NegativeDraw {
    const negatives = new Int32Array(count);
    const c = this.cumulative;
    if (!c) {
      for (let k = 0; k < count; k++) negatives[k] = 1 + Math.floor(random() * this.numItems);
      return { negatives };
    }
    const total = c[this.numItems]!;
    const bias = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      // The first item whose cumulative weight exceeds u: binary search over the cumulative weights.
      const u = random() * total;
      let lo = 1;
      let hi = this.numItems;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (c[mid]! <= u) lo = mid + 1;
        else hi = mid;
      }
      negatives[k] = lo;
      bias[k] = -Math.log(count * this.probability(lo));
    }
    return { negatives, bias };
  }
}
