import * as tf from '@tensorflow/tfjs-core';
import { gatherRows, matMulT, type Noise, type SasRec, type Windows } from './sasrec.ts';

const MASKED = -1e9;

/** Next-item training examples: windows of inputs and, per window position, the item that came next (0 = none). */
export interface Batch {
  inputs: Windows;
  targets: Int32Array;
}

export interface LossOptions {
  /**
   * Shared negative item indices for sampled softmax; omitted = full softmax over every item. Sampled
   * softmax with many negatives matches full softmax closely at a fraction of the cost on large
   * catalogs (Klenitskiy & Vasilev, "Turning Dross Into Gold Loss: is BERT4Rec really better than
   * SASRec?", RecSys 2023).
   */
  negatives?: Int32Array;
  /**
   * Per shared negative (same length as `negatives`), a constant added to its logit: the log-Q correction
   * of sampled softmax, −log(expected draws of the item), so that each drawn item stands for the items it
   * was drawn in place of and the sampled denominator estimates the full softmax's without bias (Bengio &
   * Senécal 2008; Yi et al., "Sampling-bias-corrected neural modeling", RecSys 2019). Needed wherever the
   * negatives are not drawn uniformly. Omitted: no correction.
   */
  negativeBias?: Float32Array;
  noise?: Noise;
  /**
   * Divide the summed loss by this instead of by the number of targets in the batch. Default: the
   * number of targets (a per-batch mean). The trainer passes the mean number of targets per batch of
   * the epoch, so that length-bucketed batches weigh every position alike, as random batches would;
   * with a per-batch mean a batch of two-item histories would weigh each position 25x more than a
   * batch of 50-item histories.
   */
  denominator?: number;
  /**
   * ID dropout (models with content features): per item index, 1 where this step leaves the item's id
   * row out, so the model also learns to rank and read items from their features alone (`SasRec.itemTable`),
   * in the histories and among the candidates alike; their id rows get no gradient that step. Not rescaled
   * by 1 / (1 - rate) as activation dropout is: the point is the vector a new item has, not a noisier id.
   */
  dropIds?: Float32Array;
}

/**
 * Training needs tfjs' gradients registered, which tfjs-core does not do by itself; each platform's
 * backend setup does it (`model-export/training/tf-node.ts` in Node, the widget's trainer in the browser), so
 * inference-only bundles do not pay for them.
 *
 * Mean cross-entropy of the next item at every position that has one: the loss shared by central
 * training (CLI) and on-device fine-tuning (widget).
 */
export function nextItemLoss(model: SasRec, batch: Batch, options: LossOptions = {}): tf.Scalar {
  const { dim } = model.config;
  const numItems = model.itemCount;
  const rows: number[] = [];
  const targets: number[] = [];
  batch.targets.forEach((t, i) => {
    if (t > 0) {
      rows.push(i);
      targets.push(t);
    }
  });
  if (rows.length === 0) return tf.scalar(0);
  // One item table for the inputs and the candidates: with content features it is composed per step.
  const table = model.itemTable({ dropIds: options.dropIds });
  const h = gatherRows(tf.reshape(model.hidden(batch.inputs, options.noise, table), [-1, dim]) as tf.Tensor2D, Int32Array.from(rows));
  const targetIdx = Int32Array.from(targets);
  const positive = tf.sum(tf.mul(h, gatherRows(table, targetIdx)), 1, true) as tf.Tensor2D;
  // Candidates: the shared negatives, or for full softmax every row of the table (index 0, the padding
  // row, and each position's own target are masked below).
  const candidates = options.negatives ?? allItems(numItems);
  const others = options.negatives ? matMulT(h, gatherRows(table, candidates)) : matMulT(h, table);
  const denominator = options.denominator ?? rows.length;
  const bias = options.negatives ? options.negativeBias : undefined;
  if (bias && bias.length !== candidates.length) throw new Error(`nextItemLoss: ${bias.length} negative biases for ${candidates.length} negatives`);
  return HOST_BACKENDS.has(tf.getBackend())
    ? hostCrossEntropy(positive, others, targetIdx, candidates, denominator, bias)
    : opsCrossEntropy(positive, others, targetIdx, candidates, denominator, bias);
}

function allItems(numItems: number): Int32Array {
  const all = new Int32Array(numItems + 1);
  for (let i = 0; i < all.length; i++) all[i] = i;
  return all;
}

/** Backends whose tensors live in host memory, where reading logits back costs a copy, not a GPU sync. */
const HOST_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * Cross-entropy of each row's positive logit ([rows, 1]) against its candidate logits ([rows,
 * candidates]), each candidate's logit plus its `bias` if given (`LossOptions.negativeBias`), summed and
 * divided by `denominator`, with a candidate masked where it is the row's own target (an accidental hit)
 * or the padding index 0.
 */
export type CrossEntropy = (positive: tf.Tensor2D, others: tf.Tensor2D, targets: Int32Array, candidates: Int32Array, denominator: number, bias?: Float32Array) => tf.Scalar;

/** `CrossEntropy` in tfjs ops: the portable reference, used on GPU backends. */
export const opsCrossEntropy: CrossEntropy = (positive, others, targets, candidates, denominator, bias) => {
  // The mask is built on the backend: as a host array it was rows x candidates floats per step.
  const t = tf.reshape(tf.tensor1d(targets, 'int32'), [-1, 1]);
  const c = tf.reshape(tf.tensor1d(candidates, 'int32'), [1, -1]);
  const masked = tf.logicalOr(tf.equal(t, c), tf.equal(c, 0));
  const shifted = bias ? tf.add(others, tf.tensor2d(bias, [1, bias.length])) : others;
  const logits = tf.concat([positive, tf.where(masked, tf.fill(others.shape, MASKED), shifted)], 1);
  return tf.div(tf.sum(tf.sub(tf.logSumExp(logits, 1), tf.reshape(positive, [-1]))), denominator);
};

/**
 * The same loss as `opsCrossEntropy`, fused into two passes over host memory with its gradient computed
 * on the way (softmax minus one-hot). On WASM the op-by-op version costs ~10 elementwise passes of
 * rows x candidates floats forward and as many backward (measured: ~1.6 s for 6400 x 2048 per step,
 * over half of a Beauty epoch); this one costs two.
 */
export const hostCrossEntropy: CrossEntropy = (positive, others, targets, candidates, denominator, bias) => {
  const op = tf.customGrad((pos, oth, save) => {
    const R = targets.length;
    const N = candidates.length;
    const p = (pos as tf.Tensor).dataSync() as Float32Array;
    const read = (oth as tf.Tensor).dataSync() as Float32Array;
    // The biased logits, one pass: the loops below read them as they are (a WASM read is a fresh copy).
    const o = bias ? (tf.getBackend() === 'wasm' ? read : read.slice()) : read;
    if (bias) for (let r = 0, at = 0; r < R; r++) for (let j = 0; j < N; j++, at++) o[at]! += bias[j]!;
    const gPos = new Float32Array(R);
    const gOth = new Float32Array(R * N);
    let total = 0;
    // Rows whose target is not a candidate (and candidates without the padding index, i.e. sampled
    // negatives: most rows) need no mask: their loops skip the per-candidate test. Same arithmetic.
    const candidateSet = new Set(candidates);
    const unmaskable = !candidateSet.has(0);
    for (let r = 0; r < R; r++) {
      const target = targets[r]!;
      const base = r * N;
      const plain = unmaskable && !candidateSet.has(target);
      let max = p[r]!;
      if (plain) {
        for (let j = 0; j < N; j++) if (o[base + j]! > max) max = o[base + j]!;
      } else {
        for (let j = 0; j < N; j++) {
          const item = candidates[j]!;
          if (item !== target && item !== 0 && o[base + j]! > max) max = o[base + j]!;
        }
      }
      const ePos = Math.exp(p[r]! - max);
      let sum = ePos;
      for (let j = 0; j < N; j++) {
        if (!plain && (candidates[j] === target || candidates[j] === 0)) continue;
        const e = Math.exp(o[base + j]! - max);
        gOth[base + j] = e;
        sum += e;
      }
      total += Math.log(sum) + max - p[r]!;
      const scale = 1 / (sum * denominator);
      for (let j = 0; j < N; j++) gOth[base + j]! *= scale;
      gPos[r] = ePos * scale - 1 / denominator;
    }
    const grads = [tf.tensor2d(gPos, [R, 1]), tf.tensor2d(gOth, [R, N])];
    (save as tf.GradSaveFunc)(grads);
    return {
      value: tf.scalar(total / denominator),
      gradFunc: (dy, saved) => saved.map((g) => tf.mul(g, dy)),
    };
  });
  return op(positive, others) as tf.Scalar;
};

/**
 * Builds next-item windows from sequences of item indices: input s[0..n-2], target s[1..n-1],
 * right-aligned, as long as the longest sequence in the batch needs (at most `maxLen`).
 */
export function nextItemBatch(sequences: readonly (readonly number[])[], maxLen: number): Batch {
  let longest = 1;
  for (const s of sequences) longest = Math.max(longest, s.length - 1);
  const L = Math.min(maxLen, longest);
  const ids = new Int32Array(sequences.length * L);
  const targets = new Int32Array(sequences.length * L);
  sequences.forEach((seq, b) => {
    const n = Math.max(0, Math.min(seq.length - 1, L));
    for (let j = 0; j < n; j++) {
      const src = seq.length - 1 - n + j;
      ids[b * L + L - n + j] = seq[src]!;
      targets[b * L + L - n + j] = seq[src + 1]!;
    }
  });
  return { inputs: { ids, batch: sequences.length, length: L }, targets };
}

/**
 * The same next-item examples as `nextItemBatch`, several histories packed into each row: histories are
 * placed longest first into the first row with room (first-fit decreasing), each keeps its positions
 * (counted back from its newest item) and attends only within itself, so every hidden state equals the
 * one its own window would give. A batch of randomly drawn histories then costs about its number of
 * items, not its count times the longest one; batching by length instead saves the same compute but
 * makes every step see one kind of history, which trains worse (measured on Beauty: validation
 * NDCG@10 after 2 epochs 0.033 with random histories, 0.024 bucketed by length).
 */
export function packedBatch(sequences: readonly (readonly number[])[], maxLen: number): Batch {
  const pieces = sequences
    .map((seq) => seq.slice(-(maxLen + 1)))
    .filter((seq) => seq.length >= 2)
    .sort((a, b) => b.length - a.length);
  const rows: (readonly number[])[][] = [];
  const fill: number[] = [];
  for (const piece of pieces) {
    const need = piece.length - 1;
    let r = fill.findIndex((used) => used + need <= maxLen);
    if (r < 0) {
      r = rows.length;
      rows.push([]);
      fill.push(0);
    }
    rows[r]!.push(piece);
    fill[r]! += need;
  }
  const L = Math.max(1, ...fill);
  const batch = Math.max(1, rows.length);
  const ids = new Int32Array(batch * L);
  const targets = new Int32Array(batch * L);
  const segments = new Int32Array(batch * L);
  const positions = new Int32Array(batch * L);
  rows.forEach((row, b) => {
    let at = b * L + L - fill[b]!; // left padding, then the histories back to back
    row.forEach((piece, s) => {
      const n = piece.length - 1;
      for (let j = 0; j < n; j++, at++) {
        ids[at] = piece[j]!;
        targets[at] = piece[j + 1]!;
        segments[at] = s + 1;
        positions[at] = maxLen - n + j;
      }
    });
  });
  return { inputs: { ids, batch, length: L, segments, positions }, targets };
}
