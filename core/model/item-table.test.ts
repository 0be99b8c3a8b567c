/**
 * Items made of an id row and content features (`SasRec.itemTable`, `features.ts`): the composed vector,
 * items after `numItems` that have only features (products new since training), items whose id row is
 * not used (held out), gradients that reach `feat_emb`, and an id-only model unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/support/tf-backend.ts';
import { ContractError } from '../errors.ts';
import type { ModelConfig } from './config.ts';
import { paramShapes, parseModelConfig } from './config.ts';
import { buildItemFeatures, type ItemFeatures } from './features.ts';
import { SasRec } from './sasrec.ts';
import { nextItemBatch, nextItemLoss } from './training.ts';
import { initWeights, type NamedWeights } from './weights.ts';

const config: ModelConfig = { numItems: 4, dim: 4, blocks: 1, heads: 1, maxLen: 4, numFeatures: 3 };

/** Items 1-4 of the model, and item 5, new: its features only. Vocabulary: a, b, c. */
const features: ItemFeatures = buildItemFeatures([['a'], ['a', 'b'], ['c'], [], ['b', 'c']], 1);

function weights(seed: number): NamedWeights {
  const w = initWeights(config, seed);
  for (const t of w.values()) if (t.shape.length === 2) t.values.forEach((v, i) => (t.values[i] = v * 25));
  return w;
}

const row = (w: NamedWeights, name: string, i: number): number[] => Array.from(w.get(name)!.values.subarray(i * config.dim, (i + 1) * config.dim));
const add = (...rows: number[][]): number[] => rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0));
const scale = (r: number[], k: number): number[] => r.map((v) => v * k);

beforeAll(() => useTestBackend('cpu'));

describe('item vectors from ids and content features', () => {
  const w = weights(7);
  let model: SasRec;
  beforeAll(() => {
    model = SasRec.fromWeights(config, w, { features, withoutId: [3] });
  });
  afterAll(() => model.dispose());

  it('adds feat_emb after the other tensors, with a zero padding row, and reads numFeatures from a config', () => {
    expect(paramShapes(config).at(-1)).toEqual(['feat_emb', [4, 4]]);
    expect(paramShapes({ ...config, numFeatures: 0 }).some(([n]) => n === 'feat_emb')).toBe(false);
    expect(row(w, 'feat_emb', 0)).toEqual([0, 0, 0, 0]);
    expect(parseModelConfig({ ...config }).numFeatures).toBe(3);
    expect(parseModelConfig({ ...config, numFeatures: undefined }).numFeatures).toBeUndefined();
    expect(() => parseModelConfig({ ...config, numFeatures: 1.5 })).toThrow(/numFeatures/);
  });

  it('is the id row plus the mean of the feature rows; an item held out or new has its features alone', async () => {
    const table = (await model.itemTable().array()) as number[][];
    const close = (a: number[], b: number[]) => a.forEach((v, j) => expect(v).toBeCloseTo(b[j]!, 4));
    close(table[1]!, add(row(w, 'item_emb', 1), row(w, 'feat_emb', 1)));
    close(table[2]!, add(row(w, 'item_emb', 2), scale(add(row(w, 'feat_emb', 1), row(w, 'feat_emb', 2)), 0.5)));
    close(table[3]!, row(w, 'feat_emb', 3)); // held out: no id row
    close(table[4]!, row(w, 'item_emb', 4)); // no features
    close(table[5]!, scale(add(row(w, 'feat_emb', 2), row(w, 'feat_emb', 3)), 0.5)); // new
    expect(table).toHaveLength(6);
  });

  it('ranks and reads the new item like the others', async () => {
    expect(model.itemCount).toBe(5);
    const scores = await model.scoreBatch([[5, 1]]);
    expect(scores).toHaveLength(6);
    const top = await model.recommend([1, 5], 5);
    expect(top.map((s) => s.index).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => model.window([[6]])).toThrow(ContractError);
  });

  it('refuses a features model without features, features for an id-only model, and too few items', () => {
    expect(() => SasRec.fromWeights(config, w)).toThrow(/features are needed/);
    const idOnly = { ...config, numFeatures: 0 };
    expect(() => SasRec.fromWeights(idOnly, initWeights(idOnly, 1), { features })).toThrow(/no content features/);
    expect(() => SasRec.fromWeights(config, w, { features: buildItemFeatures([['a'], ['b'], ['c']], 1) })).toThrow(ContractError);
  });

  it('trains feat_emb: the loss has a gradient for the feature rows of the items it saw', () => {
    const trainable = SasRec.fromWeights(config, weights(3), { trainable: true, features });
    try {
      const batch = nextItemBatch([[1, 2, 5]], config.maxLen);
      const { grads } = tf.variableGrads(() => nextItemLoss(trainable, batch), [trainable.variables.get('feat_emb')!]);
      const g = Object.values(grads)[0]!.arraySync() as number[][];
      expect(g[0]!.every((v) => v === 0), 'the padding row learns nothing').toBe(true);
      for (const f of [1, 2, 3]) expect(g[f]!.some((v) => Math.abs(v) > 1e-6), `feature ${f}`).toBe(true);
      tf.dispose(grads);
    } finally {
      trainable.dispose();
    }
  });

  it('leaves an id-only model as it was: its item table is item_emb', async () => {
    const idOnly: ModelConfig = { numItems: 4, dim: 4, blocks: 1, heads: 1, maxLen: 4 };
    const w0 = initWeights(idOnly, 2);
    const m = SasRec.fromWeights(idOnly, w0);
    try {
      expect(Array.from(await m.itemTable().data())).toEqual(Array.from(w0.get('item_emb')!.values));
      expect(m.itemCount).toBe(4);
    } finally {
      m.dispose();
    }
  });
});
