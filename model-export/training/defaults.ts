/**
 * The options of `train` and `simulate` and their defaults, apart from their code: the CLI's `--help`
 * shows them, and this module loads no tfjs, so `edge-recs --help` and the release commands start without
 * it (`cli.ts`). `trainer.ts` and `simulate.ts` import them from here, never the other way.
 */
import { availableParallelism } from 'node:os';
import { AGGREGATION_DEFAULTS, SERVER_ADAM_DEFAULTS, type AggregationSettings, type ServerAdamSettings } from '../../core/federated/aggregate.ts';
import type { ClientTrainingOptions } from '../../core/federated/client.ts';
import { CLIENT_DEFAULTS } from '../../core/federated/client-options.ts';
import type { Metrics } from '../../core/ranking-metrics.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import type { ItemFeatures } from '../../core/model/features.ts';
import type { NegativeSampling } from './negatives.ts';

export interface TrainOptions {
  /** Model shape; `numItems` comes from the data. */
  model: Partial<Omit<ModelConfig, 'numItems'>>;
  /** Most epochs to run. Default 200: early stopping normally ends training well before. */
  epochs: number;
  /** Sequences per step. Default 128. */
  batchSize: number;
  /**
   * Adam learning rate. Default 0.002: on Beauty (length-bucketed batches then) it reached the best
   * validation NDCG@10 in 11 epochs where 0.001 needed 14+ for a lower peak (test NDCG@10 0.0491 vs
   * 0.0479), i.e. less training time; with packed batches 0.001 also trailed after 2 epochs.
   */
  learningRate: number;
  /**
   * Factor the learning rate is multiplied by after each validation that does not improve on the best
   * (decay on a plateau; 1 = a constant rate). Default 0.5: on Beauty and Toys (popularity negatives,
   * patience 3) the best validation NDCG@10 rose from 0.0665 to 0.0680 and from 0.0704 to 0.0727
   * (docs/benchmarks.md, "Recipe runs for issue 19").
   */
  lrDecay: number;
  /**
   * Dropout rate. Default 0.4: SASRec's 0.5 for sparse data such as the Amazon sets, lowered by issue 19's
   * validation runs (popularity negatives, decay on a plateau): best validation NDCG@10 summed over Beauty
   * and Toys 0.1411 at 0.4 against 0.1407 at 0.5 and 0.1408 at 0.3, and Beauty's best epoch came at 11
   * instead of 16, which matters inside the time budget (docs/benchmarks.md, "Recipe runs for issue 19").
   */
  dropout: number;
  /**
   * Shared negatives per step for sampled softmax. Default 2048: many negatives bring sampled softmax
   * close to full softmax (measured on Beauty: validation NDCG@10 0.054 after 8 epochs with 2048, 0.043
   * with 256). 0, or a catalog no larger than this, means full softmax, exact and on small catalogs no slower.
   */
  negatives: number;
  /**
   * How the shared negatives are drawn (`negatives.ts`). Default `popularity`: in proportion to each item's
   * count in the training histories plus one, each logit log-Q corrected. On Beauty's validation after
   * 5–8 epochs: 0.0597 0.0629 0.0620 0.0644 against 0.0560 0.0585 0.0587 0.0623 uniform and 0.0613 0.0632
   * 0.0641 0.0641 with full softmax at 2.5× the time (uniform with the constant log-Q shift: 0.0562 0.0592
   * 0.0592 0.0630, so the gain is which items are drawn, not the correction).
   */
  sampling: NegativeSampling;
  /**
   * Epochs without a better validation NDCG@10 before stopping. Default 3: with `lrDecay` each of them
   * halves the learning rate, so the third finds it at an eighth and little is left to gain; the time
   * budget (`timeBudget`), not a smaller patience, bounds a larger catalog's run.
   */
  patience: number;
  /**
   * Wall-time budget of the epochs, in seconds (0 = none): training stops after the last epoch the
   * budget has room for (judged by the epochs so far) and keeps the best validated one, as it does when
   * `patience` runs out. Which epoch that is depends on the machine's speed: a run that must be repeated
   * bit for bit wants `--time-budget 0`.
   */
  timeBudget: number;
  /**
   * First epoch evaluated on validation; every later epoch is too, and the last always is. Default 5: a
   * full-ranking validation pass costs ~20% of a Beauty epoch, and in the first epochs the model improves
   * every epoch anyway (Beauty and Toys: validation NDCG@10 rose through epoch 6 in every run), so those
   * passes would only cost time; the model trained is the same.
   */
  validateFrom: number;
  /** Users sampled for validation (all when 0). Default 0. */
  validationUsers: number;
  seed: number;
  /**
   * ID dropout (DropoutNet: Volkovs, Yu and Poutanen, NeurIPS 2017): at each step each item's id row is
   * left out of its vector with this probability, so the model also learns to rank items, and to read
   * them in histories, from their content features alone, as it must for an item with no id row (new
   * since training, or held out). Models with content features only; an id-only model ignores it.
   * Default 0.5, DropoutNet's setting: in its experiments the warm items' accuracy stayed level as the
   * rate rose to 0.5 while the cold items' rose steeply; below that the features learn only what the id
   * rows leave unexplained, which is little for warm items.
   */
  idDropout: number;
  /**
   * Content features of the data's items (item index `i` is `data.itemIds[i - 1]`); absent, or with no
   * names: an id-only model. Given, the model has `numFeatures` and each item's vector is its id row plus
   * the mean of its features' (`core/model/sasrec.ts`).
   */
  features?: ItemFeatures;
  /**
   * Item indices of the data held out of training entirely (`--cold-items`, `data/cold-items.ts`): their
   * occurrences are taken out of the training and validation histories, the model never sees them (not
   * even as negatives), and the model trained has an all-zero id row for each (it ranks them from their
   * features, `withoutId`).
   */
  coldItems?: ReadonlySet<number>;
  /**
   * Threads computing each step's gradient, data-parallel (`--workers`): 1 = this thread alone; N > 1 =
   * N worker threads, each holding a replica of the model and computing a shard of every batch, their
   * gradients summed in a fixed order. Default: every core (`os.availableParallelism()`), since tfjs-wasm
   * runs one thread per instance in Node and one thread leaves the other cores idle; what that buys
   * depends on the machine's memory bandwidth per core (on this 2-core VM, where the step is memory-bound:
   * 1.0–1.25× over the main thread alone, docs/cli.md). The same seed with the same number of workers
   * gives bit-identical weights; another number of workers trains the same way but not to the same bits
   * (dropout masks are drawn per shard, and float sums run in another order). Example: `workers: 1` for a run that must match one
   * made on a machine with another number of cores.
   */
  workers: number;
  /** Called after each epoch (for progress bars and reports). */
  onEpoch?: (info: EpochInfo) => void;
}

export interface EpochInfo {
  epoch: number;
  epochs: number;
  loss: number;
  /** Validation metrics when evaluated this epoch. */
  valid?: Metrics;
  seconds: number;
  /**
   * The epoch training ends after if validation NDCG@10 does not improve again (`stopHorizon`); it moves
   * out with every improvement. Equal to `epochs` when the limit comes first.
   */
  horizon: number;
}


export const TRAIN_DEFAULTS: Omit<TrainOptions, 'onEpoch' | 'features' | 'coldItems'> = {
  model: {},
  epochs: 200,
  batchSize: 128,
  learningRate: 0.002,
  lrDecay: 0.5,
  dropout: 0.4,
  negatives: 2048,
  sampling: 'popularity',
  patience: 3,
  timeBudget: 840,
  validateFrom: 5,
  validationUsers: 0,
  seed: 42,
  idDropout: 0.5,
  workers: availableParallelism(),
};

export const SERVER_OPTIMIZERS = ['fedavg', 'adam'] as const;
export type ServerOptimizerKind = (typeof SERVER_OPTIMIZERS)[number];

/** Settings of one simulation; `SIMULATE_DEFAULTS` holds each default and `model-export/cli.ts` the flag help. */
export interface SimulateOptions {
  /** Devices taking part (drawn from the users not in the central start); 0 = all of them. */
  clients: number;
  /** Aggregation rounds R. */
  rounds: number;
  /** Devices per round K (the server's minimum cohort). */
  cohort: number;
  /** Share of users whose logs train the start model centrally; the rest are devices. */
  centralFraction: number;
  /** Epochs of central training for the start model (best validation epoch kept). */
  centralEpochs: number;
  /** Model width and blocks of the start model (and so of every update). */
  dim: number;
  blocks: number;
  /** Users every metric is computed on (a seeded sample of all users); 0 = all. */
  evalUsers: number;
  /** Share of each cohort that is malicious (FedRecAttack-style); 0 = no poisoning runs. */
  malicious: number;
  /** Catalog id of the item the attackers push; `auto` = the item of median popularity. */
  target: string;
  /** Device-side training (`trainClientUpdate`). */
  client: Pick<ClientTrainingOptions, 'steps' | 'learningRate' | 'dropout' | 'negatives' | 'rows' | 'trainable'>;
  /** Share of each dense tensor a device uploads (top-k by magnitude); 0 = `autoDensity` (the widget's default). */
  density: number;
  /** Server aggregation (`RoundAggregator`). */
  server: AggregationSettings;
  /**
   * What the server does with each round's noisy mean: `fedavg` adds it (times η), `adam` steps the dense
   * tensors with `ServerAdam` (FedAdam; post-processing, no privacy cost) and adds the item rows' mean.
   */
  serverOptimizer: ServerOptimizerKind;
  /** `ServerAdam`'s settings when `serverOptimizer` is `adam`. */
  serverAdam: ServerAdamSettings;
  /** δ of the reported (ε, δ). */
  delta: number;
  seed: number;
  /** Threads of the central training (the start model and the central reference): `TrainOptions.workers`. */
  workers: number;
}

/**
 * Defaults: the configuration docs/federated-learning.md reports (`npm run bench -- federated` runs exactly these), each
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
  workers: TRAIN_DEFAULTS.workers,
};
