/** `edge-recs simulate`'s options: the CLI's flags turned into `SimulateOptions`, and their checks against the data. */
import { SERVER_ADAM_DEFAULTS } from '../../core/federated/aggregate.ts';
import { ROW_POLICIES, TRAINABLE, type RowPolicy, type Trainable } from '../../core/federated/client.ts';
import { split, type Dataset } from '../data/dataset.ts';
import { SERVER_OPTIMIZERS, type ServerOptimizerKind, type SimulateOptions } from '../training/defaults.ts';
import { CliError } from '../errors.ts';
import type { NodeBackend } from '../training/tf-node.ts';

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
  intAtLeast('--workers', o.workers, 1);
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

/** The CLI's flags: the options that are flat in `SimulateOptions` as they are, the nested ones flattened. */
export interface SimulateArgs
  extends Pick<SimulateOptions, 'clients' | 'rounds' | 'cohort' | 'centralFraction' | 'centralEpochs' | 'dim' | 'blocks' | 'evalUsers' | 'malicious' | 'target' | 'density' | 'delta' | 'seed' | 'workers'> {
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
    workers: a.workers,
  };
}
