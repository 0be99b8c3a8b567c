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
 *    the same devices' sequences in the same cohorts and rounds (the trainer's recipe: Adam, 2,048 shared
 *    negatives, dropout 0.5, batches of 128): what the shop would get if the devices sent their raw logs.
 * 4. **Poisoning** (`--malicious`): the same rounds again with that share of every cohort replaced by
 *    attackers pushing `--target`, once with the server's defences off (`attacked`) and once on
 *    (`defended`).
 *
 * Every metric: full-ranking leave-one-out on the test item (seen items excluded), on the same eval users.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gaussianEpsilon } from '../core/federated/accountant.ts';
import { noiseStdDevs, RoundAggregator, roundNoiseMultiplier, SERVER_ADAM_DEFAULTS, ServerAdam, type AggregationSettings } from '../core/federated/aggregate.ts';
import { encodeClientUpdate, ROW_POLICIES, TRAINABLE, trainClientUpdate, type RowPolicy, type Trainable } from '../core/federated/client.ts';
import { decodeUpdate, encodeUpdate } from '../core/federated/codec.ts';
import { applyDelta, deltaNorm } from '../core/federated/delta.ts';
import { RankingAccumulator, rankOf, type Metrics } from '../core/metrics.ts';
import type { ModelConfig } from '../core/model/config.ts';
import { SasRec } from '../core/model/sasrec.ts';
import { nextItemLoss, packedBatch } from '../core/model/training.ts';
import type { NamedWeights } from '../core/model/weights.ts';
import { normal, rng, shuffle } from '../core/random.ts';
import { buildArtifact } from '../core/artifact/artifact.ts';
import { readArtifactDir, writeArtifactDir } from './artifact-fs.ts';
import { readCatalogFile } from './catalog-file.ts';
import { split, type Dataset } from './dataset.ts';
import { CliError } from './errors.ts';
import { DEFAULT_COUNT, describeData, parseCounted, readData, type Format } from './input.ts';
import { useBackend, type NodeBackend } from './tf-node.ts';
import { trainModel } from './trainer.ts';
import { SERVER_OPTIMIZERS, SIMULATE_DEFAULTS, type ServerOptimizerKind, type SimulateOptions } from './defaults.ts';
import { resolveFederationSettings } from '../core/federated/settings.ts';

export { SERVER_OPTIMIZERS, SIMULATE_DEFAULTS };
export type { ServerOptimizerKind, SimulateOptions };

/**
 * The central recipe of the start model and of the central reference, pinned here (not read from the
 * trainer's defaults) so that the figures in docs/federated-learning.md stay reproducible when the trainer's defaults move:
 * the trainer's settings when they were measured (Adam, lr 0.001, 2,048 shared negatives, dropout 0.5,
 * histories packed several to a row, validated from the first epoch).
 */
export const CENTRAL_RECIPE = { learningRate: 0.001, batchSize: 128, dropout: 0.5, negatives: 2048, validateFrom: 1 } as const;

/** Share of all users whose sequences the attackers know (public reviews), as FedRecAttack assumes. */
export const ATTACKER_PUBLIC_SHARE = 0.01;

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

type Log = (message: string) => void;

export interface Evaluated {
  metrics: Metrics;
  /** Share of eval users with the target in their top 10 (seen items excluded). */
  exposure: number;
}

const pick = (m: Metrics) => ({ 'NDCG@10': m['NDCG@10'], 'HR@10': m['HR@10'] });

/** Checks options against the data; @throws CliError (exit 2) naming the flag. */
export function checkSimulateOptions(o: SimulateOptions, data: Dataset): void {
  const usage = (message: string): never => {
    throw new CliError(message, 2);
  };
  const intAtLeast = (flag: string, v: number, min: number) => (Number.isInteger(v) && v >= min) || usage(`${flag} must be an integer >= ${min} (got ${v})`);
  intAtLeast('--clients', o.clients, 0);
  intAtLeast('--rounds', o.rounds, 1);
  intAtLeast('--cohort', o.cohort, 1);
  intAtLeast('--central-epochs', o.centralEpochs, 1);
  intAtLeast('--dim', o.dim, 2);
  intAtLeast('--blocks', o.blocks, 0);
  intAtLeast('--eval-users', o.evalUsers, 0);
  intAtLeast('--steps', o.client.steps, 1);
  intAtLeast('--max-rows', o.server.maxRowsPerClient, 2);
  intAtLeast('--negatives', o.client.negatives, 1);
  if (o.client.negatives >= o.server.maxRowsPerClient) usage(`--negatives (${o.client.negatives}) must be below --max-rows (${o.server.maxRowsPerClient})`);
  if (!(o.centralFraction > 0 && o.centralFraction < 1)) usage(`--central-fraction must be in (0, 1) (got ${o.centralFraction})`);
  if (!(o.malicious >= 0 && o.malicious < 0.5)) usage(`--malicious must be in [0, 0.5) (got ${o.malicious})`);
  if (!(o.density >= 0 && o.density <= 1)) usage(`--density must be in [0, 1] (got ${o.density})`);
  if (!(o.delta > 0 && o.delta < 1)) usage(`--delta must be in (0, 1) (got ${o.delta})`);
  if (!(o.client.learningRate > 0)) usage(`--client-lr must be positive (got ${o.client.learningRate})`);
  if (!(o.client.dropout >= 0 && o.client.dropout < 1)) usage(`--client-dropout must be in [0, 1) (got ${o.client.dropout})`);
  if (!ROW_POLICIES.includes(o.client.rows)) usage(`--rows must be one of ${ROW_POLICIES.join(', ')} (got "${o.client.rows}")`);
  if (!TRAINABLE.includes(o.client.trainable)) usage(`--trainable must be one of ${TRAINABLE.join(', ')} (got "${o.client.trainable}")`);
  for (const [flag, v] of [['--clip-norm', o.server.clipNorm], ['--row-clip-norm', o.server.rowClipNorm], ['--server-lr', o.server.serverLearningRate]] as const) {
    if (!(v > 0)) usage(`${flag} must be positive (got ${v})`);
  }
  if (!(o.server.trim >= 0 && o.server.trim < 0.5)) usage(`--trim must be in [0, 0.5) (got ${o.server.trim})`);
  for (const [flag, v] of [['--noise', o.server.noiseMultiplier], ['--count-noise', o.server.countNoiseMultiplier]] as const) {
    if (!(v > 0)) usage(`${flag} must be positive: without noise there is no ε to report (got ${v})`);
  }
  if (!SERVER_OPTIMIZERS.includes(o.serverOptimizer)) usage(`--server-optimizer must be one of ${SERVER_OPTIMIZERS.join(', ')} (got "${o.serverOptimizer}")`);
  if (!(o.serverAdam.learningRate > 0)) usage(`--server-adam-lr must be positive (got ${o.serverAdam.learningRate})`);
  if (!(o.serverAdam.tau > 0)) usage(`--server-adam-tau must be positive (got ${o.serverAdam.tau})`);
  if (o.target !== 'auto' && !data.itemIds.includes(o.target)) usage(`--target must be "auto" or an item id of the data (got "${o.target}")`);
  const usable = data.sequences.filter((s) => split(s)).length;
  if (usable < 10) usage(`the data has ${usable} users with the 3 interactions leave-one-out needs; simulate needs at least 10`);
  const devices = usable - Math.round(usable * o.centralFraction);
  const clients = o.clients === 0 ? devices : o.clients;
  if (clients > devices) usage(`--clients ${o.clients} is more than the ${devices} users left after --central-fraction ${o.centralFraction}`);
  if (o.cohort > clients) usage(`--cohort ${o.cohort} is larger than the ${clients} clients`);
}

/** The item of median interaction count (ties: the lower index): neither a bestseller nor a never-seen item. */
export function medianPopularityItem(data: Dataset): number {
  const counts = new Int32Array(data.itemIds.length + 1);
  for (const s of data.sequences) for (const i of s) counts[i]!++;
  const order = [...Array(data.itemIds.length).keys()].map((i) => i + 1).sort((a, b) => counts[a]! - counts[b]! || a - b);
  return order[Math.floor(order.length / 2)]!;
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

/**
 * FedRecAttack-style poisoning (Rong et al., "FedRecAttack: Model Poisoning Attack to Federated
 * Recommendation", ICDE 2022): attackers approximate user representations from public interactions
 * (here: the model's final hidden state after each public sequence, computed with the model they were
 * just sent like every device) and move the target's embedding towards them, spending the whole clip
 * budget on that one row so the update is as strong as the server lets any update be. Returns the
 * direction (unit vector) shared by this round's attackers.
 */
export async function attackDirection(config: ModelConfig, weights: NamedWeights, publicSequences: readonly number[][]): Promise<Float32Array> {
  const model = SasRec.fromWeights(config, weights);
  try {
    const { dim } = config;
    const sum = new Float32Array(dim);
    for (let start = 0; start < publicSequences.length; start += 256) {
      const windows = model.window(publicSequences.slice(start, start + 256));
      const last = tf.tidy(() => {
        const h = model.hidden(windows);
        return tf.sum(tf.reshape(tf.slice(h, [0, windows.length - 1, 0], [windows.batch, 1, dim]), [windows.batch, dim]), 0);
      });
      const v = await last.data();
      last.dispose();
      for (let c = 0; c < dim; c++) sum[c] = sum[c]! + v[c]!;
    }
    let norm = 0;
    for (let c = 0; c < dim; c++) norm += sum[c]! ** 2;
    norm = Math.sqrt(norm) || 1;
    return sum.map((v) => v / norm);
  } finally {
    model.dispose();
  }
}

/** One attacker's encoded update: the target row only, `scale` long in `direction`. */
function poisonUpdate(config: ModelConfig, baseVersion: string, target: number, direction: Float32Array, scale: number, nonce: Uint8Array): Uint8Array {
  return encodeUpdate(
    { model: 'default', baseVersion, nonce, config, dense: new Map(), rows: { indices: Uint32Array.of(target), values: direction.map((v) => v * scale) } },
    { values: 'int8' },
  );
}

/**
 * The server with its defences switched off, for the `attacked` figure: no update or row clipping, no
 * row limit, no trimming. The noise keeps the same standard deviations (`noiseStdDevs`, re-expressed in
 * the new units), so the only difference from `defended` is the defences.
 */
function undefendedSettings(s: AggregationSettings, numItems: number): AggregationSettings {
  const BIG = 1e6;
  const sigma = noiseStdDevs(s);
  return {
    ...s,
    clipNorm: BIG,
    rowClipNorm: BIG,
    maxRowsPerClient: numItems,
    noiseMultiplier: sigma.sum / BIG,
    countNoiseMultiplier: sigma.counts / Math.sqrt(numItems),
    trim: 0,
  };
}

interface FederatedRun {
  weights: NamedWeights;
  perRound: Array<{ round: number; 'NDCG@10': number; epsilon: number }>;
  uploadBytes: number;
  benignUpdates: number;
  final: Evaluated;
}

/** What identifies a start model: the users it was trained on follow from the split fraction and the seed. */
export const startKey = (o: SimulateOptions) => ({ centralFraction: o.centralFraction, centralEpochs: o.centralEpochs, dim: o.dim, blocks: o.blocks, seed: o.seed });

export interface StartModel {
  config: ModelConfig;
  weights: NamedWeights;
  epochs: number;
}

export interface SimulateHooks {
  /** Progress lines (the CLI sends them to stderr). */
  log?: Log;
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
  const central = await trainCentrally(config, trained.weights, cohorts.map((c) => c.map((u) => split(data.sequences[u]!)!.train)), o.seed);
  lap('central', t);
  const centralEval = await evaluateWeights(config, central, data, evalUsers, target);
  log(`central: NDCG@10 ${centralEval.metrics['NDCG@10'].toFixed(4)} HR@10 ${centralEval.metrics['HR@10'].toFixed(4)} (${seconds.central} s)`);

  const publicSequences = shuffle([...users], rng(o.seed + 3))
    .slice(0, Math.max(1, Math.round(users.length * ATTACKER_PUBLIC_SHARE)))
    .map((u) => split(data.sequences[u]!)!.train);

  // The intake refuses (does not clip) updates above this norm, defences or not: it is input validation.
  const maxUpdateNorm = resolveFederationSettings({ aggregation: o.server, delta: o.delta }).maxUpdateNorm;
  /**
   * Attackers make their update as strong as the server lets it be: exactly the clip norm C when the
   * server clips (a larger one would only be scaled down), and just under the intake's refusal limit when
   * it does not.
   */
  const runFederated = async (name: string, settings: AggregationSettings, attackers: number, evalEachRound: boolean, attackNorm = o.server.clipNorm): Promise<FederatedRun> => {
    const runStarted = performance.now();
    let weights = trained.weights;
    const perRound: FederatedRun['perRound'] = [];
    let uploadBytes = 0;
    let benignUpdates = 0;
    let last: Evaluated | undefined;
    // Same seeds in every run: the devices' local randomness and the server's noise differ only where the runs do.
    const clientRandom = rng(o.seed + 4);
    const gauss = normal(rng(o.seed + 5));
    const nonce = new Uint8Array(16);
    const optimizer = o.serverOptimizer === 'adam' ? new ServerAdam(o.serverAdam) : null;
    for (let r = 0; r < o.rounds; r++) {
      const version = `r${r}`;
      const aggregator = new RoundAggregator(config, settings);
      const direction = attackers > 0 ? await attackDirection(config, weights, publicSequences) : null;
      const cohort = cohorts[r]!;
      for (let i = 0; i < cohort.length; i++) {
        new DataView(nonce.buffer).setUint32(0, r * o.cohort + i);
        let bytes: Uint8Array;
        if (i < attackers) {
          bytes = poisonUpdate(config, version, target, direction!, attackNorm, nonce);
        } else {
          const sequence = split(data.sequences[cohort[i]!]!)!.train;
          if (sequence.length < 2) continue; // a device with one item has nothing to learn from yet
          const update = await trainClientUpdate({ config, weights }, sequence, {
            ...o.client,
            clipNorm: o.server.clipNorm,
            maxRows: o.server.maxRowsPerClient,
            random: clientRandom,
          });
          bytes = encodeClientUpdate(update.delta, { model: 'default', baseVersion: version, config, nonce }, o.density > 0 ? { density: o.density } : {});
          uploadBytes += bytes.byteLength;
          benignUpdates++;
        }
        // The server's intake: decode and validate, refusing more rows than one client may move and norms
        // past its limit.
        const update = decodeUpdate(bytes, { maxRows: settings.maxRowsPerClient });
        if (deltaNorm(update) <= maxUpdateNorm) aggregator.add(update);
      }
      const result = aggregator.finish(gauss);
      weights = applyDelta(weights, optimizer ? optimizer.step(result.delta, settings.serverLearningRate) : result.delta);
      const epsilon = gaussianEpsilon(accounting, r + 1);
      if (evalEachRound || r === o.rounds - 1) {
        last = await evaluateWeights(config, weights, data, evalUsers, target);
        perRound.push({ round: r + 1, 'NDCG@10': last.metrics['NDCG@10'], epsilon });
      }
      log(
        `${name}: round ${r + 1}/${o.rounds}: ${result.updates} updates (${result.clipped} clipped, mean norm ${result.meanNorm.toFixed(3)}), ${result.delta.rows.indices.length} rows released` +
          (last && perRound.at(-1)?.round === r + 1 ? `, NDCG@10 ${last.metrics['NDCG@10'].toFixed(4)}, target exposure ${last.exposure.toFixed(4)}` : '') +
          `, ε ${epsilon.toFixed(2)} (${((performance.now() - runStarted) / 1000).toFixed(0)} s)`,
      );
    }
    return { weights, perRound, uploadBytes, benignUpdates, final: last! };
  };

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
    seconds: { ...seconds, total: Math.round((performance.now() - started) / 1000) },
  };
  return report;
}

/** The central reference: Adam (`CENTRAL_RECIPE`) over the same cohorts' sequences, round after round, batches of 128. */
async function trainCentrally(config: ModelConfig, start: NamedWeights, rounds: number[][][], seed: number): Promise<NamedWeights> {
  const random = rng(seed + 6);
  const model = SasRec.fromWeights(config, start, { trainable: true });
  const optimizer = tf.train.adam(CENTRAL_RECIPE.learningRate);
  try {
    for (const sequences of rounds) {
      const seqs = shuffle(sequences.filter((s) => s.length >= 2), random);
      for (let b = 0; b < seqs.length; b += CENTRAL_RECIPE.batchSize) {
        const batch = packedBatch(seqs.slice(b, b + CENTRAL_RECIPE.batchSize), config.maxLen);
        const negatives = CENTRAL_RECIPE.negatives < config.numItems ? Int32Array.from({ length: CENTRAL_RECIPE.negatives }, () => 1 + Math.floor(random() * config.numItems)) : undefined;
        const loss = optimizer.minimize(() => nextItemLoss(model, batch, { negatives, noise: { rate: CENTRAL_RECIPE.dropout, random } }), true);
        loss?.dispose();
      }
    }
    return await model.exportWeights();
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** The CLI's flags: the options that are flat in `SimulateOptions` as they are, the nested ones flattened. */
export interface SimulateArgs
  extends Pick<SimulateOptions, 'clients' | 'rounds' | 'cohort' | 'centralFraction' | 'centralEpochs' | 'dim' | 'blocks' | 'evalUsers' | 'malicious' | 'target' | 'density' | 'delta' | 'seed'> {
  data: string;
  /** Default `auto`. */
  format?: string;
  /** Default `DEFAULT_COUNT`. */
  count?: string;
  strict: boolean;
  catalog?: string;
  steps: number;
  clientLr: number;
  clientDropout: number;
  negatives: number;
  rows: string;
  trainable: string;
  clipNorm: number;
  rowClipNorm: number;
  maxRows: number;
  noise: number;
  countNoise: number;
  releaseThreshold: string;
  serverLr: number;
  trim: number;
  serverOptimizer: string;
  serverAdamLr: number;
  serverAdamTau: number;
  backend: NodeBackend;
  json: boolean;
  startModel?: string;
  saveStart?: string;
}

/** Flags → options (flag values are already numbers where numeric). */
export function simulateOptions(a: SimulateArgs): SimulateOptions {
  const threshold = a.releaseThreshold === 'all' ? 'all' : Number(a.releaseThreshold);
  if (threshold !== 'all' && !Number.isFinite(threshold)) throw new CliError(`--release-threshold must be a number of devices or "all" (got "${a.releaseThreshold}")`, 2);
  return {
    clients: a.clients,
    rounds: a.rounds,
    cohort: a.cohort,
    centralFraction: a.centralFraction,
    centralEpochs: a.centralEpochs,
    dim: a.dim,
    blocks: a.blocks,
    evalUsers: a.evalUsers,
    malicious: a.malicious,
    target: a.target,
    client: { steps: a.steps, learningRate: a.clientLr, dropout: a.clientDropout, negatives: a.negatives, rows: a.rows as RowPolicy, trainable: a.trainable as Trainable },
    density: a.density,
    server: {
      clipNorm: a.clipNorm,
      rowClipNorm: a.rowClipNorm,
      maxRowsPerClient: a.maxRows,
      noiseMultiplier: a.noise,
      countNoiseMultiplier: a.countNoise,
      releaseThreshold: threshold,
      serverLearningRate: a.serverLr,
      trim: a.trim,
    },
    serverOptimizer: a.serverOptimizer as ServerOptimizerKind,
    serverAdam: { ...SERVER_ADAM_DEFAULTS, learningRate: a.serverAdamLr, tau: a.serverAdamTau },
    delta: a.delta,
    seed: a.seed,
  };
}

export async function simulateCommand(a: SimulateArgs): Promise<SimulateReport> {
  const options = simulateOptions(a);
  const counted = parseCounted(a.count ?? DEFAULT_COUNT);
  const catalog = a.catalog ? await readCatalogFile(a.catalog) : undefined;
  const { data, summary } = await readData(a.data, { format: (a.format ?? 'auto') as Format, counted, strict: a.strict, catalog });
  for (const line of describeData(summary)) console.error(line);
  checkSimulateOptions(options, data);
  await useBackend(a.backend);
  const key = JSON.stringify(startKey(options));
  let start: StartModel | undefined;
  if (a.startModel) {
    const loaded = await readArtifactDir(a.startModel, { unsigned: 'allow' });
    const saved = JSON.stringify((loaded.manifest.training as { simulateStart?: unknown } | undefined)?.simulateStart ?? null);
    if (saved !== key || loaded.itemIds.join('\n') !== data.itemIds.join('\n')) {
      throw new CliError(`--start-model ${a.startModel} was saved by a run with other data or settings (${saved}); this run needs ${key}`, 2);
    }
    start = { config: loaded.manifest.config, weights: loaded.weights, epochs: Number((loaded.manifest.training as { epochs?: number }).epochs ?? 0) };
  }
  const onStart = a.saveStart
    ? async (s: StartModel) => {
        const artifact = await buildArtifact({
          name: 'default',
          version: 'simulate-start',
          config: s.config,
          itemIds: data.itemIds,
          weights: s.weights,
          quantization: 'float32',
          training: { simulateStart: JSON.parse(key) as unknown, epochs: s.epochs },
        });
        await writeArtifactDir(a.saveStart!, artifact);
      }
    : undefined;
  const report = await simulate(data, options, { log: (line) => console.error(line), start, onStart });
  report.setup.data = summary;
  console.log(a.json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
  return report;
}
