/**
 * The device side of federated learning: fine-tune the published model on one shopper's own sequence for
 * a few steps and turn what changed into a clipped, sparse update for `POST /v1/updates`. One
 * implementation, run by the widget (in a Web Worker) and by `edge-recs simulate` (in Node).
 *
 * **A local slice of the item table.** A device never trains the whole 12k-row table: it builds a small
 * model whose item table holds only the rows it will send — the items of its own recent history and a few
 * uniformly sampled negatives — with the published dense weights unchanged, and trains that with the
 * trainer's own loss (`nextItemLoss`: softmax over the slice, which is sampled softmax over the catalog;
 * Klenitskiy & Vasilev, RecSys 2023). Memory and compute no longer depend on the catalog size, and every
 * row that moves is by construction a row the update carries.
 *
 * **Which rows leave the device, and why.** Each item row in an update tells whoever reads the update that
 * the row was touched. The server adds noise to what it *publishes* (DP-FedAvg), but it sees each update
 * itself (there is no secure aggregation), so the row set is the one thing in an update that names items.
 * With `rows: 'padded'` (the default) every update carries exactly `maxRows` rows: the shopper's distinct
 * recent items, then sampled negatives (which the loss really trained: they were pushed away from the
 * shopper's state) up to the fixed count. The count then says nothing about how long the history is, and
 * a row's presence alone does not say whether the item was viewed or drawn at random (the negatives are
 * ~maxRows − history rows of uniform cover). It is cover, not a guarantee: the direction of a row's change
 * can still hint at which kind it was, which is why the guarantee docs/federated-learning.md states is the server's ε on
 * the published model. `rows: 'sequence'` sends only the history's rows (smaller, no cover).
 *
 * Gradients must be registered by the platform (see `core/model/training.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ContractError, show } from '../errors.ts';
import { paramShapes, type ModelConfig } from '../model/config.ts';
import { featureItemCount, selectItemFeatures, type ItemFeatures } from '../model/features.ts';
import { SasRec } from '../model/sasrec.ts';
import { nextItemBatch, nextItemLoss } from '../model/training.ts';
import { size, type NamedWeights } from '../model/weights.ts';
import { encodeUpdate, NONCE_BYTES, type EncodeOptions, type ValueEncoding, type WeightDelta } from './codec.ts';
import { clipDelta, limitDenseRows } from './delta.ts';
import { CLIENT_DEFAULTS, CLIENT_ENCODING, ROW_POLICIES, TRAINABLE, type ClientTrainingOptions } from './client-options.ts';

export { CLIENT_DEFAULTS, CLIENT_ENCODING, ROW_POLICIES, TRAINABLE, type ClientTrainingOptions, type RowPolicy, type Trainable } from './client-options.ts';

/** The published model a device trains on: its shape and host weights. */
export interface BaseModel {
  config: ModelConfig;
  weights: NamedWeights;
  /**
   * Its items' content features (`LoadedArtifact.features`), needed where `config.numFeatures` > 0. They
   * may describe more items than the model has: items `numItems + 1` on are products new to it (the
   * catalog's, as the widget ranks them: `runtime/content-items.ts`), which a sequence may name too.
   */
  features?: ItemFeatures;
  /** Item indices with no id row (held out of its training: `LoadedArtifact.coldItems`). */
  withoutId?: Iterable<number>;
}


export interface ClientUpdate {
  /** New weights minus published weights, clipped to `clipNorm`: item rows (global indices, ascending) and dense tensors. */
  delta: WeightDelta;
  /** L2 norm before clipping. */
  norm: number;
  clipped: boolean;
  /** Local loss at the first and the last step. */
  lossBefore: number;
  lossAfter: number;
  /** Rows of the shopper's own history among `delta.rows` (the rest are negatives). */
  historyRows: number;
  /** Rows of `feat_emb` the update moves (a model with content features; 0 otherwise). */
  featureRows: number;
}

/** Minimum history for an update: one input and one target. */
const MIN_CLIENT_SEQUENCE = 2;

/** Checks options once and returns them merged over the defaults. @throws ContractError `bad_options` naming the option. */
function resolveClientOptions(options: Partial<ClientTrainingOptions> = {}): ClientTrainingOptions {
  const o = { ...CLIENT_DEFAULTS, ...options };
  const fail = (name: string, want: string, got: unknown): never => {
    throw new ContractError('bad_options', `client training: ${name} must be ${want} (got ${show(got)})`);
  };
  if (!Number.isInteger(o.steps) || o.steps < 1) fail('steps', 'a positive integer', o.steps);
  if (!(o.learningRate > 0)) fail('learningRate', 'a positive number', o.learningRate);
  if (!(o.dropout >= 0 && o.dropout < 1)) fail('dropout', 'in [0, 1)', o.dropout);
  if (!(o.clipNorm > 0)) fail('clipNorm', 'a positive number', o.clipNorm);
  if (!Number.isInteger(o.maxRows) || o.maxRows < 2) fail('maxRows', 'an integer >= 2', o.maxRows);
  if (!Number.isInteger(o.maxFeatureRows) || o.maxFeatureRows < 0) fail('maxFeatureRows', 'a whole number', o.maxFeatureRows);
  if (!Number.isInteger(o.negatives) || o.negatives < 1 || o.negatives >= o.maxRows) fail('negatives', `an integer in 1..${o.maxRows - 1} (below maxRows)`, o.negatives);
  if (!ROW_POLICIES.includes(o.rows)) fail('rows', `one of ${ROW_POLICIES.join(', ')}`, o.rows);
  if (!TRAINABLE.includes(o.trainable)) fail('trainable', `one of ${TRAINABLE.join(', ')}`, o.trainable);
  return o;
}

/**
 * Fine-tunes `base` on one shopper's sequence of item indices (oldest first, 1..numItems) and returns the
 * clipped update. No tensor outlives the call. `base.weights` is not modified.
 * @example const { delta } = await trainClientUpdate({ config, weights }, [12, 7, 301, 7], { steps: 5 });
 * @throws ContractError `bad_history` for a sequence shorter than 2 or an index outside the catalog,
 *   `bad_options` for a bad option.
 */
export async function trainClientUpdate(base: BaseModel, sequence: readonly number[], options: Partial<ClientTrainingOptions> = {}): Promise<ClientUpdate> {
  const o = resolveClientOptions(options);
  const { config } = base;
  const { dim, numItems, maxLen } = config;
  // Items after `numItems` are products new to the model, known by their features alone.
  const itemCount = base.features ? Math.max(numItems, featureItemCount(base.features)) : numItems;
  for (const item of sequence) {
    if (!Number.isInteger(item) || item < 1 || item > itemCount) throw new ContractError('bad_history', `history item index ${show(item)} is outside 1..${itemCount}`);
  }
  // The window the model reads (maxLen inputs and their targets), shortened from the old end until its
  // distinct items leave room for the negatives in the slice.
  let window = sequence.slice(-(maxLen + 1));
  const maxPositives = o.maxRows - o.negatives;
  while (new Set(window).size > maxPositives) window = window.slice(1);
  if (window.length < MIN_CLIENT_SEQUENCE) {
    throw new ContractError('bad_history', `a client update needs at least ${MIN_CLIENT_SEQUENCE} items of history (got ${sequence.length})`);
  }
  const positives = [...new Set(window)];
  // The model's own items have id rows the update can move; new products move only their features' rows.
  const known = positives.filter((item) => item <= numItems);
  const fresh = positives.filter((item) => item > numItems);
  const taken = new Set(positives);
  const wanted = o.rows === 'padded' ? Math.min(o.maxRows, numItems) - known.length : Math.min(o.negatives, numItems - known.length);
  const negatives: number[] = [];
  // Rejection sampling: the slice is tiny next to the catalog, so this ends after ~wanted draws.
  for (let tries = 0; negatives.length < wanted && tries < wanted * 50; tries++) {
    const item = 1 + Math.floor(o.random() * numItems);
    if (!taken.has(item)) {
      taken.add(item);
      negatives.push(item);
    }
  }
  // Local row r + 1 is global item rows[r]: the model's items (id rows), then the new products (none).
  const modelRows = [...known, ...negatives];
  const rows = [...modelRows, ...fresh];
  const local = new Map(rows.map((item, r) => [item, r + 1]));

  const table = base.weights.get('item_emb')!.values;
  const slice = new Float32Array((modelRows.length + 1) * dim);
  modelRows.forEach((item, r) => slice.set(table.subarray(item * dim, (item + 1) * dim), (r + 1) * dim));
  const localConfig: ModelConfig = { ...config, numItems: modelRows.length };
  const localWeights: NamedWeights = new Map(base.weights);
  localWeights.set('item_emb', { shape: [modelRows.length + 1, dim], values: slice });

  // A model with content features composes each row's vector from its id row and its features' rows, and
  // the device trains both: the features' rows carry what it learnt to every item that shares them,
  // products new since the last central training included.
  const cold = new Set(base.withoutId ?? []);
  const model = SasRec.fromWeights(localConfig, localWeights, {
    trainable: true,
    ...(base.features && { features: selectItemFeatures(base.features, rows), withoutId: modelRows.flatMap((item, r) => (cold.has(item) ? [r + 1] : [])) }),
  });
  const optimizer = tf.train.sgd(o.learningRate);
  try {
    const batch = nextItemBatch([window.map((item) => local.get(item)!)], maxLen);
    const vars = [...model.variables].filter(([name]) => o.trainable === 'all' || name === 'item_emb' || name === 'feat_emb').map(([, v]) => v);
    const noise = o.dropout > 0 ? { rate: o.dropout, random: o.random } : undefined;
    // Only the sampled rows are negatives, as in central training: the history's other items must not
    // be pushed away from each other's positions (they are what the shopper did).
    const negativeRows = Int32Array.from(negatives, (_, i) => known.length + i + 1);
    let lossBefore = NaN;
    let lossAfter = NaN;
    for (let step = 0; step < o.steps; step++) {
      if (step > 0) await o.pause?.();
      const loss = optimizer.minimize(() => nextItemLoss(model, batch, { negatives: negativeRows, noise }), true, vars)!;
      const value = (await loss.data())[0]!;
      loss.dispose();
      if (step === 0) lossBefore = value;
      lossAfter = value;
    }
    const trained = await model.exportWeights();
    const dense = new Map<string, Float32Array>();
    if (o.trainable === 'all') {
      for (const [name, w] of base.weights) {
        if (name === 'item_emb' || name === 'feat_emb') continue;
        const next = trained.get(name)!.values;
        const d = new Float32Array(next.length);
        for (let i = 0; i < d.length; i++) d[i] = next[i]! - w.values[i]!;
        dense.set(name, d);
      }
    }
    const features = base.weights.get('feat_emb');
    // Local SGD moves only the rows of the slice's items' features; the `maxFeatureRows` that moved most are sent.
    const after = trained.get('feat_emb')?.values;
    const featureRows = features && after ? limitDenseRows(after.map((v, i) => v - features.values[i]!), dim, o.maxFeatureRows, Infinity) : undefined;
    if (featureRows) dense.set('feat_emb', featureRows.values);
    const newSlice = trained.get('item_emb')!.values;
    // With rows: 'sequence' the negatives were trained against but their rows stay on the device.
    const sent = o.rows === 'padded' ? modelRows : known;
    const order = sent.map((item, r) => ({ item, r: r + 1 })).sort((a, b) => a.item - b.item);
    const values = new Float32Array(order.length * dim);
    order.forEach(({ item, r }, i) => {
      for (let c = 0; c < dim; c++) values[i * dim + c] = newSlice[r * dim + c]! - table[item * dim + c]!;
    });
    const { delta, norm, clipped } = clipDelta({ dense, rows: { indices: Uint32Array.from(order.map((x) => x.item)), values } }, o.clipNorm);
    return { delta, norm, clipped, lossBefore, lossAfter, historyRows: known.length, featureRows: featureRows?.rows ?? 0 };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

export interface UpdateLabels {
  /** Model name, e.g. `default`. */
  model: string;
  /** The published version the update was trained on. */
  baseVersion: string;
  config: ModelConfig;
  /** 16 random bytes; default: fresh from `crypto.getRandomValues` (a retry of the same upload must reuse them). */
  nonce?: Uint8Array;
}


/**
 * Bytes of dense values an update may spend, the feature table's rows included: with 64 int8 item rows
 * (~4.5 KB) an update stays under 20 KB, the budget per device and round.
 */
const DENSE_BUDGET_BYTES = 12 * 1024;

/**
 * The share of dense coordinates to send: 1 when every dense value fits the budget at one byte (a
 * 1-block, dim-32 SASRec: ~8.5k values), else the share that fits at ~2 bytes per kept value (value and
 * index gap): ~0.11 for a 2-block, dim-64 SASRec (~54k values). A model with content features spends
 * ~2 bytes a value of its `maxFeatureRows` feature rows out of the same budget (sent whole:
 * `encodeClientUpdate`; the rest of `feat_emb` is 0 and never sent).
 */
export function autoDensity(config: ModelConfig, maxFeatureRows = CLIENT_DEFAULTS.maxFeatureRows): number {
  const dense = paramShapes(config)
    .slice(1)
    .filter(([name]) => name !== 'feat_emb')
    .reduce((n, [, shape]) => n + size(shape), 0);
  const budget = DENSE_BUDGET_BYTES - ((config.numFeatures ?? 0) > 0 ? 2 * maxFeatureRows * config.dim : 0);
  return dense <= budget ? 1 : budget / 2 / dense;
}

/** Encodes a client update with the one codec (`encodeUpdate`). @example encodeClientUpdate(update.delta, { model: 'default', baseVersion: 'v3', config }) */
export function encodeClientUpdate(delta: WeightDelta, labels: UpdateLabels, encoding: EncodeOptions = CLIENT_ENCODING): Uint8Array<ArrayBuffer> {
  const nonce = labels.nonce ?? crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  // The feature rows are sparse already (`limitDenseRows` kept them): every one the device kept is sent.
  const options = { whole: ['feat_emb'], ...CLIENT_ENCODING, ...encoding };
  options.density ??= autoDensity(labels.config);
  return encodeUpdate({ model: labels.model, baseVersion: labels.baseVersion, nonce, config: labels.config, ...delta }, options);
}
