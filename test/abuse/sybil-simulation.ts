/**
 * Residual risk of the Sybil attack (issue 14, must-have 1), offline: how many distinct network addresses
 * an attacker needs to put a target item (of median popularity) into the top 10 of 1% of users, with the
 * server's own aggregator (`RoundAggregator`: clipping, row release by noisy count, Gaussian noise) and
 * its intake limits, before and after the per-source limits.
 *
 * - Before (the old limits: any number of client tokens from one address): one address fills every round
 *   with the attacker's updates, and each update counts as a device of its own.
 * - After: each address puts at most `maxUpdatesPerSource` updates into a round (20 of 1,000 at the
 *   defaults) and a row counts each address once, so the target row is released (moves at all) only when
 *   about `releaseThreshold` (96) distinct addresses carry it; a round from fewer than `minSources`
 *   sources is not published.
 *
 * The attacker plays FedRecAttack (`attackDirection`, as `edge-recs simulate` does): each of its updates
 * moves only the target row, by the row clip, towards the users' hidden states it can compute from public
 * histories. Honest devices fill the rest of each round with what matters here: 64 cover rows each
 * (zero-valued: their training signal does not move a median item's row) from their own addresses, so
 * the target gets its share of honest counts. The start model is trained centrally on a sample of Amazon
 * Beauty users; exposure is the share of evaluation users whose top 10 (seen items excluded) holds the
 * target after `rounds` rounds.
 *
 *   npx tsx -e "import('./test/abuse/sybil-simulation.ts').then(async (m) => console.log(JSON.stringify(await m.residualRisk(m.FULL_SCALE), null, 2)))"
 */
import { readFile } from 'node:fs/promises';
import { AGGREGATION_DEFAULTS, RoundAggregator, type AggregationSettings } from '../../core/federated/aggregate.ts';
import type { WeightDelta } from '../../core/federated/codec.ts';
import { applyDelta } from '../../core/federated/delta.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { normal, rng, shuffle } from '../../core/random.ts';
import { resolveFederationSettings } from '../../core/federated/settings.ts';
import { parseS3Rec, split, type Dataset } from '../../model-export/data/dataset.ts';
import { attackDirection, medianPopularityItem } from '../../model-export/simulate/simulate-attack.ts';
import { evaluateWeights } from '../../model-export/simulate/simulate-evaluate.ts';
import { useBackend, type NodeBackend } from '../../model-export/training/tf-node.ts';
import { trainModel } from '../../model-export/training/trainer.ts';
import type { AbuseBenchmark } from '../support/abuse/benchmark.ts';

export interface ResidualRiskOptions {
  /** S3-Rec lines (user item item ...). Default `../shared/datasets/amazon-beauty.txt`. */
  data: string;
  /** Users sampled from the data for the start model and the evaluation. */
  users: number;
  /** Of them, users whose exposure is measured. */
  evalUsers: number;
  /** Start model: embedding size, blocks, epochs of central training. */
  dim: number;
  blocks: number;
  epochs: number;
  /** Rounds the attack runs (the offline figure: 3). */
  rounds: number;
  /** K. Default 1,000, the server's default. */
  cohort: number;
  /**
   * Exposure the attacker wants to add: a share of users with the target in their top 10 beyond the share
   * the start model gives it (a median item may already be in some users' top 10, more or less by the
   * start model's training draws: that is no attack's doing).
   */
  exposureGoal: number;
  /** Largest number of addresses tried. */
  maxAddresses: number;
  /**
   * Runs per number of addresses, each with its own noise draws: whether the target row is released
   * depends on the count noise (σ 32 devices at the defaults), so one run is luck. An attacker "needs" A
   * addresses when the median run with A reaches the goal.
   */
  trials: number;
  backend: NodeBackend;
  seed: number;
}

/** What the bench runs (a few minutes on 2 cores): the question at the server's defaults. */
const FULL_SCALE: ResidualRiskOptions = {
  data: '../shared/datasets/amazon-beauty.txt',
  users: 6000,
  evalUsers: 2000,
  dim: 16,
  blocks: 1,
  epochs: 4,
  rounds: 3,
  cohort: 1000,
  exposureGoal: 0.01,
  maxAddresses: 400,
  trials: 5,
  backend: 'wasm',
  seed: 42,
};

export interface ResidualRiskOutcome {
  target: { id: string; interactions: number };
  /** Exposure of the target in the start model, before any attack. */
  startExposure: number;
  before: Tried;
  after: {
    /** Fewest addresses whose median run adds `exposureGoal` to the start exposure; null when even `maxAddresses` did not. */
    addressesNeeded: number | null;
    /** Every number of addresses tried. */
    tried: Tried[];
  };
  settings: { cohort: number; rounds: number; exposureGoal: number; maxUpdatesPerSource: number; minSources: number; releaseThreshold: number; rowClipNorm: number; noiseMultiplier: number; countNoiseMultiplier: number };
  seconds: number;
}

/** One number of addresses over `trials` runs: median exposure, share of runs reaching the goal, rounds whose release held the target row. */
export interface Tried {
  addresses: number;
  exposure: number;
  reachedIn: number;
  targetReleasedRounds: number;
}

export async function residualRisk(options: Partial<ResidualRiskOptions> = {}, log: (line: string) => void = () => undefined): Promise<ResidualRiskOutcome> {
  const o: ResidualRiskOptions = { ...FULL_SCALE, ...options };
  const started = performance.now();
  await useBackend(o.backend);
  const full = parseS3Rec(await readFile(o.data, 'utf8'), o.data);
  const random = rng(o.seed);
  const sample = shuffle([...full.sequences.keys()].filter((u) => split(full.sequences[u]!)), random).slice(0, o.users);
  const data: Dataset = { itemIds: full.itemIds, users: sample.map((u) => full.users[u]!), sequences: sample.map((u) => full.sequences[u]!) };
  const users = [...data.sequences.keys()];
  const evalUsers = users.slice(0, o.evalUsers);
  const publicSequences = users.slice(o.evalUsers, o.evalUsers + Math.max(1, Math.round(users.length * 0.01))).map((u) => split(data.sequences[u]!)!.train);

  // The central recipe as it was when docs/federated-limits.md's figures were measured (dropout 0.5, uniform negatives, a constant learning rate), run to its epochs.
  const trained = await trainModel(data, { model: { dim: o.dim, blocks: o.blocks }, epochs: o.epochs, patience: o.epochs, dropout: 0.5, sampling: 'uniform', lrDecay: 1, timeBudget: 0, validationUsers: Math.min(1000, users.length), seed: o.seed });
  const config = trained.config;
  const target = medianPopularityItem(data);
  log(`start model: ${data.sequences.length} users, ${config.numItems} items, dim ${config.dim}, ${trained.history.length} epochs (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  const startExposure = (await evaluateWeights(config, trained.weights, data, evalUsers, target)).exposure;

  // The server's defaults, as createFederation resolves them.
  const server = resolveFederationSettings({ cohort: o.cohort });
  const settings: AggregationSettings = { ...AGGREGATION_DEFAULTS, ...server.aggregation };
  const K = o.cohort;

  /** Runs the attack with `addresses` addresses (`before`: the old limits, one address, every update its own device). */
  const attack = async (addresses: number, before: boolean, trial: number) => {
    let weights: NamedWeights = trained.weights;
    const gauss = normal(rng(o.seed + 5 + 1000 * trial));
    const cover = rng(o.seed + 6 + 1000 * trial);
    let roundsPublished = 0;
    let targetReleased = 0;
    for (let r = 0; r < o.rounds; r++) {
      const direction = await attackDirection(config, weights, publicSequences);
      const values = direction.map((v) => v * settings.rowClipNorm);
      const poison: WeightDelta = { dense: new Map(), rows: { indices: Uint32Array.of(target), values } };
      const attackerUpdates = before ? K : Math.min(K, addresses * server.maxUpdatesPerSource);
      const agg = new RoundAggregator(config, settings);
      for (let i = 0; i < attackerUpdates; i++) agg.add(poison, before ? `token-${r}-${i}` : `address-${i % addresses}`);
      for (let j = attackerUpdates; j < K; j++) {
        const rows = new Set<number>();
        while (rows.size < settings.maxRowsPerClient) rows.add(1 + Math.floor(cover() * config.numItems));
        const indices = Uint32Array.from([...rows].sort((a, b) => a - b));
        agg.add({ dense: new Map(), rows: { indices, values: new Float32Array(indices.length * config.dim) } }, `honest-${r}-${j}`);
      }
      // After: a round from fewer than minSources sources is not published (the old server had no such rule).
      if (!before && agg.sources < server.minSources) continue;
      const result = agg.finish(gauss);
      roundsPublished++;
      if (result.rowCounts.has(target)) targetReleased++;
      weights = applyDelta(weights, result.delta);
    }
    const exposure = (await evaluateWeights(config, weights, data, evalUsers, target)).exposure;
    return { exposure, roundsPublished, targetReleased };
  };
  const trials = async (addresses: number, before: boolean): Promise<Tried> => {
    const runs = [];
    for (let t = 0; t < o.trials; t++) runs.push(await attack(addresses, before, t));
    const sorted = runs.map((r) => r.exposure).sort((a, b) => a - b);
    const out = {
      addresses,
      exposure: sorted[Math.floor(sorted.length / 2)]!,
      reachedIn: runs.filter((r) => r.exposure - startExposure >= o.exposureGoal).length / runs.length,
      targetReleasedRounds: runs.reduce((n, r) => n + r.targetReleased, 0) / runs.length,
    };
    log(`${before ? 'before' : 'after'}: ${addresses} address(es): median exposure ${(out.exposure * 100).toFixed(2)}%, goal reached in ${(out.reachedIn * 100).toFixed(0)}% of runs, target row released in ${out.targetReleasedRounds.toFixed(1)} of ${o.rounds} rounds`);
    return out;
  };

  const before = await trials(1, true);
  // After: the smallest number of addresses reaching the goal, by bisection over [1, maxAddresses]
  // (exposure grows with addresses: more updates per round up to K, then more distinct sources per row).
  const tried: ResidualRiskOutcome['after']['tried'] = [];
  const reaches = async (a: number): Promise<boolean> => {
    const run = await trials(a, false);
    tried.push(run);
    return run.exposure - startExposure >= o.exposureGoal;
  };
  let addressesNeeded: number | null = null;
  if (await reaches(o.maxAddresses)) {
    let lo = 0; // known not to reach (0 addresses: no attack)
    let hi = o.maxAddresses;
    while (hi - lo > Math.max(1, Math.floor(hi * 0.05))) {
      const mid = Math.floor((lo + hi) / 2);
      if (await reaches(mid)) hi = mid;
      else lo = mid;
    }
    addressesNeeded = hi;
  }
  tried.sort((a, b) => a.addresses - b.addresses);
  return {
    target: { id: data.itemIds[target - 1]!, interactions: data.sequences.reduce((n, s) => n + s.filter((i) => i === target).length, 0) },
    startExposure,
    before,
    after: { addressesNeeded, tried },
    settings: {
      cohort: K,
      rounds: o.rounds,
      exposureGoal: o.exposureGoal,
      maxUpdatesPerSource: server.maxUpdatesPerSource,
      minSources: server.minSources,
      releaseThreshold: settings.releaseThreshold as number,
      rowClipNorm: settings.rowClipNorm,
      noiseMultiplier: settings.noiseMultiplier,
      countNoiseMultiplier: settings.countNoiseMultiplier,
    },
    seconds: Math.round((performance.now() - started) / 1000),
  };
}

/** `npm run bench -- abuse`: the residual-risk search at `FULL_SCALE`. */
export const benchmark: AbuseBenchmark = { scale: FULL_SCALE, run: (log) => residualRisk(FULL_SCALE, (line) => log(`  ${line}`)) };
