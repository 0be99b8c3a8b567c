/**
 * The defaults of `train` and `simulate`, apart from their code: the CLI's `--help` shows them, and this
 * module loads no tfjs, so `edge-recs --help` and the release commands start without it (`cli.ts`).
 */
import { AGGREGATION_DEFAULTS, SERVER_ADAM_DEFAULTS } from '../core/federated/aggregate.ts';
import { CLIENT_DEFAULTS } from '../core/federated/client-options.ts';
import type { SimulateOptions } from './simulate.ts';
import type { TrainOptions } from './trainer.ts';

export const TRAIN_DEFAULTS: Omit<TrainOptions, 'onEpoch'> = {
  model: {},
  epochs: 200,
  batchSize: 128,
  learningRate: 0.002,
  dropout: 0.5,
  negatives: 2048,
  weighting: 'uniform',
  batching: 'packed',
  beta2: 0.999,
  patience: 3,
  evalEvery: 1,
  validateFrom: 5,
  validationUsers: 0,
  seed: 42,
};

/**
 * Defaults: the configuration the README reports (`npm run bench -- federated` runs exactly these), each
 * chosen for a reason measured on Beauty on this 2-core machine:
 * - **Few rounds over the whole pool** (R 3, K 3,700: 11,100 of the 11,181 devices): the noise on the
 *   mean is z·C/K and ε grows with R, so for a fixed number of device updates large cohorts give the
 *   best signal to noise (3 rounds of 1,000 at η 1 left NDCG@10 at the start model's: 0.0301).
 * - **z 1.3 on the updates, z_c 8 on the row counts, every row released**: the accountant charges both
 *   releases (composed z 1.28), so putting the noise on the counts costs little privacy; with every row
 *   released no row is picked by a noisy count (a 3σ threshold would release only the few bestsellers
 *   plus noise-only rows), and each row's noise zC/K is tiny next to its embedding. ε 8.0 after 3
 *   rounds at δ 10⁻⁶.
 * - **Server learning rate η 10**: a device's 5 SGD steps on one history move the model little, so the
 *   plain mean is a tiny step; measured on the same start model (NDCG@10 0.0301): without noise η 1
 *   gave 0.0302 after 3 rounds of 1,000, η 10 0.0310, η 30 0.0314 (central 0.0315); with the noise and
 *   K 3,700, η 10 gave 0.0312 (central 0.0312).
 * - **A small start model** (dim 32, 1 block, 16 epochs on half the users): a device update must fit
 *   20 KB with every dense value (~8.5k) at int8, and each of the ~10,000 client updates of a run must
 *   train in tens of milliseconds; the shipped 2-block, dim-64 model would need top-k sparsification and
 *   ~4x the time.
 * - **FedAvg on the server** (`--server-optimizer fedavg`): server Adam on the dense weights (η 0.003,
 *   τ 1e-5) left NDCG@10 at the start model's after 3 rounds of 1,000 (0.0302 vs 0.0301).
 */
export const SIMULATE_DEFAULTS: SimulateOptions = {
  clients: 0,
  rounds: 3,
  cohort: 3700,
  centralFraction: 0.5,
  centralEpochs: 16,
  dim: 32,
  blocks: 1,
  evalUsers: 0,
  malicious: 0.03,
  target: 'auto',
  client: {
    steps: CLIENT_DEFAULTS.steps,
    learningRate: CLIENT_DEFAULTS.learningRate,
    dropout: CLIENT_DEFAULTS.dropout,
    negatives: CLIENT_DEFAULTS.negatives,
    rows: CLIENT_DEFAULTS.rows,
    trainable: CLIENT_DEFAULTS.trainable,
  },
  density: 0,
  server: { ...AGGREGATION_DEFAULTS, noiseMultiplier: 1.3, countNoiseMultiplier: 8, releaseThreshold: 'all', serverLearningRate: 10 },
  serverOptimizer: 'fedavg',
  serverAdam: { ...SERVER_ADAM_DEFAULTS },
  delta: 1e-6,
  seed: 42,
};
