/**
 * A Rényi-DP accountant for the Gaussian mechanism, as federated rounds use it.
 *
 * - RDP of the Gaussian mechanism (Mironov, "Rényi Differential Privacy", CSF 2017, Prop. 7): a query
 *   of L2 sensitivity Δ with noise N(0, σ²) is (α, α·Δ²/(2σ²))-RDP for every order α > 1. With the
 *   noise multiplier z = σ/Δ that is α / (2z²).
 * - Composition (ibid. Prop. 1): RDP adds up over rounds and over mechanisms run on the same data.
 *   Two Gaussian releases with multipliers z₁, z₂ compose like one with z = (z₁⁻² + z₂⁻²)^(-1/2).
 * - Conversion (ibid. Prop. 3): (α, ρ)-RDP implies (ρ + log(1/δ)/(α−1), δ)-DP; we take the best α on
 *   a fixed grid (the orders TensorFlow Privacy uses).
 *
 * No amplification by subsampling is claimed: devices choose when to upload, so the server cannot vouch
 * for a random sample, and the figures below are the conservative ones.
 */

/** Orders α searched when converting to (ε, δ): fine near 1, where small ε lives, then coarser. */
const RDP_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 53 }, (_, i) => 12 + i),
  128,
  256,
  512,
  1024,
];

/** RDP at order `alpha` of one release of the Gaussian mechanism with noise multiplier `z` (σ/Δ). */
export function gaussianRdp(noiseMultiplier: number, alpha: number): number {
  return alpha / (2 * noiseMultiplier * noiseMultiplier);
}

/** The single noise multiplier equivalent to composing Gaussian releases with these multipliers. */
export function composedNoiseMultiplier(...multipliers: number[]): number {
  const inv = multipliers.reduce((s, z) => s + 1 / (z * z), 0);
  return 1 / Math.sqrt(inv);
}

/** (ε, δ) from an RDP curve: min over α of rdp(α) + log(1/δ)/(α−1) (Mironov 2017, Prop. 3). */
export function epsilonFromRdp(rdp: (alpha: number) => number, delta: number): { epsilon: number; order: number } {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1) (got ${delta})`);
  let best = { epsilon: Infinity, order: NaN };
  for (const alpha of RDP_ORDERS) {
    const epsilon = rdp(alpha) + Math.log(1 / delta) / (alpha - 1);
    if (epsilon < best.epsilon) best = { epsilon, order: alpha };
  }
  return best;
}

export interface GaussianAccounting {
  /** Noise multiplier z = σ / sensitivity of each release (after composing the round's releases). */
  noiseMultiplier: number;
  /** Target δ of the (ε, δ) guarantee, e.g. 1e-6 (below 1 / number of contributing devices). */
  delta: number;
}

/** ε after `rounds` rounds of the Gaussian mechanism at multiplier z, for the given δ. */
export function gaussianEpsilon({ noiseMultiplier, delta }: GaussianAccounting, rounds: number): number {
  if (rounds <= 0) return 0;
  if (!(noiseMultiplier > 0)) return Infinity;
  return epsilonFromRdp((alpha) => rounds * gaussianRdp(noiseMultiplier, alpha), delta).epsilon;
}

/**
 * The per-round and running totals a round reports: `epsilon` of that round alone, `totalEpsilon` of all
 * rounds so far composed (tighter than summing the per-round figures, as RDP composes before converting).
 */
export function roundEpsilon(accounting: GaussianAccounting, round: number): { epsilon: number; totalEpsilon: number } {
  return { epsilon: gaussianEpsilon(accounting, 1), totalEpsilon: gaussianEpsilon(accounting, round) };
}

/** How many rounds fit in `budget` (total ε) at this noise; 0 when not even one does. */
export function roundsWithinBudget(accounting: GaussianAccounting, budget: number): number {
  if (gaussianEpsilon(accounting, 1) > budget) return 0;
  let lo = 1;
  let hi = 2;
  while (gaussianEpsilon(accounting, hi) <= budget) {
    lo = hi;
    hi *= 2;
    if (hi > 1e9) return Infinity;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (gaussianEpsilon(accounting, mid) <= budget) lo = mid;
    else hi = mid;
  }
  return lo;
}
