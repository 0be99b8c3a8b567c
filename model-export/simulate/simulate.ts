/**
 * `edge-recs simulate`: federated learning on a real dataset, in one process, with the real code of both
 * sides: every client update is made by `trainClientUpdate` (what the widget's worker runs), encoded with
 * the one codec, decoded and validated as the server's intake does (`decodeUpdate` with the row limit),
 * and aggregated by the server's `RoundAggregator` (clipping, row limits, noisy row release, Gaussian
 * noise); ε comes from the server's RDP accountant.
 *
 * The experiment, in the order it runs:
 * 1. Users are shuffled (seeded) and split: `centralFraction` of them are the shop's past customers whose
 *    logs trained the **start** model centrally (`trainModel`); the rest are the devices (`clients`).
 * 2. **Federated**: R rounds; each draws a cohort of K devices, each device fine-tunes the current model on
 *    its own training sequence (its last two items are held out, as the protocol requires) and uploads a
 *    clipped update; the server's aggregate becomes the next model.
 * 3. **Central** (the reference): the same start model trained further, centrally and without noise, on
 *    the same devices' sequences in the same cohorts and rounds (the trainer's Adam loop, `CentralTraining`, with 2,048
 *    shared negatives, dropout 0.5, batches of 128): what the shop would get if the devices sent their raw logs.
 * 4. **Poisoning** (`--malicious`): the same rounds again with that share of every cohort replaced by
 *    attackers pushing `--target`, once with the server's defences off (`attacked`) and once on
 *    (`defended`).
 *
 * Every metric: full-ranking leave-one-out on the test item (seen items excluded), on the same eval users
 * (`simulate-evaluate.ts`).
 *
 * This file runs the experiment and writes the report; the federated rounds are in `simulate-rounds.ts`,
 * the attackers and the undefended server in `simulate-attack.ts`, the flags and their checks in
 * `simulate-options.ts`, and the command (data, start model files, output) in `simulate-command.ts`.
 */
import { gaussianEpsilon } from '../../core/federated/accountant.ts';
import { roundNoiseMultiplier, type AggregationSettings } from '../../core/federated/aggregate.ts';
import { resolveFederationSettings } from '../../core/federated/settings.ts';
import type { Metrics } from '../../core/ranking-metrics.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import { rng, shuffle } from '../../core/random.ts';
import { CentralTraining } from '../training/central-training.ts';
import { split, type Dataset } from '../data/dataset.ts';
import type { SimulateOptions } from '../training/defaults.ts';
import { medianPopularityItem, undefendedSettings } from './simulate-attack.ts';
import { evaluateWeights } from './simulate-evaluate.ts';
import { checkSimulateOptions } from './simulate-options.ts';
import { federatedRounds, type FederatedRun, type RoundsSetup } from './simulate-rounds.ts';
import { trainModel } from '../training/trainer.ts';

/**
 * The central recipe of the start model and of the central reference, pinned here (not read from the
 * trainer's defaults) so that the figures in docs/federated-learning.md stay reproducible when the trainer's defaults move:
 * the trainer's settings when they were measured (Adam, lr 0.001, 2,048 uniform shared negatives, dropout 0.5,
 * histories packed several to a row, validated from the first epoch, a constant learning rate, no time budget).
 */
const CENTRAL_RECIPE = { learningRate: 0.001, batchSize: 128, dropout: 0.5, negatives: 2048, sampling: 'uniform', validateFrom: 1, timeBudget: 0, lrDecay: 1 } as const;

/** Share of all users whose sequences the attackers know (public reviews), as FedRecAttack assumes. */
const ATTACKER_PUBLIC_SHARE = 0.01;

export interface SimulateReport {
  central: { 'NDCG@10': number; 'HR@10': number };
  federated: { 'NDCG@10': number; 'HR@10': number };
  start: { 'NDCG@10': number; 'HR@10': number };
  epsilon: number;
  delta: number;
  uploadBytesPerClientRound: number;
  rounds: Array<{ round: number; 'NDCG@10': number; epsilon: number }>;
  targetExposure?: { clean: number; attacked: number; defended: number };
  /** What ran: users, items, sizes, the target, seconds per phase. */
  setup: Record<string, unknown>;
}

const pick = (m: Metrics) => ({ 'NDCG@10': m['NDCG@10'], 'HR@10': m['HR@10'] });

export interface StartModel {
  config: ModelConfig;
  weights: NamedWeights;
  epochs: number;
}

export interface SimulateHooks {
  /** Progress lines (the CLI sends them to stderr). */
  log?: (message: string) => void;
  /** A start model from an earlier run with the same `startKey` (skips central start training). */
  start?: StartModel;
  /** Called with the start model once trained (the CLI's `--save-start`). */
  onStart?: (start: StartModel) => Promise<void>;
}

/** Runs everything; returns the report. */
export async function simulate(data: Dataset, options: SimulateOptions, hooks: SimulateHooks = {}): Promise<SimulateReport> {
  const log = hooks.log ?? (() => undefined);
  const o = options;
  checkSimulateOptions(o, data);
  const started = performance.now();
  const seconds: Record<string, number> = {};
  const lap = (name: string, since: number) => (seconds[name] = Math.round((performance.now() - since) / 100) / 10);
  const random = rng(o.seed);
  const users = shuffle([...data.sequences.keys()].filter((u) => split(data.sequences[u]!)), random);
  const nStart = Math.round(users.length * o.centralFraction);
  const startUsers = users.slice(0, nStart);
  const pool = users.slice(nStart);
  const clients = o.clients === 0 ? pool : pool.slice(0, o.clients);
  const evalUsers = o.evalUsers === 0 || o.evalUsers >= users.length ? [...users].sort((a, b) => a - b) : shuffle([...users], rng(o.seed + 1)).slice(0, o.evalUsers);
  const target = o.target === 'auto' ? medianPopularityItem(data) : data.itemIds.indexOf(o.target) + 1;
  const malicious = Math.round(o.malicious * o.cohort);
  // Cohorts are drawn once, so every run (central, federated, attacked, defended) sees the same devices.
  const cohortRandom = rng(o.seed + 2);
  const cohorts = Array.from({ length: o.rounds }, () => shuffle([...clients], cohortRandom).slice(0, o.cohort));
  const accounting = { noiseMultiplier: roundNoiseMultiplier(o.server), delta: o.delta };
  log(`simulate: ${users.length} users (${startUsers.length} central start, ${clients.length} devices), ${data.itemIds.length} items; ${o.rounds} rounds of ${o.cohort}; eval on ${evalUsers.length} users; ε after ${o.rounds} rounds ${gaussianEpsilon(accounting, o.rounds).toFixed(2)} at δ ${o.delta}`);

  // 1. The start model, trained centrally on the start users only (the item table covers every item).
  let t = performance.now();
  const startData: Dataset = { itemIds: data.itemIds, users: startUsers.map((u) => data.users[u]!), sequences: startUsers.map((u) => data.sequences[u]!) };
  const trained: StartModel =
    hooks.start ??
    (await trainModel(startData, {
      ...CENTRAL_RECIPE,
      model: { dim: o.dim, blocks: o.blocks },
      epochs: o.centralEpochs,
      patience: o.centralEpochs,
      validationUsers: Math.min(2000, startUsers.length),
      seed: o.seed,
      workers: o.workers,
      onEpoch: (e) => log(`start model: epoch ${e.epoch}/${e.epochs} loss ${e.loss.toFixed(3)} valid NDCG@10 ${e.valid?.['NDCG@10'].toFixed(4) ?? '-'} (${e.seconds.toFixed(0)} s)`),
    }).then((r) => ({ config: r.config, weights: r.weights, epochs: r.history.length })));
  if (!hooks.start) await hooks.onStart?.(trained);
  const { config } = trained;
  lap('startTraining', t);
  t = performance.now();
  const startEval = await evaluateWeights(config, trained.weights, data, evalUsers, target);
  lap('evaluation', t);
  log(`start: NDCG@10 ${startEval.metrics['NDCG@10'].toFixed(4)} HR@10 ${startEval.metrics['HR@10'].toFixed(4)}, target exposure ${startEval.exposure.toFixed(4)} (${seconds.evaluation} s per evaluation)`);

  // 2. Central reference: the same devices' sequences, same cohorts, trained centrally without noise.
  t = performance.now();
  const central = await trainCentrally(config, trained.weights, cohorts.map((c) => c.map((u) => split(data.sequences[u]!)!.train)), o.seed, o.workers);
  lap('central', t);
  const centralEval = await evaluateWeights(config, central, data, evalUsers, target);
  log(`central: NDCG@10 ${centralEval.metrics['NDCG@10'].toFixed(4)} HR@10 ${centralEval.metrics['HR@10'].toFixed(4)} (${seconds.central} s)`);

  const publicSequences = shuffle([...users], rng(o.seed + 3))
    .slice(0, Math.max(1, Math.round(users.length * ATTACKER_PUBLIC_SHARE)))
    .map((u) => split(data.sequences[u]!)!.train);

  // The intake refuses (does not clip) updates above this norm, defences or not: it is input validation.
  const maxUpdateNorm = resolveFederationSettings({ aggregation: o.server, delta: o.delta }).maxUpdateNorm;
  const setup: RoundsSetup = { options: o, config, start: trained.weights, data, cohorts, evalUsers, target, publicSequences, accounting, maxUpdateNorm, log };
  /**
   * Attackers make their update as strong as the server lets it be: exactly the clip norm C when the
   * server clips (a larger one would only be scaled down), and just under the intake's refusal limit when
   * it does not.
   */
  const runFederated = (name: string, settings: AggregationSettings, attackers: number, evalEachRound: boolean, attackNorm = o.server.clipNorm): Promise<FederatedRun> =>
    federatedRounds(setup, { name, settings, attackers, evalEachRound, attackNorm });

  t = performance.now();
  const clean = await runFederated('federated', o.server, 0, true);
  lap('federated', t);
  const report: SimulateReport = {
    central: pick(centralEval.metrics),
    federated: pick(clean.final.metrics),
    start: pick(startEval.metrics),
    epsilon: gaussianEpsilon(accounting, o.rounds),
    delta: o.delta,
    uploadBytesPerClientRound: Math.round(clean.uploadBytes / Math.max(1, clean.benignUpdates)),
    rounds: clean.perRound,
    setup: {},
  };
  if (malicious > 0) {
    t = performance.now();
    const attacked = await runFederated('attacked', undefendedSettings(o.server, config.numItems), malicious, false, 0.95 * maxUpdateNorm);
    lap('attacked', t);
    t = performance.now();
    const defended = await runFederated('defended', o.server, malicious, false);
    lap('defended', t);
    report.targetExposure = { clean: clean.final.exposure, attacked: attacked.final.exposure, defended: defended.final.exposure };
  }
  report.setup = {
    protocol: 'full-ranking-leave-one-out, seen items excluded, test item',
    users: users.length,
    items: data.itemIds.length,
    startUsers: startUsers.length,
    clients: clients.length,
    evalUsers: evalUsers.length,
    model: config,
    startEpochs: trained.epochs,
    target: { id: data.itemIds[target - 1], interactions: data.sequences.reduce((n, s) => n + s.filter((i) => i === target).length, 0), startExposure: startEval.exposure },
    maliciousPerCohort: malicious,
    client: o.client,
    density: o.density,
    server: o.server,
    serverOptimizer: o.serverOptimizer === 'adam' ? { kind: 'adam', ...o.serverAdam } : { kind: 'fedavg' },
    noiseMultiplierPerRound: accounting.noiseMultiplier,
    seed: o.seed,
    // Central training's bits depend on its number of threads (`TrainOptions.workers`): a rerun needs the same.
    workers: o.workers,
    seconds: { ...seconds, total: Math.round((performance.now() - started) / 1000) },
  };
  return report;
}

/** The central reference: the central Adam loop (`CENTRAL_RECIPE`) over the same cohorts' sequences, one pass per round. */
async function trainCentrally(config: ModelConfig, start: NamedWeights, rounds: number[][][], seed: number, workers: number): Promise<NamedWeights> {
  const training = new CentralTraining(config, start, { ...CENTRAL_RECIPE, lossScale: 'batch' }, rng(seed + 6), { workers: workers > 1 ? workers : 0 });
  try {
    for (const sequences of rounds) await training.pass(sequences);
    return await training.model.exportWeights();
  } finally {
    await training.dispose();
  }
}

