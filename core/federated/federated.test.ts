import { describe, expect, it } from 'vitest';
import { thrownContractError } from '../../test/support/contract-error.ts';
import type { ModelConfig } from '../model/config.ts';
import { initWeights } from '../model/weights.ts';
import { normal, rng } from '../random.ts';
import { epsilonFromRdp, gaussianEpsilon, gaussianRdp, roundEpsilon, roundsWithinBudget } from './accountant.ts';
import { AGGREGATION_DEFAULTS, noiseStdDevs, RoundAggregator, roundNoiseMultiplier, secureNormal, type AggregationSettings } from './aggregate.ts';
import type { WeightDelta } from './codec.ts';
import { applyDelta, clipDelta, composeDeltas, deltaNorm, diffWeights, emptyRows } from './delta.ts';

const CONFIG: ModelConfig = { numItems: 10, dim: 2, blocks: 0, heads: 1, maxLen: 2 };

const delta = (rows: Record<number, [number, number]>, pos: number[] = [0, 0, 0, 0]): WeightDelta => {
  const indices = Object.keys(rows).map(Number).sort((a, b) => a - b);
  return {
    dense: new Map([['pos_emb', Float32Array.from(pos)]]),
    rows: { indices: Uint32Array.from(indices), values: Float32Array.from(indices.flatMap((r) => rows[r]!)) },
  };
};

describe('delta arithmetic', () => {
  it('measures the L2 norm over dense values and rows together', () => {
    expect(deltaNorm(delta({ 1: [3, 0] }, [0, 4, 0, 0]))).toBeCloseTo(5);
  });

  it('clips to the norm bound and leaves a smaller delta untouched', () => {
    const d = delta({ 1: [3, 0] }, [0, 4, 0, 0]);
    const clipped = clipDelta(d, 1);
    expect(clipped.clipped).toBe(true);
    expect(clipped.norm).toBeCloseTo(5);
    expect(deltaNorm(clipped.delta)).toBeCloseTo(1);
    expect(clipped.delta.rows.values[0]).toBeCloseTo(0.6);
    expect(d.rows.values[0]).toBe(3);
    expect(clipDelta(d, 10).delta).toBe(d);
  });

  it('applies a delta to weights without changing the originals, and diffWeights inverts it', () => {
    const weights = initWeights(CONFIG, 3);
    const d = delta({ 2: [1, -1], 7: [0.5, 0.5] }, [1, 2, 3, 4]);
    const next = applyDelta(weights, d);
    expect(next.get('item_emb')!.values[4]).toBeCloseTo(weights.get('item_emb')!.values[4]! + 1);
    expect(weights.get('item_emb')!.values).not.toBe(next.get('item_emb')!.values);
    expect(next.get('final_ln.gamma')).toBe(weights.get('final_ln.gamma'));
    const back = diffWeights(CONFIG, weights, next, 'changed');
    expect([...back.rows.indices]).toEqual([2, 7]);
    expect([...back.dense.get('pos_emb')!].map((v) => Math.round(v * 1e5) / 1e5)).toEqual([1, 2, 3, 4]);
    expect(back.dense.has('final_ln.gamma')).toBe(false);
  });

  it('refuses to apply a row outside the item table', () => {
    const weights = initWeights(CONFIG, 3);
    thrownContractError(() => applyDelta(weights, delta({ 11: [1, 1] })), 'bad_update');
  });

  it('composes deltas: dense summed, rows merged', () => {
    const c = composeDeltas(2, delta({ 1: [1, 1], 3: [1, 0] }, [1, 0, 0, 0]), delta({ 3: [1, 1], 5: [2, 2] }, [1, 0, 0, 0]));
    expect([...c.rows.indices]).toEqual([1, 3, 5]);
    expect([...c.rows.values]).toEqual([1, 1, 2, 1, 2, 2]);
    expect(c.dense.get('pos_emb')![0]).toBe(2);
  });
});

describe('RDP accountant (Mironov 2017)', () => {
  it('gives the Gaussian RDP alpha / (2 z^2)', () => {
    expect(gaussianRdp(2, 3)).toBeCloseTo(3 / 8);
  });

  it('matches the closed-form optimum over alpha within 1% (and never below it)', () => {
    // min over real alpha > 1 of T alpha / (2 z^2) + L / (alpha - 1) is T / (2 z^2) + sqrt(2 T L) / z.
    for (const [z, T, delta] of [
      [1, 1, 1e-5],
      [1.1, 100, 1e-6],
      [4, 1000, 1e-6],
    ] as const) {
      const L = Math.log(1 / delta);
      const exact = T / (2 * z * z) + Math.sqrt(2 * T * L) / z;
      const eps = gaussianEpsilon({ noiseMultiplier: z, delta }, T);
      expect(eps).toBeGreaterThanOrEqual(exact - 1e-9);
      expect(eps).toBeLessThan(exact * 1.01);
    }
  });

  it('composes rounds before converting: the total is below the sum of per-round epsilons', () => {
    const acc = { noiseMultiplier: 1, delta: 1e-6 };
    const { epsilon, totalEpsilon } = roundEpsilon(acc, 10);
    expect(totalEpsilon).toBeGreaterThan(epsilon);
    expect(totalEpsilon).toBeLessThan(10 * epsilon);
  });

  it('counts the rounds a budget allows', () => {
    const acc = { noiseMultiplier: 3, delta: 1e-6 };
    const n = roundsWithinBudget(acc, 8);
    expect(gaussianEpsilon(acc, n)).toBeLessThanOrEqual(8);
    expect(gaussianEpsilon(acc, n + 1)).toBeGreaterThan(8);
    expect(roundsWithinBudget({ noiseMultiplier: 0.1, delta: 1e-6 }, 1)).toBe(0);
  });

  it('refuses a delta outside (0, 1)', () => {
    expect(() => epsilonFromRdp(() => 1, 0)).toThrow(RangeError);
  });

  it('charges the sum and the counts as one composed Gaussian', () => {
    expect(roundNoiseMultiplier({ noiseMultiplier: 1, countNoiseMultiplier: 1 })).toBeCloseTo(Math.SQRT1_2);
  });
});

describe('RoundAggregator', () => {
  const exact: AggregationSettings = {
    ...AGGREGATION_DEFAULTS,
    clipNorm: 10,
    rowClipNorm: 10,
    noiseMultiplier: 0,
    countNoiseMultiplier: 0,
    releaseThreshold: 1,
    maxRowsPerClient: 4,
  };

  it('without noise, returns the mean of the updates and releases rows that reach the threshold', () => {
    const agg = new RoundAggregator(CONFIG, { ...exact, releaseThreshold: 2 });
    agg.add(delta({ 1: [1, 0], 2: [2, 2] }, [1, 1, 1, 1]));
    agg.add(delta({ 1: [3, 0] }, [3, 3, 3, 3]));
    const out = agg.finish(() => 0);
    expect(out.updates).toBe(2);
    expect([...out.delta.dense.get('pos_emb')!]).toEqual([2, 2, 2, 2]);
    // Row 2 was moved by one device only: below the threshold of 2, it is not released.
    expect([...out.delta.rows.indices]).toEqual([1]);
    expect([...out.delta.rows.values]).toEqual([2, 0]);
    expect(out.rowCounts).toEqual(new Map([[1, 2]]));
    expect(out.delta.dense.get('final_ln.gamma')).toEqual(new Float32Array(2));
  });

  it('clips each update to C, each row to the row bound, and keeps at most m rows per update', () => {
    const agg = new RoundAggregator(CONFIG, { ...exact, clipNorm: 1, rowClipNorm: 0.5, maxRowsPerClient: 2 });
    const r = agg.add(delta({ 1: [0.01, 0], 2: [100, 0], 3: [0, 0.2] }));
    expect(r.clipped).toBe(false); // rows clipped first: 0.5 and 0.2 leave the update within C
    const out = agg.finish(() => 0);
    expect([...out.delta.rows.indices]).toEqual([2, 3]); // row 1 had the smallest norm and was dropped
    expect(out.delta.rows.values[0]).toBeCloseTo(0.5);
    const big = new RoundAggregator(CONFIG, { ...exact, clipNorm: 1 });
    expect(big.add(delta({}, [30, 40, 0, 0])).clipped).toBe(true);
    expect([...big.finish(() => 0).delta.dense.get('pos_emb')!].map((v) => +v.toFixed(5))).toEqual([0.6, 0.8, 0, 0]);
  });

  it('adds noise of standard deviation z*C/K to every dense coordinate of the mean', () => {
    const K = 50;
    const settings = { ...exact, clipNorm: 2, noiseMultiplier: 1.5, releaseThreshold: 'all' as const };
    const big: ModelConfig = { numItems: 1000, dim: 8, blocks: 1, heads: 1, maxLen: 50 };
    const agg = new RoundAggregator(big, settings);
    for (let i = 0; i < K; i++) agg.add({ dense: new Map(), rows: emptyRows() });
    const out = agg.finish(normal(rng(7)));
    const all = [...out.delta.dense.values()].flatMap((v) => [...v]).concat([...out.delta.rows.values]);
    const sd = Math.sqrt(all.reduce((s, v) => s + v * v, 0) / all.length);
    expect(sd).toBeCloseTo((1.5 * 2) / K, 3);
    expect(out.delta.rows.indices.length).toBe(1000);
  });

  describe('with a trimmed mean (trim > 0)', () => {
    const trimmedSettings = { ...exact, clipNorm: 1, rowClipNorm: 1, releaseThreshold: 'all' as const, trim: 0.1 };

    it('drops the t largest and t smallest values of each dense coordinate, so one device pushing a weight far moves it no further than the honest spread', () => {
      const honest = Array.from({ length: 9 }, (_, i) => [0.01 * (i + 1), 0.02, 0, 0]);
      const attack = [1, 0, 0, 0]; // at the clip norm: the most one device may send
      const mean = new RoundAggregator(CONFIG, { ...trimmedSettings, trim: 0 });
      const trimmed = new RoundAggregator(CONFIG, trimmedSettings);
      for (const agg of [mean, trimmed]) for (const pos of [...honest, attack]) agg.add(delta({}, pos));
      const plain = mean.finish(() => 0).delta.dense.get('pos_emb')!;
      const robust = trimmed.finish(() => 0);
      expect(robust.trimmed).toBe(1); // ⌊0.1 × 10⌋ from each end
      expect(plain[0]).toBeCloseTo((0.45 + 1) / 10); // the attacker moved the mean by 0.1
      // Coordinate 0 keeps 0.02..0.09 (the attacker's 1 and the smallest 0.01 dropped): their mean.
      expect(robust.delta.dense.get('pos_emb')![0]).toBeCloseTo(0.44 / 8);
      // Coordinate 1: nine 0.02s and the attacker's 0; the 0 and one 0.02 are dropped.
      expect(robust.delta.dense.get('pos_emb')![1]).toBeCloseTo(0.02);
    });

    it('moves its noiseless release by at most 2C when one update is swapped for any other (the sensitivity its noise is sized for)', () => {
      const g = normal(rng(11));
      const K = 12;
      const randomUpdate = (): WeightDelta => {
        const big = g() > 0.5 ? 3 : 0.2; // some above C (clipped), some below
        const rows: Record<number, [number, number]> = {};
        for (const r of [1 + Math.floor(Math.abs(g()) * 3), 5 + Math.floor(Math.abs(g()) * 3)]) rows[r] = [g() * big, g() * big];
        return { ...delta(rows, [g() * big, g() * big, g() * big, g() * big]), dense: new Map([['pos_emb', Float32Array.from([g() * big, g() * big, g() * big, g() * big])], ['final_ln.beta', Float32Array.from([g() * big, g() * big])]]) };
      };
      // The release before noise, in sum units: trimmed dense sums and row sums.
      const release = (updates: WeightDelta[]): number[] => {
        const agg = new RoundAggregator(CONFIG, trimmedSettings);
        for (const u of updates) agg.add(u);
        const out = agg.finish(() => 0);
        const dense = [...out.delta.dense.values()].flatMap((v) => [...v].map((x) => x * (K - 2 * out.trimmed)));
        return [...dense, ...[...out.delta.rows.values].map((x) => x * K)];
      };
      let largest = 0;
      for (let trial = 0; trial < 200; trial++) {
        const updates = Array.from({ length: K }, randomUpdate);
        const swapped = [...updates];
        swapped[trial % K] = randomUpdate();
        const a = release(updates);
        const b = release(swapped);
        largest = Math.max(largest, Math.hypot(...a.map((v, i) => v - b[i]!)));
      }
      expect(largest).toBeLessThanOrEqual(2 * trimmedSettings.clipNorm + 1e-5);
      expect(largest).toBeGreaterThan(trimmedSettings.clipNorm); // the bound is approached, not vacuous
    });

    it('doubles the noise (σ = 2zC on the sums, z_c√(2m) on the counts) and divides the dense sums by K − 2t', () => {
      const settings = { ...trimmedSettings, clipNorm: 2, noiseMultiplier: 1.5, countNoiseMultiplier: 3, maxRowsPerClient: 8, trim: 0.25 };
      const agg = new RoundAggregator(CONFIG, settings);
      for (let i = 0; i < 8; i++) agg.add({ dense: new Map(), rows: emptyRows() });
      const out = agg.finish(() => 1); // every standard normal drawn is 1
      expect(out.trimmed).toBe(2);
      expect(out.delta.dense.get('pos_emb')![0]).toBeCloseTo((2 * 1.5 * 2) / (8 - 4));
      expect(out.delta.rows.values[0]).toBeCloseTo((2 * 1.5 * 2) / 8);
      expect(out.rowCounts.get(1)).toBeCloseTo(3 * Math.sqrt(2 * 8));
      expect(noiseStdDevs(settings)).toEqual({ sum: 6, counts: 3 * 4 });
      expect(noiseStdDevs({ ...settings, trim: 0 })).toEqual({ sum: 3, counts: 3 * Math.sqrt(8) });
    });

    it('refuses a trim outside [0, 0.5)', () => {
      expect(() => new RoundAggregator(CONFIG, { ...exact, trim: 0.5 })).toThrow(/trim must be in \[0, 0\.5\)/);
      expect(() => new RoundAggregator(CONFIG, { ...exact, trim: -0.1 })).toThrow(/trim/);
      // Settings saved before `trim` existed have none: the plain mean.
      const { trim: _, ...older } = exact;
      const agg = new RoundAggregator(CONFIG, older as AggregationSettings);
      agg.add(delta({}, [1, 2, 3, 4]));
      expect([...agg.finish(() => 0).delta.dense.get('pos_emb')!]).toEqual([1, 2, 3, 4]);
    });
  });

  it('draws secure normals with mean 0 and variance 1', () => {
    const g = secureNormal();
    const xs = Array.from({ length: 20000 }, g);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance).toBeGreaterThan(0.95);
    expect(variance).toBeLessThan(1.05);
  });
});

describe('RoundAggregator, a model with content features', () => {
  it('keeps at most m feature rows per update, the largest, each clipped to the row bound, and noises the whole feature table', () => {
    const config: ModelConfig = { ...CONFIG, numFeatures: 3 };
    const settings: AggregationSettings = { ...AGGREGATION_DEFAULTS, clipNorm: 10, rowClipNorm: 0.5, noiseMultiplier: 0, countNoiseMultiplier: 0, releaseThreshold: 1, maxRowsPerClient: 2 };
    const agg = new RoundAggregator(config, settings);
    // Rows 1..3 of feat_emb moved by 0.1, 3 and 0.4 (dim 2): row 1 is dropped, row 2 clipped to 0.5.
    const features = Float32Array.from([0, 0, 0.1, 0, 3, 0, 0, 0.4]);
    agg.add({ dense: new Map([['feat_emb', features]]), rows: { indices: new Uint32Array(0), values: new Float32Array(0) } });
    const out = agg.finish(() => 0);
    expect([...out.delta.dense.get('feat_emb')!].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0, 0, 0, 0.5, 0, 0, 0.4]);
    const noisy = new RoundAggregator(config, { ...settings, noiseMultiplier: 1 });
    noisy.add({ dense: new Map([['feat_emb', features]]), rows: { indices: new Uint32Array(0), values: new Float32Array(0) } });
    expect(noisy.finish(() => 1).delta.dense.get('feat_emb')!.subarray(2).every((v) => v !== 0)).toBe(true);
  });
});
