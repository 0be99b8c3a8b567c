import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '../errors.ts';
import type { ModelConfig } from './config.ts';
import { checkItemFeatures, featureItemCount, type ItemFeatures } from './features.ts';
import { checkWeights, type NamedWeights } from './weights.ts';

/** One recommended item: its model index (1..numItems) and raw score. */
export interface Scored {
  index: number;
  score: number;
}

/**
 * Histories laid out for the model: `batch` rows of `length` item indices, left-padded with 0. `length`
 * is the longest history in the batch (capped at `maxLen`), not always `maxLen`: padding costs compute
 * and changes nothing, and shop histories are mostly far shorter than the window.
 */
export interface Windows {
  ids: Int32Array;
  batch: number;
  length: number;
  /**
   * Training only: several histories packed into one row (see `packedBatch`). Per cell, the history it
   * belongs to (1, 2, ... within its row; 0 for padding): attention stays inside a history.
   */
  segments?: Int32Array;
  /** Training only, with `segments`: per cell, its row of the position table (newest item of a history = maxLen - 1). */
  positions?: Int32Array;
}

/** Keep-probability noise for training; inference passes none. */
export interface Noise {
  rate: number;
  /** Seeded source, so a run with `--seed` is reproducible. */
  random: () => number;
}

const MASKED = -1e9;
const LN_EPS = 1e-8;

/** What an item's vector is made of, beyond `item_emb` (see `features.ts`). */
export interface ItemTableOptions {
  /**
   * The content features of every item index, required where the model has `numFeatures`. It may describe
   * more items than `config.numItems`: the items after them (products new since training) have no id row,
   * only their features, and are ranked and read in histories like the rest.
   */
  features?: ItemFeatures;
  /** Item indices whose id row is not used (held out of training: `--cold-items`): their features alone. */
  withoutId?: Iterable<number>;
}

/** What turns `feat_emb` into the items' feature vectors (`SasRec.itemTable`): every (item, feature) pair once. */
interface FeatureLayout {
  /** Per pair, the feature index (a row of `feat_emb`). */
  features: Int32Array;
  /** Per pair, the item index it belongs to. */
  owners: Int32Array;
  /** [pairs, 1]: 1 / the owner's number of features, so the pairs of one item sum to their mean. */
  weights: tf.Tensor2D;
  /** [rows, 1]: 1 where the item's id row counts, 0 where it has none. */
  idMask?: tf.Tensor2D;
}

/** Rows of `updates` summed into a [rows, dim] table at `indices` (duplicates add up), with the gradient that gathers them back. */
function scatterRows(updates: tf.Tensor2D, indices: Int32Array, rows: number): tf.Tensor2D {
  const op = tf.customGrad((u, save) => {
    const idx = tf.tensor1d(indices, 'int32');
    (save as tf.GradSaveFunc)([idx]);
    return {
      value: tf.scatterND(tf.reshape(idx, [-1, 1]), u as tf.Tensor2D, [rows, (u as tf.Tensor2D).shape[1]]),
      gradFunc: (dy, saved) => tf.gather(dy as tf.Tensor2D, saved[0]!),
    };
  });
  return op(updates) as tf.Tensor2D;
}

/**
 * Rows of `table` at `indices`, with a gradient that scatters rows back (tf.scatterND sums duplicate
 * indices). tfjs' own gradient of `gather` needs UnsortedSegmentSum, which the WASM backend lacks and the
 * CPU backend runs far too slowly for a 12k-row item table.
 */
export function gatherRows(table: tf.Tensor2D, indices: Int32Array): tf.Tensor2D {
  const op = tf.customGrad((t, save) => {
    const shape = (t as tf.Tensor2D).shape;
    const idx = tf.tensor1d(indices, 'int32');
    // Saved, not closed over: the engine disposes the forward pass's intermediates before the backward pass.
    (save as tf.GradSaveFunc)([idx]);
    return {
      value: tf.gather(t as tf.Tensor2D, idx),
      gradFunc: (dy, saved) => tf.scatterND(tf.reshape(saved[0]!, [-1, 1]), dy as tf.Tensor2D, shape),
    };
  });
  return op(table) as tf.Tensor2D;
}

/** Swaps the last two axes of a rank-2 or rank-3 tensor. */
function swapLast<T extends tf.Tensor>(t: T): T {
  return (t.rank === 2 ? tf.transpose(t) : tf.transpose(t, [0, 2, 1])) as T;
}

/**
 * `a @ b` (rank 2, or rank 3 batched) whose gradients also multiply untransposed operands. tfjs' WASM
 * BatchMatMul is several times slower with its transpose flags set (measured: 1300x64 @ (12102x64)^T
 * 1254 ms with the flag, 183 ms with the transpose materialised), and the stock gradient of matMul sets
 * them, so both the forward and the backward pass transpose explicitly instead.
 */
const matMul = tf.customGrad((a, b, save) => {
  (save as tf.GradSaveFunc)([a as tf.Tensor, b as tf.Tensor]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy, [x, y]) => [tf.matMul(dy as tf.Tensor3D, swapLast(y!) as tf.Tensor3D), tf.matMul(swapLast(x!) as tf.Tensor3D, dy as tf.Tensor3D)],
  };
}) as <T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T) => T;

/** `a @ b^T` through `matMul`. */
export function matMulT<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T): T {
  return matMul(a, swapLast(b));
}

/**
 * The SASRec forward pass on tfjs-core ops: the one implementation used by the trainer, the CLI's
 * evaluation and the widget. Post-attention residual and layer-norm order follow the reference
 * implementation (kang205/SASRec, and its PyTorch port pmixer/SASRec.pytorch), so imported weights
 * score the same.
 */
export class SasRec {
  /** Frozen models: the item table (`itemTable`), composed once, and transposed, so scoring does neither on every event. */
  private table: tf.Tensor2D | undefined;
  private tableT: tf.Tensor2D | undefined;

  private constructor(
    readonly config: ModelConfig,
    private readonly params: Map<string, tf.Tensor>,
    readonly trainable: boolean,
    private readonly layout: FeatureLayout | undefined,
    /** Items the model ranks and reads: `numItems`, plus the feature-only items after them. */
    readonly itemCount: number,
  ) {}

  /** Wraps host weights as tensors (`tf.Variable`s when `trainable`), on the active tfjs backend. */
  static fromWeights(config: ModelConfig, weights: NamedWeights, options: { trainable?: boolean } & ItemTableOptions = {}): SasRec {
    checkWeights(config, weights);
    const trainable = options.trainable ?? false;
    const numFeatures = config.numFeatures ?? 0;
    if (numFeatures > 0 && !options.features) throw new ContractError('bad_features', `the model embeds ${numFeatures} content features: its items' features are needed`);
    if (numFeatures === 0 && options.features) throw new ContractError('bad_features', 'the model embeds no content features, yet features were given');
    let layout: FeatureLayout | undefined;
    let itemCount = config.numItems;
    if (options.features) {
      itemCount = featureItemCount(options.features);
      if (itemCount < config.numItems) throw new ContractError('bad_features', `features describe ${itemCount} items, the model has ${config.numItems}`);
      const { offsets, values } = options.features;
      checkItemFeatures(options.features, itemCount, numFeatures);
      const owners = new Int32Array(values.length);
      const weights = new Float32Array(values.length);
      for (let i = 1; i <= itemCount; i++) {
        const n = offsets[i + 1]! - offsets[i]!;
        owners.fill(i, offsets[i], offsets[i + 1]);
        weights.fill(1 / n, offsets[i], offsets[i + 1]);
      }
      const mask = new Float32Array(itemCount + 1);
      mask.fill(1, 0, config.numItems + 1);
      for (const i of options.withoutId ?? []) if (Number.isInteger(i) && i >= 1 && i <= config.numItems) mask[i] = 0;
      const masked = mask.some((m) => m === 0);
      layout = { features: Int32Array.from(values), owners, weights: tf.tensor2d(weights, [values.length, 1]), ...(masked && { idMask: tf.tensor2d(mask, [itemCount + 1, 1]) }) };
    }
    const params = new Map<string, tf.Tensor>();
    for (const [name, w] of weights) {
      const t = tf.tensor(w.values, w.shape, 'float32');
      params.set(name, trainable ? tf.variable(t, true) : t);
      if (trainable) t.dispose();
    }
    const model = new SasRec(config, params, trainable, layout, itemCount);
    if (!trainable) {
      model.table = model.itemTable();
      model.tableT = tf.transpose(model.table) as tf.Tensor2D;
    }
    return model;
  }

  /**
   * Every item's vector, [itemCount + 1, dim] (row 0 is padding): its id row (none for an item after
   * `numItems` or in `withoutId`) plus the mean of its features' rows of `feat_emb`. An id-only model's
   * is `item_emb` itself. Trainable models compose it on each call, so gradients reach both tables;
   * `dropIds` (per item index, 1 = left out: ID dropout, DropoutNet) leaves out those items' id rows.
   */
  itemTable(options: { dropIds?: Float32Array } = {}): tf.Tensor2D {
    if (this.table) return this.table;
    const ids = this.param('item_emb') as tf.Tensor2D;
    const layout = this.layout;
    if (!layout) return ids;
    return tf.tidy(() => {
      const { dim, numItems } = this.config;
      const rows = this.itemCount + 1;
      let own = rows > numItems + 1 ? (tf.concat([ids, tf.zeros([rows - numItems - 1, dim])], 0) as tf.Tensor2D) : ids;
      if (layout.idMask) own = tf.mul(own, layout.idMask);
      // ID dropout (training): this step, these items are their features alone, as a new item is.
      if (options.dropIds) own = tf.mul(own, tf.tensor2d(options.dropIds.map((d) => 1 - d), [rows, 1]));
      if (layout.features.length === 0) return own;
      const pairs = tf.mul(gatherRows(this.param('feat_emb') as tf.Tensor2D, layout.features), layout.weights) as tf.Tensor2D;
      return tf.add(own, scatterRows(pairs, layout.owners, rows)) as tf.Tensor2D;
    });
  }

  /** Trainable variables by name, for optimizers and update computation. */
  get variables(): Map<string, tf.Variable> {
    if (!this.trainable) throw new Error('SasRec.variables: model was created without { trainable: true }');
    return this.params as Map<string, tf.Variable>;
  }

  /** Parameter tensor by name. */
  param(name: string): tf.Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`SasRec: no parameter "${name}"`);
    return t;
  }

  /** Copies the current weights to host memory. */
  async exportWeights(): Promise<NamedWeights> {
    const out: NamedWeights = new Map();
    for (const [name, t] of this.params) out.set(name, { shape: [...t.shape], values: (await t.data()) as Float32Array });
    return out;
  }

  /** Overwrites weights in place (trainable models only): how devices apply a downloaded delta. */
  assign(weights: NamedWeights): void {
    checkWeights(this.config, weights);
    for (const [name, v] of this.variables) tf.tidy(() => v.assign(tf.tensor(weights.get(name)!.values, v.shape)));
  }

  dispose(): void {
    // An id-only frozen model's table is its `item_emb` parameter, disposed with the rest.
    if (this.table && this.layout) this.table.dispose();
    this.table = undefined;
    this.tableT?.dispose();
    this.tableT = undefined;
    this.layout?.weights.dispose();
    this.layout?.idMask?.dispose();
    for (const t of this.params.values()) t.dispose();
    this.params.clear();
  }

  /**
   * Left-pads (with 0) or truncates histories of item indices into windows, keeping the most recent
   * `maxLen` items. Throws on an index outside 1..numItems rather than reading a wrong row.
   */
  window(histories: readonly (readonly number[])[]): Windows {
    const { maxLen } = this.config;
    const numItems = this.itemCount;
    let longest = 1;
    for (const h of histories) longest = Math.max(longest, h.length);
    const length = Math.min(maxLen, longest);
    const ids = new Int32Array(histories.length * length);
    histories.forEach((h, b) => {
      const recent = h.slice(-length);
      recent.forEach((item, j) => {
        if (!Number.isInteger(item) || item < 1 || item > numItems) {
          throw new ContractError('bad_history', `history item index ${item} is outside 1..${numItems}`);
        }
        ids[b * length + length - recent.length + j] = item;
      });
    });
    return { ids, batch: histories.length, length };
  }

  /**
   * Hidden states [batch, length, dim]. Positions are counted back from the newest item, so a window
   * shorter than `maxLen` uses the last `length` rows of the position table and scores exactly as the
   * same history padded to `maxLen`.
   */
  hidden(w: Windows, noise?: Noise, table: tf.Tensor2D = this.itemTable()): tf.Tensor3D {
    const { dim, maxLen, blocks } = this.config;
    const { ids, batch, length: L } = w;
    if (L < 1 || L > maxLen || ids.length !== batch * L) throw new Error(`SasRec.hidden: bad window ${batch}x${L} for maxLen ${maxLen}`);
    if ((w.segments || w.positions) && !(w.segments?.length === ids.length && w.positions?.length === ids.length)) {
      throw new Error('SasRec.hidden: a packed window needs segments and positions for every cell');
    }
    const drop = <T extends tf.Tensor>(x: T): T =>
      noise && noise.rate > 0 ? (tf.dropout(x, noise.rate, undefined, Math.floor(noise.random() * 2 ** 31)) as T) : x;
    const keep = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) keep[i] = ids[i] === 0 ? 0 : 1;
    const keepT = tf.tensor3d(keep, [batch, L, 1]);
    const bias = tf.tensor3d(this.attentionBias(w), [batch, L, L]);
    const positions = w.positions
      ? tf.reshape(gatherRows(this.param('pos_emb') as tf.Tensor2D, w.positions), [batch, L, dim])
      : L === maxLen
        ? this.param('pos_emb')
        : tf.slice(this.param('pos_emb'), [maxLen - L, 0], [L, dim]);

    let x = tf.reshape(gatherRows(table, ids), [batch, L, dim]) as tf.Tensor3D;
    x = tf.add(tf.mul(x, Math.sqrt(dim)), positions);
    x = tf.mul(drop(x), keepT);
    for (let b = 0; b < blocks; b++) {
      const p = `blocks.${b}`;
      const q = this.layerNorm(x, `${p}.attn_ln`);
      x = tf.add(q, drop(this.attention(q, x, bias, p, drop)));
      const f = this.layerNorm(x, `${p}.ffn_ln`);
      const inner = drop(tf.relu(this.dense(f, `${p}.ffn.w1`, `${p}.ffn.b1`)));
      x = tf.mul(tf.add(f, drop(this.dense(inner, `${p}.ffn.w2`, `${p}.ffn.b2`))), keepT);
    }
    return this.layerNorm(x, 'final_ln');
  }

  /** Scores of every item index (column 0 is padding) after the newest item of each window: [batch, itemCount+1]. */
  scoreWindows(w: Windows): tf.Tensor2D {
    const { dim } = this.config;
    const table = this.itemTable();
    const h = this.hidden(w, undefined, table);
    const last = tf.reshape(tf.slice(h, [0, w.length - 1, 0], [w.batch, 1, dim]), [w.batch, dim]) as tf.Tensor2D;
    if (this.trainable) return matMulT(last, table);
    return matMul(last, this.tableT!);
  }

  /** Scores for a batch of histories, read back to host memory: row-major [B, itemCount+1]. */
  async scoreBatch(histories: readonly (readonly number[])[]): Promise<Float32Array> {
    const windows = this.window(histories);
    const scores = tf.tidy(() => this.scoreWindows(windows));
    try {
      return (await scores.data()) as Float32Array;
    } finally {
      scores.dispose();
    }
  }

  /**
   * The top `k` item indices for one history, best first, never the padding row nor an index in
   * `exclude` (items bought, in the cart, out of stock, or the one on screen).
   */
  async recommend(history: readonly number[], k: number, exclude: Iterable<number> = []): Promise<Scored[]> {
    const scores = await this.scoreBatch([history]);
    scores[0] = -Infinity;
    for (const i of exclude) if (i >= 0 && i < scores.length) scores[i] = -Infinity;
    return topK(scores, k);
  }

  private dense(x: tf.Tensor3D, w: string, b: string): tf.Tensor3D {
    const [batch, len, inDim] = x.shape;
    const W = this.param(w) as tf.Tensor2D;
    const y = tf.add(matMul(tf.reshape(x, [batch * len, inDim]) as tf.Tensor2D, W), this.param(b));
    return tf.reshape(y, [batch, len, W.shape[1]]);
  }

  private layerNorm(x: tf.Tensor3D, name: string): tf.Tensor3D {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LN_EPS)));
    return tf.add(tf.mul(normed, this.param(`${name}.gamma`)), this.param(`${name}.beta`));
  }

  /** Causal self-attention with padded keys masked: queries from the normalised input, keys/values from the raw one. */
  private attention(
    q: tf.Tensor3D,
    kv: tf.Tensor3D,
    bias: tf.Tensor3D,
    p: string,
    drop: <T extends tf.Tensor>(x: T) => T,
  ): tf.Tensor3D {
    const { heads, dim } = this.config;
    const [batch, len] = q.shape;
    const dh = dim / heads;
    const split = (t: tf.Tensor3D): tf.Tensor3D =>
      heads === 1
        ? t
        : tf.reshape(tf.transpose(tf.reshape(t, [batch, len, heads, dh]), [0, 2, 1, 3]), [batch * heads, len, dh]);
    const Q = split(this.dense(q, `${p}.attn.wq`, `${p}.attn.bq`));
    const K = split(this.dense(kv, `${p}.attn.wk`, `${p}.attn.bk`));
    const V = split(this.dense(kv, `${p}.attn.wv`, `${p}.attn.bv`));
    const headBias = heads === 1 ? bias : tf.reshape(tf.tile(tf.expandDims(bias, 1), [1, heads, 1, 1]), [batch * heads, len, len]);
    const weights = drop(tf.softmax(tf.add(tf.div(matMulT(Q, K), Math.sqrt(dh)), headBias)));
    let out = matMul(weights as tf.Tensor3D, V);
    if (heads > 1) out = tf.reshape(tf.transpose(tf.reshape(out, [batch, heads, len, dh]), [0, 2, 1, 3]), [batch, len, dim]);
    return this.dense(out, `${p}.attn.wo`, `${p}.attn.bo`);
  }

  /**
   * Additive mask [batch, L, L]: position i may attend to j <= i whose item is not padding and, in a
   * packed row, that belongs to the same history.
   */
  private attentionBias({ ids, batch, length: L, segments }: Windows): Float32Array {
    const bias = new Float32Array(batch * L * L);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < L; i++) {
        const row = (b * L + i) * L;
        for (let j = 0; j < L; j++) {
          if (j > i || ids[b * L + j] === 0 || (segments && segments[b * L + j] !== segments[b * L + i])) bias[row + j] = MASKED;
        }
      }
    }
    return bias;
  }
}

/** Indices of the `k` largest finite scores, best first; ties go to the lower index, so results are deterministic. */
export function topK(scores: ArrayLike<number>, k: number): Scored[] {
  const best: Scored[] = [];
  if (k <= 0) return best;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    if (!(score > -Infinity)) continue;
    if (best.length === k && score <= best[k - 1]!.score) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && best[at - 1]!.score < score) at--;
    best.splice(at, 0, { index: i, score });
    if (best.length > k) best.pop();
  }
  return best;
}
