/**
 * Thompson sampling over copy variants (Thompson 1933; Chapelle & Li, "An Empirical Evaluation of
 * Thompson Sampling", NIPS 2011): each variant's click-through rate has a Beta(1 + clicks, 1 + shown -
 * clicks) posterior; to choose, draw one sample per candidate and take the largest. New variants get tried,
 * variants that earn clicks win more often, and it needs no tuning. Runs on the device; its counts are
 * stored in IndexedDB with the profile and erased with it.
 */

/** Posterior counts of one variant. */
export interface Arm {
  shown: number;
  clicked: number;
}

export type BanditState = Record<string, Arm>;

/** A standard normal draw (Box-Muller). */
function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) draw by Marsaglia & Tsang (2000), with the shape < 1 boost. */
function sampleGamma(shape: number, random: () => number): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) draw as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(a: number, b: number, random: () => number = Math.random): number {
  const x = sampleGamma(a, random);
  const y = sampleGamma(b, random);
  return x / (x + y);
}

/** Counts are capped so a stored state stays small and old evidence slowly gives way to new. */
const MAX_SHOWN = 10_000;

export class Bandit {
  private arms: BanditState;

  constructor(
    state: BanditState = {},
    private readonly random: () => number = Math.random,
  ) {
    this.arms = {};
    for (const [key, arm] of Object.entries(state)) {
      if (Number.isFinite(arm?.shown) && Number.isFinite(arm?.clicked) && arm.shown >= 0 && arm.clicked >= 0) {
        this.arms[key] = { shown: arm.shown, clicked: Math.min(arm.clicked, arm.shown) };
      }
    }
  }

  /** One of `keys`, by Thompson sampling. `keys` must not be empty. */
  choose(keys: readonly string[]): string {
    let best = keys[0]!;
    let bestDraw = -1;
    for (const key of keys) {
      const arm = this.arms[key] ?? { shown: 0, clicked: 0 };
      const draw = sampleBeta(1 + arm.clicked, 1 + Math.max(0, arm.shown - arm.clicked), this.random);
      if (draw > bestDraw) {
        best = key;
        bestDraw = draw;
      }
    }
    return best;
  }

  /** The variant was seen (an impression): a trial. */
  shown(key: string): void {
    const arm = (this.arms[key] ??= { shown: 0, clicked: 0 });
    arm.shown++;
    if (arm.shown > MAX_SHOWN) {
      arm.shown = Math.round(arm.shown / 2);
      arm.clicked = Math.round(arm.clicked / 2);
    }
  }

  /** The variant's card was clicked: a success. A click without a counted impression counts one. */
  clicked(key: string): void {
    const arm = (this.arms[key] ??= { shown: 0, clicked: 0 });
    arm.clicked++;
    if (arm.shown < arm.clicked) arm.shown = arm.clicked;
  }

  /** Posterior mean click-through rate, for the profile panel and tests. */
  mean(key: string): number {
    const arm = this.arms[key] ?? { shown: 0, clicked: 0 };
    return (1 + arm.clicked) / (2 + arm.shown);
  }

  snapshot(): BanditState {
    return structuredClone(this.arms);
  }

  clear(): void {
    this.arms = {};
  }
}
