import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Gradients are registered by the Node backend setup, as in the CLI.
import { useTestBackend } from '../../test/support/tf-backend.ts';
import type { ModelConfig } from './config.ts';
import { SasRec } from './sasrec.ts';
import { hostCrossEntropy, nextItemBatch, nextItemLoss, opsCrossEntropy, packedBatch, type Batch } from './training.ts';
import { initWeights } from './weights.ts';

const config: ModelConfig = { numItems: 12, dim: 8, blocks: 1, heads: 2, maxLen: 5 };

/** Weights from `initWeights` scaled up, so logits are far from uniform and the reference check means something. */
function model(seed: number, trainable = false): SasRec {
  const w = initWeights(config, seed);
  for (const t of w.values()) if (t.shape.length === 2) t.values.forEach((v, i) => (t.values[i] = v * 25));
  return SasRec.fromWeights(config, w, { trainable });
}

let frozen: SasRec;

beforeAll(async () => {
  await useTestBackend('cpu');
  frozen = model(5);
});

afterAll(() => frozen.dispose());

async function value(fn: () => tf.Scalar): Promise<number> {
  const t = tf.tidy(fn);
  const v = (await t.data())[0]!;
  t.dispose();
  return v;
}

/** Mean next-item cross-entropy over all items 1..numItems, from the model's hidden states, in plain JS. */
async function referenceLoss(m: SasRec, batch: Batch): Promise<number> {
  const h = tf.tidy(() => m.hidden(batch.inputs));
  const hidden = await h.data();
  h.dispose();
  const table = await m.param('item_emb').data();
  const { dim, numItems } = config;
  let sum = 0;
  let count = 0;
  batch.targets.forEach((target, pos) => {
    if (target === 0) return;
    const logits: number[] = [];
    for (let item = 1; item <= numItems; item++) {
      let dot = 0;
      for (let c = 0; c < dim; c++) dot += hidden[pos * dim + c]! * table[item * dim + c]!;
      logits.push(dot);
    }
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
    sum += lse - logits[target - 1]!;
    count++;
  });
  return sum / count;
}

describe('nextItemBatch', () => {
  it('right-aligns inputs s[0..n-2] and their next items s[1..n-1], keeping the most recent maxLen', () => {
    const batch = nextItemBatch(
      [
        [1, 2, 3],
        [4, 5, 6, 7, 8, 9, 10, 11],
        [12],
      ],
      4,
    );
    expect(batch.inputs.batch).toBe(3);
    expect(batch.inputs.length).toBe(4);
    expect([...batch.inputs.ids]).toEqual([...[0, 0, 1, 2], ...[7, 8, 9, 10], ...[0, 0, 0, 0]]);
    expect([...batch.targets]).toEqual([...[0, 0, 2, 3], ...[8, 9, 10, 11], ...[0, 0, 0, 0]]);
  });

  it('makes windows as long as the longest sequence needs, at most maxLen', () => {
    const short = nextItemBatch([[1, 2, 3], [4, 5]], 10);
    expect(short.inputs.length).toBe(2);
    expect([...short.inputs.ids]).toEqual([1, 2, 0, 4]);
    expect([...short.targets]).toEqual([2, 3, 0, 5]);
    expect(nextItemBatch([[4, 5], [1, 2, 3]], 10).inputs.length).toBe(2);
    expect(nextItemBatch([[1]], 10).inputs).toEqual({ ids: Int32Array.of(0), batch: 1, length: 1 });
  });
});

describe('packedBatch', () => {
  const sequences = [
    [1, 2, 3, 4, 5, 6, 7, 8],
    [7, 9],
    [9, 10, 11],
    [12, 3, 5, 1],
    [6],
    [2, 4],
  ];

  it('packs histories longest first into as few rows as fit, each with its own segment and positions', () => {
    const b = packedBatch(sequences, config.maxLen);
    // Pieces (inputs): 5 (the last maxLen + 1 items), 3, 2, 1, 1; [6] has no target.
    expect(b.inputs.batch).toBe(3);
    expect(b.inputs.length).toBe(5);
    const rows = [0, 1, 2].map((r) => [...b.inputs.ids.slice(r * 5, r * 5 + 5)]);
    expect(rows).toEqual([
      [3, 4, 5, 6, 7],
      [12, 3, 5, 9, 10],
      [0, 0, 0, 7, 2],
    ]);
    expect([...b.targets.slice(5, 10)]).toEqual([3, 5, 1, 10, 11]);
    expect([...b.inputs.segments!.slice(5, 10)]).toEqual([1, 1, 1, 2, 2]);
    expect([...b.inputs.positions!.slice(5, 10)]).toEqual([2, 3, 4, 3, 4]);
  });

  it('gives every target the hidden state and loss its own unpacked window gives', async () => {
    const packed = packedBatch(sequences, config.maxLen);
    const plain = nextItemBatch(sequences, config.maxLen);
    const states = async (batch: Batch): Promise<Map<string, number[]>> => {
      const h = tf.tidy(() => frozen.hidden(batch.inputs));
      const data = await h.data();
      h.dispose();
      const out = new Map<string, number[]>();
      // (input, target) pairs are unique in these sequences.
      batch.targets.forEach((t, i) => {
        if (t > 0) out.set(`${batch.inputs.ids[i]}>${t}`, [...data.slice(i * config.dim, (i + 1) * config.dim)]);
      });
      return out;
    };
    const [a, b] = [await states(packed), await states(plain)];
    expect(a.size).toBe(b.size);
    expect(a.size).toBe(12);
    for (const [key, h] of b) h.forEach((v, c) => expect(a.get(key)![c]!, key).toBeCloseTo(v, 4));
    expect(await value(() => nextItemLoss(frozen, packed))).toBeCloseTo(await value(() => nextItemLoss(frozen, plain)), 4);
  });
});

describe('nextItemLoss', () => {
  const sequences = [
    [1, 2, 3, 4, 5, 6],
    [7, 8],
    [9, 10, 11],
    [12, 3, 5, 1],
  ];

  it('equals the cross-entropy of the next item over all items, averaged over positions with a target', async () => {
    const batch = nextItemBatch(sequences, config.maxLen);
    const expected = await referenceLoss(frozen, batch);
    const loss = await value(() => nextItemLoss(frozen, batch));

    expect(expected).toBeGreaterThan(0.1);
    expect(Math.abs(expected - Math.log(config.numItems))).toBeGreaterThan(0.1); // not the uniform loss
    expect(loss).toBeCloseTo(expected, 4);
  });

  it('is 0 for a batch without any target', async () => {
    expect(await value(() => nextItemLoss(frozen, nextItemBatch([[3], [4]], config.maxLen)))).toBe(0);
  });

  it('equals full softmax when the sampled negatives are every item', async () => {
    const batch = nextItemBatch(sequences, config.maxLen);
    const all = Int32Array.from({ length: config.numItems }, (_, i) => i + 1);
    const full = await value(() => nextItemLoss(frozen, batch));
    expect(await value(() => nextItemLoss(frozen, batch, { negatives: all }))).toBeCloseTo(full, 4);
  });

  it('masks a sampled negative equal to the target (an accidental hit)', async () => {
    const batch = nextItemBatch([[4, 9]], config.maxLen); // one position, target 9
    const clean = await value(() => nextItemLoss(frozen, batch, { negatives: Int32Array.of(2, 5, 11) }));
    const hit = await value(() => nextItemLoss(frozen, batch, { negatives: Int32Array.of(2, 9, 5, 11) }));
    const other = await value(() => nextItemLoss(frozen, batch, { negatives: Int32Array.of(2, 7, 5, 11) }));

    expect(hit).toBeCloseTo(clean, 5);
    // A real extra negative does change the loss, so the equality above is not vacuous.
    expect(other - clean).toBeGreaterThan(1e-4);
  });

  it('masks accidental hits per position: a negative is a hit only where it is that position\'s target', async () => {
    const batch = nextItemBatch([[4, 9, 2]], config.maxLen); // targets 9 then 2
    const negatives = Int32Array.of(9, 2, 6);
    const loss = await value(() => nextItemLoss(frozen, batch, { negatives }));
    // Reference: position 1 competes with {2, 6}, position 2 with {9, 6}.
    const h = tf.tidy(() => frozen.hidden(batch.inputs));
    const hidden = await h.data();
    h.dispose();
    const table = await frozen.param('item_emb').data();
    const d = config.dim;
    const L = batch.inputs.length;
    const dot = (pos: number, item: number): number => {
      let s = 0;
      for (let c = 0; c < d; c++) s += hidden[pos * d + c]! * table[item * d + c]!;
      return s;
    };
    const ce = (pos: number, target: number, others: number[]): number =>
      Math.log([target, ...others].reduce((a, i) => a + Math.exp(dot(pos, i)), 0)) - dot(pos, target);
    const expected = (ce(L - 2, 9, [2, 6]) + ce(L - 1, 2, [9, 6])) / 2;
    expect(loss).toBeCloseTo(expected, 4);
  });
});

describe('cross-entropy kernels', () => {
  // Rows 0-2 with targets 3, 5, 3; candidate 0 (padding) and each row's own target must be masked.
  const targets = Int32Array.of(3, 5, 3);
  const candidates = Int32Array.of(0, 3, 7, 5, 9);
  const inputs = (): [tf.Tensor2D, tf.Tensor2D] => [
    tf.tensor2d([[1.5], [-0.5], [4]]),
    tf.tensor2d([
      [9, 2, 0.5, -1, 3],
      [9, 1, 2.5, 7, -2],
      [9, -3, 1, 0, 6],
    ]),
  ];

  it('fuse to the same loss and gradients on host memory as the op-by-op version, masking padding and accidental hits', () => {
    const [pos, oth] = inputs();
    const run = (kernel: typeof opsCrossEntropy) =>
      tf.tidy(() => {
        const f = (p: tf.Tensor, o: tf.Tensor) => kernel(p as tf.Tensor2D, o as tf.Tensor2D, targets, candidates, 2);
        const { value, grads } = tf.valueAndGrads(f)([pos, oth]);
        return [value.dataSync()[0]!, Array.from(grads[0]!.dataSync()), Array.from(grads[1]!.dataSync())] as const;
      });
    const [opsLoss, opsPos, opsOth] = run(opsCrossEntropy);
    const [hostLoss, hostPos, hostOth] = run(hostCrossEntropy);
    // Row 0 competes with 7, 5, 9 (not 0, not its target 3): the loss is checked by hand as well.
    const lse = (xs: number[]) => Math.log(xs.reduce((a, x) => a + Math.exp(x), 0));
    const expected = (lse([1.5, 0.5, -1, 3]) - 1.5 + lse([-0.5, 1, 2.5, -2]) + 0.5 + lse([4, 1, 0, 6]) - 4) / 2;
    expect(opsLoss).toBeCloseTo(expected, 5);
    expect(hostLoss).toBeCloseTo(expected, 5);
    hostPos.forEach((g, i) => expect(g).toBeCloseTo(opsPos[i]!, 6));
    hostOth.forEach((g, i) => expect(g).toBeCloseTo(opsOth[i]!, 6));
    // Masked candidates get no gradient; the others do.
    expect(hostOth[0]).toBe(0); // row 0, padding
    expect(hostOth[1]).toBe(0); // row 0, its own target 3
    expect(hostOth[2]).toBeGreaterThan(0);
    tf.dispose([pos, oth]);
  });

  it('add each candidate\'s bias (the log-Q correction) to its logit in both versions, the gradients unchanged in form', () => {
    const [pos, oth] = inputs();
    const bias = Float32Array.of(0.3, -1, 2, 0.5, -0.25);
    const run = (kernel: typeof opsCrossEntropy) =>
      tf.tidy(() => {
        const f = (p: tf.Tensor, o: tf.Tensor) => kernel(p as tf.Tensor2D, o as tf.Tensor2D, targets, candidates, 3, bias);
        const { value, grads } = tf.valueAndGrads(f)([pos, oth]);
        return [value.dataSync()[0]!, Array.from(grads[0]!.dataSync()), Array.from(grads[1]!.dataSync())] as const;
      });
    const [opsLoss, opsPos, opsOth] = run(opsCrossEntropy);
    const [hostLoss, hostPos, hostOth] = run(hostCrossEntropy);
    const lse = (xs: number[]) => Math.log(xs.reduce((a, x) => a + Math.exp(x), 0));
    // Row 0 competes with candidates 7, 5, 9 (logits 0.5, -1, 3), each plus its bias (2, 0.5, -0.25).
    const expected = (lse([1.5, 0.5 + 2, -1 + 0.5, 3 - 0.25]) - 1.5 + lse([-0.5, 1 - 1, 2.5 + 2, -2 - 0.25]) + 0.5 + lse([4, 1 + 2, 0 + 0.5, 6 - 0.25]) - 4) / 3;
    expect(opsLoss).toBeCloseTo(expected, 5);
    expect(hostLoss).toBeCloseTo(expected, 5);
    hostPos.forEach((g, i) => expect(g).toBeCloseTo(opsPos[i]!, 6));
    hostOth.forEach((g, i) => expect(g).toBeCloseTo(opsOth[i]!, 6));
    // The input logits are left as they were (the host version shifts a copy).
    expect(Array.from(oth.dataSync()).slice(0, 5)).toEqual([9, 2, 0.5, -1, 3]);
    tf.dispose([pos, oth]);
  });
});

describe('training with Adam', () => {
  it('reduces the loss on a small repeated-sequence dataset, without leaking tensors per step', async () => {
    const m = model(9, true);
    const optimizer = tf.train.adam(0.01);
    const sequences = Array.from({ length: 8 }, (_, i) => (i % 2 ? [1, 2, 3, 4, 5, 6] : [7, 8, 9, 10, 11, 12]));
    const batch = nextItemBatch(sequences, config.maxLen);
    try {
      const before = await value(() => nextItemLoss(m, batch));
      let counts: number[] = [];
      for (let step = 0; step < 40; step++) {
        const loss = optimizer.minimize(() => nextItemLoss(m, batch, { negatives: step % 2 ? Int32Array.of(1, 5, 9) : undefined }), true);
        loss!.dispose();
        counts.push(tf.memory().numTensors);
      }
      const after = await value(() => nextItemLoss(m, batch));

      expect(before).toBeGreaterThan(1);
      expect(after).toBeLessThan(before / 2);
      // Adam creates its slots on the first step; later steps must not add tensors.
      counts = counts.slice(2);
      expect(new Set(counts).size).toBe(1);
    } finally {
      optimizer.dispose();
      m.dispose();
    }
  });

  it('changes scores in the direction of the training data', async () => {
    const m = model(9, true);
    const optimizer = tf.train.adam(0.02);
    const batch = nextItemBatch(Array.from({ length: 6 }, () => [3, 8, 1, 11]), config.maxLen);
    try {
      for (let step = 0; step < 30; step++) optimizer.minimize(() => nextItemLoss(m, batch), false);
      const recs = await m.recommend([3, 8, 1], 1);
      expect(recs[0]!.index).toBe(11);
      expect((await m.recommend([3, 8], 1))[0]!.index).toBe(1);
    } finally {
      optimizer.dispose();
      m.dispose();
    }
  });
});
