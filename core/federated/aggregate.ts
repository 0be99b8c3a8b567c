/**
 * One aggregation round of DP-FedAvg (McMahan et al., "Learning Differentially Private Recurrent Language
 * Models", ICLR 2018) adapted to a sparse item table. Pure computation: the edge server runs it inside
 * its per-model single writer, `edge-recs simulate` runs it in process.
 *
 * Per update: keep at most `maxRowsPerClient` item rows, clip each row to `rowClipNorm`, clip the whole
 * update to `clipNorm` (C). Then, over the K updates of the round:
 *
 * 1. Sum S = Σ clipped updates; L2 sensitivity C (adding or removing one device moves S by at most C).
 * 2. Row counts c_j = number of distinct network sources whose updates moved item row j (each update its
 *    own source where the caller names none); L2 sensitivity √m (m = maxRowsPerClient): adding or removing
 *    one device changes at most m rows' counts, each by at most 1, whether or not its source sent others.
 *    Counting sources, not updates, is what keeps many updates from one source (self-made tokens) from
 *    releasing a row or making an item trend: they count once.
 * 3. Gaussian mechanism on both, over *every* coordinate: S + N(0, (zC)²) and c + N(0, (z_c√m)²).
 * 4. Release the rows whose noisy count is at least the threshold τ, and all dense tensors. Which rows
 *    pass depends only on the noisy counts, so the choice is post-processing and costs no extra privacy
 *    (the sum noise of rows not released is never drawn, which is the same as drawing and dropping it).
 *    This is what keeps a new version's delta sparse: a row few devices touched would be mostly noise anyway.
 *    The noisy counts of all rows also give the trending evidence (`trending.ts`), post-processing too.
 * 5. Mean = released part of the noisy sum / K, i.e. noise σ = z·C/K on the mean; new weights = base +
 *    η · mean (η: server learning rate).
 *
 * Privacy per round: two Gaussian releases composed, i.e. one with multiplier (z⁻² + z_c⁻²)^(-1/2)
 * (see `accountant.ts`). Note what this does and does not protect: the published model (and so every
 * device that downloads it) learns about any one device only within ε; the server itself sees each
 * clipped update, as in DP-FedAvg without secure aggregation.
 *
 * Optional coordinate-wise trimmed mean (`trim` = β > 0) for the dense tensors: per coordinate, the t =
 * ⌊βK⌋ largest and t smallest of the K clipped values are dropped and the rest summed (T). Item rows keep
 * the sum above: most devices leave a given row at zero, so trimming would drop the few that moved it.
 * Its privacy: under add/remove adjacency a trimmed sum has no sensitivity bounded by C (adding one device
 * can shift every coordinate's window by a value from a different device), but under replace-one
 * adjacency (one device's update swapped for any other) it does. Sorting is non-expansive in ℓ1, so
 * swapping one value moves a coordinate's trimmed sum by at most |x_j − x'_j|, and the whole release
 * (T, row sums) by at most ‖x − x'‖₂ ≤ 2C; the row counts by at most √(2m). So with trimming the noise
 * follows those sensitivities (σ = 2zC on T and the row sums, z_c·√(2m) on the counts: `noiseStdDevs`),
 * the accountant's ε for (z, z_c) holds for replace-one adjacency, and the dense mean is
 * (T + noise) / (K − 2t).
 */
import { paramShapes, type ModelConfig } from '../model/config.ts';
import { size } from '../model/weights.ts';
import { normal } from '../random.ts';
import { composedNoiseMultiplier } from './accountant.ts';
import type { WeightDelta } from './codec.ts';
import { clipDelta, clipRowsInPlace, limitDenseRows } from './delta.ts';
import { trendingEvidence, type TrendingEvidence } from './trending.ts';

export interface AggregationSettings {
  /** C: the L2 norm every update is clipped to. */
  clipNorm: number;
  /** z: noise standard deviation on the summed updates, in units of C. */
  noiseMultiplier: number;
  /** z_c: noise on the per-row counts, in units of their sensitivity √maxRowsPerClient. */
  countNoiseMultiplier: number;
  /** m: item rows one update may move; rows past it (smallest norms first) are dropped. */
  maxRowsPerClient: number;
  /** Each item row of an update is clipped to this norm before the whole update is clipped to C. */
  rowClipNorm: number;
  /** τ: noisy count a row needs to be released, in devices; `'all'` releases (and noises) every row. */
  releaseThreshold: number | 'all';
  /** η: the mean update is scaled by this before it is added to the base weights. */
  serverLearningRate: number;
  /**
   * β in [0, 0.5): the fraction of values trimmed from each end of every dense coordinate (a
   * coordinate-wise trimmed mean, against a few devices pushing one weight far); 0, the default, is the
   * norm-bounded mean. With β > 0 all noise doubles and ε holds for replace-one adjacency (see above),
   * and a round keeps every update's dense values until it closes: K × the dense parameter count × 4 bytes.
   */
  trim: number;
}

/** Defaults, each with its reason. */
export const AGGREGATION_DEFAULTS: AggregationSettings = {
  // Typical device updates (a few Adam steps at lr 1e-3 on one shopper) have norms well below 1, so
  // clipping at 1 bounds a malicious device without shrinking honest ones.
  clipNorm: 1,
  // z = z_c = 4 compose to 2.83 per round: ε ≈ 1.9 for one round and ≈ 9.6 for 20 rounds at δ = 1e-6
  // (Mironov's conversion). With cohorts of ~1000 the mean's noise zC/K stays ~250x below C.
  noiseMultiplier: 4,
  countNoiseMultiplier: 4,
  // A shopper's recent history (SASRec reads 50 items) plus sampled negatives fits in 64 rows.
  maxRowsPerClient: 64,
  // A quarter of the default C: a device pushing one item (poisoning) moves it at most C/4.
  rowClipNorm: 0.25,
  // 3σ of the count noise at z_c = 4, m = 64 (σ = 32): a row no device touched is released with
  // probability 0.13%. `defaultReleaseThreshold` recomputes it for other z_c and m.
  releaseThreshold: 96,
  serverLearningRate: 1,
  // Off: the clip, the row limit and the row clip bound what one device can do, at the privacy of
  // add/remove adjacency, which a trimmed mean cannot give.
  trim: 0,
};

/** τ = 3σ of the count noise (σ = z_c·√m): a row no device moved passes with probability 0.13%. */
export function defaultReleaseThreshold(s: Pick<AggregationSettings, 'countNoiseMultiplier' | 'maxRowsPerClient'>): number {
  return 3 * s.countNoiseMultiplier * Math.sqrt(s.maxRowsPerClient);
}

/** The noise multiplier the accountant charges per round: the sum's and the counts' composed. */
export function roundNoiseMultiplier(s: Pick<AggregationSettings, 'noiseMultiplier' | 'countNoiseMultiplier'>): number {
  if (s.noiseMultiplier <= 0 || s.countNoiseMultiplier <= 0) return 0;
  return composedNoiseMultiplier(s.noiseMultiplier, s.countNoiseMultiplier);
}

/**
 * The Gaussian noise's standard deviations: on the summed updates z·C, on the row counts z_c·√m (their
 * sensitivities); both sensitivities double with trimming, whose ε holds for replace-one adjacency.
 */
export function noiseStdDevs(s: Pick<AggregationSettings, 'noiseMultiplier' | 'countNoiseMultiplier' | 'clipNorm' | 'maxRowsPerClient' | 'trim'>): { sum: number; counts: number } {
  const adjacency = s.trim > 0 ? 2 : 1;
  return { sum: adjacency * s.noiseMultiplier * s.clipNorm, counts: s.countNoiseMultiplier * Math.sqrt(adjacency * s.maxRowsPerClient) };
}

/**
 * Standard normal samples from the platform's CSPRNG (`crypto.getRandomValues`): DP noise an observer
 * could predict (a seeded PRNG) would protect nothing. Box-Muller on 32-bit uniforms truncates the tails
 * at ~6.7σ, well past where it matters for the ε reported.
 */
export function secureNormal(): () => number {
  const buf = new Uint32Array(1024);
  let i = buf.length;
  return normal(() => {
    if (i >= buf.length) {
      crypto.getRandomValues(buf);
      i = 0;
    }
    return (buf[i++]! + 0.5) / 4294967296;
  });
}

export interface AggregateResult {
  /** η · (noisy mean) over all dense tensors and the released rows: what the new version adds to the base. */
  delta: WeightDelta;
  /** Noisy number of distinct sources that moved each released row (model index → count). */
  rowCounts: Map<number, number>;
  /**
   * The items whose noisy count stands well above what cover rows and noise give every item, with their
   * excess in devices (`trending.ts`): what the trending list counts. Independent of the release threshold.
   */
  trending: TrendingEvidence;
  updates: number;
  /** Updates whose norm exceeded C and were scaled down. */
  clipped: number;
  /** Mean L2 norm of the updates before clipping. */
  meanNorm: number;
  /** Values trimmed from each end of every dense coordinate (t = ⌊βK⌋); 0 for the plain mean. */
  trimmed: number;
}

/**
 * Accumulates a round's updates one at a time (so a round never holds all of them in memory, unless it
 * trims: the order statistics need every value) and adds the noise at the end.
 */
export class RoundAggregator {
  #dense = new Map<string, Float32Array>();
  /** With trimming: each update's clipped dense tensors, laid out as `#layout` says (absent tensors are 0). */
  #denseValues: Float32Array[] = [];
  #layout: Array<{ name: string; offset: number; length: number }>;
  #denseLength: number;
  #rows = new Map<number, Float32Array>();
  #counts = new Map<number, number>();
  /** Per row, the sources already counted for it (only for updates `add` was given a source for). */
  #rowSources = new Map<number, Set<string>>();
  #sources = new Set<string>();
  #unnamed = 0;
  #updates = 0;
  #clipped = 0;
  #normSum = 0;

  readonly settings: AggregationSettings;

  constructor(
    readonly config: ModelConfig,
    settings: AggregationSettings,
  ) {
    // Settings from before `trim` existed have none: the plain mean.
    this.settings = { ...settings, trim: settings.trim ?? 0 };
    const { trim } = this.settings;
    if (!(trim >= 0 && trim < 0.5)) throw new RangeError(`RoundAggregator: trim must be in [0, 0.5) (got ${trim})`);
    let offset = 0;
    this.#layout = paramShapes(config)
      .filter(([name]) => name !== 'item_emb')
      .map(([name, shape]) => {
        const entry = { name, offset, length: size(shape) };
        offset += entry.length;
        return entry;
      });
    this.#denseLength = offset;
  }

  /**
   * Clips one update and adds it to the round's sums. The update is not modified.
   * @param source the network source it came from (any string, e.g. the round's keyed hash of it): a row
   *   counts each source once. Default: the update is a source of its own.
   */
  add(update: WeightDelta, source?: string): { norm: number; clipped: boolean } {
    const { dim } = this.config;
    const { maxRowsPerClient: m } = this.settings;
    let order = [...update.rows.indices.keys()];
    if (order.length > m) {
      const rowNorm = (i: number): number => {
        let s = 0;
        for (let c = 0; c < dim; c++) s += update.rows.values[i * dim + c]! ** 2;
        return s;
      };
      order = order.sort((a, b) => rowNorm(b) - rowNorm(a)).slice(0, m).sort((a, b) => a - b);
    }
    const rows = {
      indices: Uint32Array.from(order.map((i) => update.rows.indices[i]!)),
      values: new Float32Array(order.length * dim),
    };
    order.forEach((i, k) => rows.values.set(update.rows.values.subarray(i * dim, (i + 1) * dim), k * dim));
    clipRowsInPlace(rows, dim, this.settings.rowClipNorm);
    // The feature table's rows (a model with content features) are limited and clipped as item rows are.
    let dense = update.dense;
    const features = dense.get('feat_emb');
    if (features) dense = new Map(dense).set('feat_emb', limitDenseRows(features, dim, m, this.settings.rowClipNorm).values);
    const { delta, norm, clipped } = clipDelta({ dense, rows }, this.settings.clipNorm);

    if (this.settings.trim > 0) {
      const all = new Float32Array(this.#denseLength);
      for (const { name, offset } of this.#layout) {
        const values = delta.dense.get(name);
        if (values) all.set(values, offset);
      }
      this.#denseValues.push(all);
    } else {
      for (const [name, values] of delta.dense) {
        let sum = this.#dense.get(name);
        if (!sum) this.#dense.set(name, (sum = new Float32Array(values.length)));
        for (let i = 0; i < values.length; i++) sum[i] = sum[i]! + values[i]!;
      }
    }
    if (source === undefined) this.#unnamed++;
    else this.#sources.add(source);
    delta.rows.indices.forEach((r, i) => {
      let sum = this.#rows.get(r);
      if (!sum) this.#rows.set(r, (sum = new Float32Array(dim)));
      for (let c = 0; c < dim; c++) sum[c] = sum[c]! + delta.rows.values[i * dim + c]!;
      if (source !== undefined) {
        let seen = this.#rowSources.get(r);
        if (!seen) this.#rowSources.set(r, (seen = new Set()));
        if (seen.has(source)) return;
        seen.add(source);
      }
      this.#counts.set(r, (this.#counts.get(r) ?? 0) + 1);
    });
    this.#updates++;
    this.#normSum += norm;
    if (clipped) this.#clipped++;
    return { norm, clipped };
  }

  get updates(): number {
    return this.#updates;
  }

  /** Distinct sources of the updates added so far (an update without a source counts as one). */
  get sources(): number {
    return this.#sources.size + this.#unnamed;
  }

  /**
   * Adds the noise and returns the mean. `gauss` draws standard normals: `secureNormal()` in production,
   * a seeded one in tests and simulations.
   */
  finish(gauss: () => number = secureNormal()): AggregateResult {
    const K = this.#updates;
    if (K === 0) throw new RangeError('RoundAggregator.finish: no updates');
    const s = this.settings;
    const trimmed = Math.floor(s.trim * K);
    const { sum: sigma, counts: countSigma } = noiseStdDevs(s);
    const scale = s.serverLearningRate / K;
    const { dim, numItems } = this.config;

    const dense = new Map<string, Float32Array>();
    const sums = s.trim > 0 ? this.#trimmedSums(trimmed) : undefined;
    const denseScale = s.serverLearningRate / (K - 2 * trimmed);
    for (const { name, offset, length } of this.#layout) {
      const sum = sums ? sums.subarray(offset, offset + length) : (this.#dense.get(name) ?? new Float32Array(length));
      const mean = new Float32Array(length);
      for (let i = 0; i < length; i++) mean[i] = (sum[i]! + sigma * gauss()) * denseScale;
      dense.set(name, mean);
    }

    const released: number[] = [];
    const rowCounts = new Map<number, number>();
    const allCounts = new Float64Array(numItems);
    for (let r = 1; r <= numItems; r++) {
      const noisy = (this.#counts.get(r) ?? 0) + countSigma * gauss();
      allCounts[r - 1] = noisy;
      if (s.releaseThreshold === 'all' || noisy >= s.releaseThreshold) {
        released.push(r);
        rowCounts.set(r, noisy);
      }
    }
    const values = new Float32Array(released.length * dim);
    released.forEach((r, i) => {
      const sum = this.#rows.get(r);
      for (let c = 0; c < dim; c++) values[i * dim + c] = ((sum?.[c] ?? 0) + sigma * gauss()) * scale;
    });
    return {
      delta: { dense, rows: { indices: Uint32Array.from(released), values } },
      rowCounts,
      trending: trendingEvidence(allCounts, countSigma, { released: (row) => rowCounts.has(row), sources: this.sources }),
      updates: K,
      clipped: this.#clipped,
      meanNorm: this.#normSum / K,
      trimmed,
    };
  }

  /** Per dense coordinate, the sum of its K values less the `t` largest and `t` smallest. */
  #trimmedSums(t: number): Float64Array {
    const updates = this.#denseValues;
    const K = updates.length;
    const sums = new Float64Array(this.#denseLength);
    const column = new Float32Array(K);
    for (let j = 0; j < sums.length; j++) {
      for (let k = 0; k < K; k++) column[k] = updates[k]![j]!;
      column.sort(); // numeric, for a typed array
      let sum = 0;
      for (let k = t; k < K - t; k++) sum += column[k]!;
      sums[j] = sum;
    }
    return sums;
  }
}

/**
 * Server-side Adam on the dense part of each round's noisy mean (FedAdam: Reddi et al., "Adaptive
 * Federated Optimization", ICLR 2021, with Adam's bias correction so the first round already steps by
 * ~η). Devices' clipped updates are small and the DP noise zC/K is of the same order as their mean on each
 * dense coordinate, so plain FedAvg (new = base + mean) barely moves the transformer; Adam's per-coordinate
 * scaling moves every dense coordinate by up to η in the direction of the (noisy) running mean, and τ
 * keeps coordinates whose mean stays below it from moving far. It reads only the published noisy mean, so
 * it is post-processing and costs no privacy. Item rows are left to plain η·mean (`AggregationSettings`):
 * each row is moved by few devices in a round, its mean is mostly noise, and Adam would turn that noise
 * into steps of size η on every row.
 *
 * The optimizer keeps its moments between rounds; whoever runs the rounds holds one instance per model.
 * `edge-recs simulate` uses it (`--server-optimizer adam`); the edge server's round engine does not yet
 * persist the moments, so it publishes plain FedAvg.
 */
export interface ServerAdamSettings {
  /** η: the largest step per coordinate and round. */
  learningRate: number;
  beta1: number;
  beta2: number;
  /** τ: adaptivity; coordinates whose running mean is well below τ move by ~η·mean/τ. */
  tau: number;
}

export const SERVER_ADAM_DEFAULTS: ServerAdamSettings = { learningRate: 0.003, beta1: 0.9, beta2: 0.99, tau: 1e-5 };

export class ServerAdam {
  #m = new Map<string, Float32Array>();
  #v = new Map<string, Float32Array>();
  #t = 0;
  constructor(readonly settings: ServerAdamSettings = SERVER_ADAM_DEFAULTS) {
    for (const [key, v] of Object.entries(settings)) if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new RangeError(`ServerAdam: ${key} must be a finite number >= 0 (got ${v})`);
    if (!(settings.beta1 < 1 && settings.beta2 < 1)) throw new RangeError('ServerAdam: beta1 and beta2 must be below 1');
  }

  /** Rounds stepped so far. */
  get rounds(): number {
    return this.#t;
  }

  /**
   * Turns a round's delta (η·noisy mean, as `RoundAggregator.finish` returns it) into the step to apply:
   * dense tensors replaced by the Adam step on (delta / serverLearningRate), item rows unchanged.
   */
  step(delta: WeightDelta, serverLearningRate = 1): WeightDelta {
    const { learningRate: eta, beta1, beta2, tau } = this.settings;
    this.#t++;
    const c1 = 1 - beta1 ** this.#t;
    const c2 = 1 - beta2 ** this.#t;
    const dense = new Map<string, Float32Array>();
    for (const [name, values] of delta.dense) {
      let m = this.#m.get(name);
      let v = this.#v.get(name);
      if (!m || !v) {
        this.#m.set(name, (m = new Float32Array(values.length)));
        this.#v.set(name, (v = new Float32Array(values.length)));
      }
      const out = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const g = values[i]! / serverLearningRate;
        m[i] = beta1 * m[i]! + (1 - beta1) * g;
        v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
        out[i] = (eta * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + tau);
      }
      dense.set(name, out);
    }
    return { dense, rows: delta.rows };
  }
}
