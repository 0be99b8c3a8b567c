/**
 * The options of on-device training (`client.ts`) and their defaults, apart from the training code so
 * that reading them loads no tfjs (`edge-recs --help` shows them).
 */
import { AGGREGATION_DEFAULTS } from './aggregate.ts';
import type { EncodeOptions, ValueEncoding } from './codec.ts';

/** Which item rows an update carries (see the module comment of `client.ts`). */
export const ROW_POLICIES = ['padded', 'sequence'] as const;
export type RowPolicy = (typeof ROW_POLICIES)[number];

/** Which weights the device fine-tunes. */
export const TRAINABLE = ['all', 'items'] as const;
export type Trainable = (typeof TRAINABLE)[number];

export interface ClientTrainingOptions {
  /**
   * Local optimisation steps on the shopper's sequence. Default 5: enough to move the rows of a short
   * history clearly, few enough that one device cannot pull the model far from the shared optimum
   * (client drift, Karimireddy et al., "SCAFFOLD", ICML 2020) and that a phone finishes in well under
   * a second.
   * @example { steps: 10 }
   */
  steps: number;
  /**
   * Learning rate of local plain SGD. Default 0.1: with 5 steps it gives updates of norm ~0.6 on a trained
   * Beauty model (below the clip norm 1, so clipping rarely bites); 0.5 diverged on a trained dim-64
   * model (update norms ~80). Plain SGD rather than
   * Adam: a fresh Adam moves every coordinate by ~lr regardless of its gradient, which spends the clip
   * budget on noise.
   * @example { learningRate: 0.2 }
   */
  learningRate: number;
  /** Dropout rate during local steps. Default 0.2: regularises a one-user fit less harshly than central training's 0.5. @example { dropout: 0 } */
  dropout: number;
  /**
   * C: the update's L2 norm is clipped to this on the device. Default: the server's clip norm
   * (`AGGREGATION_DEFAULTS.clipNorm`, 1): the server clips again anyway, so clipping here only makes sure
   * the int8 scale is not spent on values the server would scale down.
   * @example { clipNorm: 0.5 }
   */
  clipNorm: number;
  /**
   * Most item rows one update moves. Default: the server's per-client row limit
   * (`AGGREGATION_DEFAULTS.maxRowsPerClient`, 64); the server drops rows past its limit anyway.
   * @example { maxRows: 32 }
   */
  maxRows: number;
  /**
   * Sampled negative rows in the local slice, at least. Default 16: the local softmax needs items to
   * push away from; with `rows: 'padded'` more are drawn to fill the slice to `maxRows`.
   * @example { negatives: 32 }
   */
  negatives: number;
  /**
   * Most rows of the feature table (`feat_emb`: a model with content features) one update moves: the ones
   * local training moved most. Default 32, ~4 KB of a 64-wide model's update at int8; the server keeps at
   * most its per-client row limit and clips each row as it does item rows.
   * @example { maxFeatureRows: 16 }
   */
  maxFeatureRows: number;
  /** Which rows the update carries: `padded` (default: always `maxRows`) or `sequence` (only the history's). @example { rows: 'sequence' } */
  rows: RowPolicy;
  /**
   * What the device trains: `all` (default) or `items` (only the item rows and, in a model with content
   * features, the feature rows; the other dense tensors stay as published, and the update carries none).
   * @example { trainable: 'items' }
   */
  trainable: Trainable;
  /** Uniform source for negatives and dropout. Default `Math.random` (devices); `simulate` passes a seeded one. */
  random: () => number;
  /**
   * Awaited between local steps. Default: none. The widget's main-thread fallback (no Web Worker) waits
   * for the next idle period here, so each step is one short task instead of one long one.
   * @example { pause: () => new Promise((r) => requestIdleCallback(() => r())) }
   */
  pause?: () => Promise<void>;
}

export const CLIENT_DEFAULTS: ClientTrainingOptions = {
  steps: 5,
  learningRate: 0.1,
  dropout: 0.2,
  clipNorm: AGGREGATION_DEFAULTS.clipNorm,
  maxRows: AGGREGATION_DEFAULTS.maxRowsPerClient,
  negatives: 16,
  maxFeatureRows: 32,
  rows: 'padded',
  trainable: 'all',
  random: Math.random,
};

/**
 * How a device encodes its update by default: int8 values (the server's noise is far larger than int8
 * rounding) and, for the dense tensors, `autoDensity`: all of them when they fit the byte budget, else the
 * largest-magnitude share that does (top-k sparsification, Aji & Heafield 2017).
 */
export const CLIENT_ENCODING: EncodeOptions & { values: ValueEncoding } = { values: 'int8' };
