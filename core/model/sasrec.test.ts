import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ContractError } from '../errors.ts';
import type { ModelConfig } from './config.ts';
import { SasRec, topK, type Scored, type Windows } from './sasrec.ts';
import { initWeights, type NamedWeights } from './weights.ts';

const config: ModelConfig = { numItems: 50, dim: 8, blocks: 1, heads: 2, maxLen: 6 };

/** Weights from `initWeights` scaled up, so that histories change scores by more than float noise. */
function weights(seed: number, edit?: (w: NamedWeights) => void): NamedWeights {
  const w = initWeights(config, seed);
  for (const [name, t] of w) if (t.shape.length === 2) t.values.forEach((v, i) => (t.values[i] = v * 20));
  edit?.(w);
  return w;
}

let model: SasRec;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  model = SasRec.fromWeights(config, weights(3));
});

afterAll(() => model.dispose());

function reference(scores: number[], k: number): Scored[] {
  return scores
    .map((score, index) => ({ index, score }))
    .filter((s) => s.score > -Infinity)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Scores of real items only (column 0, the padding row, dropped) for row `b` of a batch result. */
function row(scores: Float32Array, b: number): Float32Array {
  const width = config.numItems + 1;
  return scores.slice(b * width + 1, (b + 1) * width);
}

describe('topK', () => {
  it('returns the same items as a full sort, best first, for every k', () => {
    let s = 5;
    const scores = Array.from({ length: 300 }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s % 40) - 20; // many ties
    });
    for (const k of [1, 2, 7, 40, 299, 300, 500]) expect(topK(scores, k), `k=${k}`).toEqual(reference(scores, k));
  });

  it('breaks ties by the lower index', () => {
    expect(topK([1, 5, 3, 5, 5, 3], 4)).toEqual([
      { index: 1, score: 5 },
      { index: 3, score: 5 },
      { index: 4, score: 5 },
      { index: 2, score: 3 },
    ]);
    expect(topK([2, 2, 2, 2], 2).map((s) => s.index)).toEqual([0, 1]);
  });

  it('skips -Infinity (and NaN) scores even when fewer than k items remain', () => {
    expect(topK([-Infinity, 1, -Infinity, 0.5, NaN, -1e30], 10)).toEqual([
      { index: 1, score: 1 },
      { index: 3, score: 0.5 },
      { index: 5, score: -1e30 },
    ]);
    expect(topK(new Float32Array([-Infinity, -Infinity]), 3)).toEqual([]);
  });

  it('returns nothing for k = 0', () => {
    expect(topK([3, 1, 2], 0)).toEqual([]);
  });
});

describe('SasRec.window', () => {
  it('left-pads short histories with 0 and keeps the most recent maxLen items of long ones', () => {
    const w = model.window([[7, 8], [1, 2, 3, 4, 5, 6, 7, 8, 9], [], [4, 5, 6, 7, 8, 9]]);
    expectTypeOf(w).toEqualTypeOf<Windows>();
    expect(w.batch).toBe(4);
    expect(w.length).toBe(6);
    expect([...w.ids]).toEqual([
      ...[0, 0, 0, 0, 7, 8],
      ...[4, 5, 6, 7, 8, 9],
      ...[0, 0, 0, 0, 0, 0],
      ...[4, 5, 6, 7, 8, 9],
    ]);
  });

  it('makes windows as long as the longest history in the batch, capped at maxLen', () => {
    expect(model.window([[7, 8]])).toEqual({ ids: Int32Array.of(7, 8), batch: 1, length: 2 });
    expect(model.window([[7, 8], [1, 2, 3]])).toEqual({ ids: Int32Array.of(0, 7, 8, 1, 2, 3), batch: 2, length: 3 });
    expect(model.window([[1, 2, 3], [7, 8]])).toEqual({ ids: Int32Array.of(1, 2, 3, 0, 7, 8), batch: 2, length: 3 });
    expect(model.window([[1, 2, 3, 4, 5, 6, 7]]).length).toBe(6);
    expect(model.window([[]])).toEqual({ ids: Int32Array.of(0), batch: 1, length: 1 });
  });

  it.each([0, -1, 51, 2.5, NaN])('refuses the item index %s with a bad_history error', (item) => {
    let err: unknown;
    try {
      model.window([[1, item]]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).code).toBe('bad_history');
    expect((err as ContractError).message).toContain('1..50');
  });

  it('does not check items older than the window, which it drops', () => {
    expect([...model.window([[999, 1, 2, 3, 4, 5, 6]]).ids]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('SasRec scoring', () => {
  it('scores a history longer than maxLen the same as its last maxLen items', async () => {
    const long = [9, 10, 11, 12, 13, 14, 15, 16, 17];
    const full = row(await model.scoreBatch([long]), 0);

    expect(full).toEqual(row(await model.scoreBatch([long.slice(-6)]), 0));
    // ...and differently from a shorter suffix, so the comparison above can fail.
    expect(maxAbsDiff(full, row(await model.scoreBatch([long.slice(-5)]), 0))).toBeGreaterThan(1e-3);
  });

  it('scores a window shorter than maxLen the same as the same history padded to maxLen', async () => {
    const score = async (ids: number[], length: number): Promise<Float32Array> => {
      const t = tf.tidy(() => model.scoreWindows({ ids: Int32Array.from(ids), batch: 1, length }));
      const out = (await t.data()) as Float32Array;
      t.dispose();
      return out;
    };
    const short = await score([7, 8], 2);
    expect(maxAbsDiff(short, await score([0, 0, 0, 0, 7, 8], 6))).toBeLessThan(1e-5);
    expect(maxAbsDiff(short, await score([0, 0, 7, 8], 4))).toBeLessThan(1e-5);
    expect(maxAbsDiff(short, await score([0, 0, 0, 7, 8, 9], 6))).toBeGreaterThan(1e-3);
  });

  it('scores a history the same alone as in a batch with histories of other lengths', async () => {
    const h = [3, 14, 15, 9];
    const alone = await model.scoreBatch([h]);
    const batched = await model.scoreBatch([[1], [2, 7, 1, 8, 2, 8, 1, 8], h, [], [26, 5]]);

    expect(maxAbsDiff(row(alone, 0), row(batched, 2))).toBeLessThan(1e-5);
    expect(maxAbsDiff(row(await model.scoreBatch([[2, 7, 1, 8, 2, 8, 1, 8]]), 0), row(batched, 1))).toBeLessThan(1e-5);
    expect(maxAbsDiff(row(await model.scoreBatch([[26, 5]]), 0), row(batched, 4))).toBeLessThan(1e-5);
    expect(maxAbsDiff(row(batched, 2), row(batched, 4))).toBeGreaterThan(1e-3);
  });

  it('ignores the padding row of the item table and the position embeddings of padded positions', async () => {
    const noisy = SasRec.fromWeights(
      config,
      weights(3, (w) => {
        w.get('item_emb')!.values.fill(5, 0, config.dim); // padding row
        w.get('pos_emb')!.values.fill(-7, 0, 4 * config.dim); // positions 0..3: padding for a 2-item history
      }),
    );
    try {
      // Batched with a full-length history, [21, 22] is padded at positions 0..3.
      const histories = [[21, 22], [1, 2, 3, 4, 5, 6]];
      const base = await model.scoreBatch(histories);
      const changed = await noisy.scoreBatch(histories);
      expect(maxAbsDiff(row(base, 0), row(changed, 0))).toBeLessThan(1e-5);
      // The full-length history reads the edited position embeddings, so the test can fail.
      expect(maxAbsDiff(row(base, 1), row(changed, 1))).toBeGreaterThan(1e-3);
    } finally {
      noisy.dispose();
    }
  });

  it('makes each position\'s hidden state depend only on itself and earlier positions (causal attention)', async () => {
    const at = (ids: number[]): Windows => ({ ids: Int32Array.from(ids), batch: 1, length: 6 });
    const [ha, hb] = tf.tidy(() => [model.hidden(at([0, 0, 5, 6, 7, 8])), model.hidden(at([0, 0, 5, 6, 7, 40]))]);
    const [va, vb] = [await ha!.data(), await hb!.data()];
    ha!.dispose();
    hb!.dispose();
    const d = config.dim;

    expect(va.length).toBe(6 * d);
    for (const p of [2, 3, 4]) expect(maxAbsDiff(va.slice(p * d, (p + 1) * d), vb.slice(p * d, (p + 1) * d)), `position ${p}`).toBeLessThan(1e-5);
    expect(maxAbsDiff(va.slice(5 * d), vb.slice(5 * d))).toBeGreaterThan(1e-3);
  });

  it('refuses a window longer than maxLen or whose ids do not fill batch x length', () => {
    expect(() => model.hidden({ ids: new Int32Array(7), batch: 1, length: 7 })).toThrow(/bad window/);
    expect(() => model.hidden({ ids: new Int32Array(5), batch: 2, length: 3 })).toThrow(/bad window/);
  });

  it('changes the scores when an earlier item of the window changes', async () => {
    const scores = await model.scoreBatch([
      [5, 6, 7, 8],
      [30, 6, 7, 8],
    ]);
    expect(maxAbsDiff(row(scores, 0), row(scores, 1))).toBeGreaterThan(1e-3);
  });

  it('scores the same on a trainable and a frozen copy of the same weights', async () => {
    const trainable = SasRec.fromWeights(config, weights(3), { trainable: true });
    try {
      const h = [[4, 8, 15, 16, 23, 42], [1]];
      expect(maxAbsDiff(await model.scoreBatch(h), await trainable.scoreBatch(h))).toBeLessThan(1e-5);
    } finally {
      trainable.dispose();
    }
  });
});

describe('SasRec.recommend', () => {
  it('returns the top items of scoreBatch, never the padding index', async () => {
    const h = [1, 2, 3];
    const scores = await model.scoreBatch([h]);
    const recs = await model.recommend(h, 100);

    expect(recs).toHaveLength(50);
    expect(recs.map((r) => r.index)).not.toContain(0);
    const expected = reference([...scores].map((s, i) => (i === 0 ? -Infinity : s)), 10);
    expect(recs.slice(0, 10).map((r) => r.index)).toEqual(expected.map((r) => r.index));
  });

  it('never returns the padding index even when it scores best', async () => {
    const h = [10, 11];
    const scores = await model.scoreBatch([h]);
    const best = [...scores].indexOf(Math.max(...scores.slice(1)));
    expect(scores[best]).toBeGreaterThan(0);
    // Padding row = 100 x the best item's row: the hidden state ignores the padding row, so padding now
    // scores 100 times the best item.
    const padFirst = SasRec.fromWeights(
      config,
      weights(3, (w) => {
        const e = w.get('item_emb')!.values;
        for (let c = 0; c < config.dim; c++) e[c] = e[best * config.dim + c]! * 100;
      }),
    );
    try {
      const s2 = await padFirst.scoreBatch([h]);
      expect(s2[0]).toBeGreaterThan(Math.max(...s2.slice(1)));
      const recs = await padFirst.recommend(h, 5);
      expect(recs).toHaveLength(5);
      expect(recs.map((r) => r.index)).not.toContain(0);
      expect(recs[0]!.index).toBe(best);
    } finally {
      padFirst.dispose();
    }
  });

  it('never returns an excluded index and ignores excluded indices outside the catalog', async () => {
    const h = [1, 2, 3];
    const top = await model.recommend(h, 5);
    const exclude = new Set([top[0]!.index, top[2]!.index, -1, 0, 51, 1000]);
    const recs = await model.recommend(h, 100, exclude);

    expect(recs).toHaveLength(48);
    for (const r of recs) expect(exclude.has(r.index)).toBe(false);
    expect(recs[0]!.index).toBe(top[1]!.index);
    expect(recs[1]!.index).toBe(top[3]!.index);
  });

  it('leaves the number of live tensors unchanged', async () => {
    await model.recommend([1, 2], 5); // first call may register kernels
    const before = tf.memory().numTensors;
    await model.recommend([1, 2, 3, 4, 5, 6, 7, 8], 10, [4]);
    await model.scoreBatch([[1], [2, 3]]);
    await model.recommend([], 3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('releases every tensor it created on dispose', () => {
    const before = tf.memory().numTensors;
    const m = SasRec.fromWeights(config, weights(4));
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
