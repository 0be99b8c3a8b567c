/**
 * Which items a federated round counts as trending, from its noised per-row source counts alone.
 *
 * A row's count is of the distinct network sources whose updates carried it (`aggregate.ts`), so many
 * updates from one source (self-made client tokens) count once, and with padded updates (the client's default,
 * `rows: 'padded'`) every update carries `maxRowsPerClient` rows: the shopper's own recent items, then
 * uniformly sampled cover items. So every item gets about K·(m − own rows)/N from cover alone (about 13
 * for K = 50 updates of m = 64 rows over N = 240 items), plus the count noise, whether or not anyone chose
 * it. An item is evidence of interest only when its count stands well above that:
 *
 * - baseline b: the median noisy count over all N rows. Most items get cover only, so the median is about
 *   the cover share; where more than half the items have own rows it is higher, which only makes the test
 *   stricter. With `rows: 'sequence'` (no cover) b is about 0.
 * - spread σ_e = √(σ_c² + max(b, 1)): the count noise σ_c plus the cover count's own sampling spread (a
 *   binomial count's variance is at most its mean).
 * - evidence: count − b ≥ `TRENDING_EVIDENCE_SIGMAS` · σ_e. What passes is the excess, an estimate of how
 *   many sources carried the item beyond cover; that is what the item's trending score gets. At the
 *   default noise (σ_c = 32) that takes at least 160 distinct sources in one round, so a round whose
 *   updates come from few sources makes nothing trend, however many updates they sent.
 * - plausible movement (`TrendingLimits`): the item's row must have moved in the round's new version (its
 *   noisy count passed the release threshold), and its excess counts at most the round's distinct sources
 *   (noise cannot make an item trend for more sources than sent updates).
 *
 * It reads only the noisy counts (drawn for every row, released or not), so it is post-processing of the
 * round's Gaussian release and costs no privacy.
 */

/**
 * Margin, in σ_e, an item's count must clear above the baseline. 5: an item with only cover and noise
 * behind it passes with probability about 3·10⁻⁷ per round, so a 12,000-item catalog sees a false trending
 * item about once in 300 rounds.
 */
export const TRENDING_EVIDENCE_SIGMAS = 5;

export interface TrendingEvidence {
  /** b: the median noisy count, what cover and noise give an item nobody chose. */
  baseline: number;
  /** The smallest excess over b that passes, in devices: `TRENDING_EVIDENCE_SIGMAS` · σ_e. */
  margin: number;
  /** Rows that passed (model index 1..N) → their excess over b, in devices. */
  excess: Map<number, number>;
}

/** What a round's own release says about plausible movement (both optional: absent, no limit). */
export interface TrendingLimits {
  /** Whether row r (1..N) was released, i.e. moved in the round's new version. */
  released?: (row: number) => boolean;
  /** Distinct sources of the round's updates: no item's excess counts more. */
  sources?: number;
}

/**
 * The round's trending evidence.
 * @param counts noisy source count of every item row, row r at index r − 1 (all N of them).
 * @param countSigma σ_c, the count noise's standard deviation (`noiseStdDevs(settings).counts`).
 * @example trendingEvidence([12.1, 11.4, 51.7, 13.9], 4) // baseline 13, margin 26.9, excess Map { 3 => 38.7 }
 */
export function trendingEvidence(counts: ArrayLike<number>, countSigma: number, limits: TrendingLimits = {}): TrendingEvidence {
  const n = counts.length;
  if (n === 0) return { baseline: 0, margin: 0, excess: new Map() };
  const sorted = Float64Array.from(counts).sort();
  const mid = n >> 1;
  const baseline = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const margin = TRENDING_EVIDENCE_SIGMAS * Math.sqrt(countSigma ** 2 + Math.max(baseline, 1));
  const excess = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const above = counts[i]! - baseline;
    if (above >= margin && (limits.released?.(i + 1) ?? true)) excess.set(i + 1, Math.min(above, limits.sources ?? Infinity));
  }
  return { baseline, margin, excess };
}
