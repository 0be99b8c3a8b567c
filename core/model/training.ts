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
  noise?: Noise;
}

/**
 * Training needs tfjs' gradients registered, which tfjs-core does not do by itself; each platform's
 * backend setup does it (`model-export/tf-node.ts` in Node, the widget's trainer in the browser), so
 * inference-only bundles do not pay for them.
 *
 * Mean cross-entropy of the next item at every position that has one: the loss shared by central
 * training (CLI) and on-device fine-tuning (widget).
 */
export function nextItemLoss(model: SasRec, batch: Batch, options: LossOptions = {}): tf.Scalar {
  const { dim, numItems } = model.config;
  const rows: number[] = [];
  const targets: number[] = [];
  batch.targets.forEach((t, i) => {
    if (t > 0) {
      rows.push(i);
      targets.push(t);
    }
  });
  if (rows.length === 0) return tf.scalar(0);
  const table = model.param('item_emb') as tf.Tensor2D;
  const h = gatherRows(tf.reshape(model.hidden(batch.inputs, options.noise), [-1, dim]) as tf.Tensor2D, Int32Array.from(rows));
  const targetIdx = Int32Array.from(targets);
  const positive = tf.sum(tf.mul(h, gatherRows(table, targetIdx)), 1, true);
  let others: tf.Tensor2D;
  if (options.negatives) {
    const negs = options.negatives;
    // An accidental hit (a negative equal to the target) would push the target down against itself.
    // The mask is built on the backend: as a host array it was rows x negatives floats per step.
    const hits = tf.equal(tf.reshape(tf.tensor1d(targetIdx, 'int32'), [-1, 1]), tf.reshape(tf.tensor1d(negs, 'int32'), [1, -1]));
    const logits = matMulT(h, gatherRows(table, negs));
    others = tf.where(hits, tf.fill(logits.shape, MASKED), logits);
  } else {
    const pad = new Float32Array(numItems + 1);
    pad[0] = MASKED;
    const own = new Float32Array(rows.length * (numItems + 1));
    targets.forEach((t, r) => (own[r * (numItems + 1) + t] = MASKED));
    others = tf.add(tf.add(matMulT(h, table), tf.tensor1d(pad)), tf.tensor2d(own, [rows.length, numItems + 1]));
  }
  const logits = tf.concat([positive, others], 1);
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.reshape(positive, [-1])));
}

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
