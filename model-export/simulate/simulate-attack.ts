/**
 * The poisoning runs of `edge-recs simulate`: the item attackers push, their updates, and the server with
 * its defences off that the `attacked` figure is measured against.
 */
import * as tf from '@tensorflow/tfjs-core';
import { noiseStdDevs, type AggregationSettings } from '../../core/federated/aggregate.ts';
import { encodeUpdate } from '../../core/federated/codec.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { SasRec } from '../../core/model/sasrec.ts';
import type { NamedWeights } from '../../core/model/weights.ts';
import type { Dataset } from '../data/dataset.ts';

/** The item of median interaction count (ties: the lower index): neither a bestseller nor a never-seen item. */
export function medianPopularityItem(data: Dataset): number {
  const counts = new Int32Array(data.itemIds.length + 1);
  for (const s of data.sequences) for (const i of s) counts[i]!++;
  const order = [...Array(data.itemIds.length).keys()].map((i) => i + 1).sort((a, b) => counts[a]! - counts[b]! || a - b);
  return order[Math.floor(order.length / 2)]!;
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
export function poisonUpdate(config: ModelConfig, baseVersion: string, target: number, direction: Float32Array, scale: number, nonce: Uint8Array): Uint8Array {
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
export function undefendedSettings(s: AggregationSettings, numItems: number): AggregationSettings {
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
