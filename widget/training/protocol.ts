/**
 * The one message a page sends the training worker, and its answer. Plain data only (structured clone):
 * weights travel as host arrays, the encoded update comes back as bytes.
 */
import type { ClientTrainingOptions } from '../../core/federated/client.ts';
import type { EncodeOptions } from '../../core/federated/codec.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import type { ItemFeatures } from '../../core/model/features.ts';
import type { NamedWeights } from '../../core/model/weights.ts';

/** Options a job carries: everything but the callbacks (`random`, `pause`), which cannot cross a worker boundary. */
/**
 * New interest events (views, selects, add-to-carts, purchases) since the last update before the next one
 * trains (`TrainingOptions.minEvents`' default). The engine loads the training chunk only once a device has
 * this many, so a first visit with fewer fetches none of it.
 */
export const MIN_TRAINING_EVENTS = 5;

export type JobOptions = Partial<Omit<ClientTrainingOptions, 'random' | 'pause'>>;

export interface TrainingJob {
  config: ModelConfig;
  weights: NamedWeights;
  /** The model's content features and the item indices without an id row, where it has features (`BaseModel`). */
  features?: ItemFeatures;
  withoutId?: number[];
  /** The shopper's item indices, oldest first. */
  sequence: number[];
  options: JobOptions;
  encoding: EncodeOptions;
  labels: { model: string; baseVersion: string; nonce: Uint8Array };
}

export type JobResult = { ok: true; bytes: Uint8Array; norm: number; historyRows: number } | { ok: false; error: string };
