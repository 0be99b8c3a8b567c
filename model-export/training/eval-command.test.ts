/**
 * `edge-recs eval` with content features: the evaluation of a model that records held-out items (warm and
 * cold users apart), items new to the model ranked from their features, the baselines beside it; then the
 * command itself, run for real as a child process, with `--attributes`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../core/model/config.ts';
import { appendItemFeatures, buildItemFeatures, encodeItemFeatures, featuresOf, groupFeatureNames } from '../../core/model/features.ts';
import { initWeights } from '../../core/model/weights.ts';
import { useTestBackend } from '../../test/support/tf-backend.ts';
import { fromSequences } from '../data/dataset.ts';
import { pickColdItems } from '../data/cold-items.ts';
import { readCatalogFile } from '../data/catalog-file.ts';
import { ROOT, runEdgeRecs } from '../../test/support/cli.ts';
import { evalTable, evaluateModel, heldOutItems, remap, type EvalModel, type EvalResult } from './eval-command.ts';
import { itemFeatureNames } from '../data/item-features.ts';

const ndcg = (rank: number): number => 1 / Math.log2(rank + 2);

/** Attribute names of items a-f; f's attribute is one the model never learned. */
const ATTRIBUTES: Record<string, string[]> = { a: ['attr:1'], b: ['attr:1'], c: ['attr:2'], d: ['attr:1'], e: ['attr:1', 'attr:2'], f: ['attr:9'] };
const names = (id: string): string[] => ATTRIBUTES[id] ?? [];

/**
 * A model of items a-d whose every hidden state is (1, 0) (no blocks, final layer norm gain 0), so an item
 * scores the first coordinate of its vector: its id row (a 4, b 3, c -100, d 1) plus the mean of its
 * features' rows (attr:1 0.5, attr:2 10). Item c was held out: its id row must not count, so it scores 10.
 */
function featuresModel(): EvalModel {
  const config: ModelConfig = { numItems: 4, dim: 2, blocks: 0, heads: 1, maxLen: 3, numFeatures: 2 };
  const weights = initWeights(config, 1);
  weights.get('item_emb')!.values.set([0, 0, 4, 0, 3, 0, -100, 0, 1, 0]);
  weights.get('feat_emb')!.values.set([0, 0, 0.5, 0, 10, 0]);
  weights.get('final_ln.gamma')!.values.fill(0);
  weights.get('final_ln.beta')!.values.set([1, 0]);
  const itemIds = ['a', 'b', 'c', 'd'];
  return { config, weights, itemIds, features: buildItemFeatures(itemIds.map(names), 1), coldItems: ['c'] };
}

beforeAll(() => useTestBackend('cpu'));

describe('remap and appendItemFeatures', () => {
  it('keeps the model\'s indices, appends the unknown items it can rank and drops the others', () => {
    const read = fromSequences(['u1', 'u2'], [['x', 'a', 'y', 'c'], ['y', 'z']]);
    const { data, dropped, added } = remap(read, ['a', 'b', 'c'], (id) => id === 'y');
    expect(data.itemIds).toEqual(['a', 'b', 'c', 'y']);
    expect(data.sequences).toEqual([[1, 4, 3], [4]]);
    expect(dropped).toBe(2);
    expect(added).toEqual(['y']);
    expect(remap(read, ['a', 'b', 'c']).added).toEqual([]);
  });

  it('appends items encoded against the same vocabulary after the model\'s', () => {
    const base = buildItemFeatures([['p'], ['p', 'q'], []], 1);
    const all = appendItemFeatures(base, encodeItemFeatures(base.names, [['q', 'unknown'], ['p']]));
    expect(all.names).toEqual(['p', 'q']);
    expect([1, 2, 3, 4, 5].map((i) => [...featuresOf(all, i)])).toEqual([[1], [1, 2], [], [2], [1]]);
    expect(all.offsets).toHaveLength(7);
  });
});

describe('itemFeatureNames', () => {
  it('names a catalog group by the union of its variants\' features and the attributes of any of them, as train does', async () => {
    const catalog = await readCatalogFile(join(ROOT, 'test/fixtures/ga4-export/catalog.tsv'));
    const names = itemFeatureNames(new Map([['nw-jkt-rain-s', ['attr:7']], ['lonely', ['attr:8']]]), catalog);
    const jacket = names('nw-jkt-rain');
    expect(jacket).toEqual(['attr:7', ...groupFeatureNames(catalog.groups.groups.get('nw-jkt-rain')!)]);
    expect(jacket).toContain('cat:apparel > jackets');
    expect(jacket).toContain('brand:northwind');
    expect(names('lonely')).toEqual(['attr:8']);
    expect(names('unknown')).toEqual([]);
    expect(itemFeatureNames(new Map([['a', ['attr:1', 'attr:1']]]), undefined)('a')).toEqual(['attr:1']);
  });
});

describe('heldOutItems', () => {
  const itemIds = Array.from({ length: 50 }, (_, i) => `i${i + 1}`);

  it('takes the artifact\'s own list, else draws again the split its training record names', () => {
    expect(heldOutItems({ itemIds, coldItems: ['i3'], manifest: { training: { content: { cold: { fraction: 0.1, seed: 7 } } } } })).toEqual(['i3']);
    // An id-only model records no list of its own: the record's fraction and seed give the items train held out.
    const drawn = heldOutItems({ itemIds, manifest: { training: { content: { cold: { fraction: 0.1, seed: 7, items: 5 } } } } });
    expect(drawn).toEqual(pickColdItems(itemIds, 0.1, 7));
    expect(drawn).toHaveLength(5);
    expect(heldOutItems({ itemIds, coldItems: [], manifest: { training: { content: { cold: { fraction: 0.1, seed: 8 } } } } })).toEqual(pickColdItems(itemIds, 0.1, 8));
  });

  it('is empty for a model trained on every item, or a record it cannot read', () => {
    expect(heldOutItems({ itemIds, coldItems: [], manifest: { training: { content: { features: 3 } } } })).toEqual([]);
    expect(heldOutItems({ itemIds, manifest: {} })).toEqual([]);
    expect(heldOutItems({ itemIds, manifest: { training: { content: { cold: { fraction: 1.5, seed: 7 } } } } })).toEqual([]);
    expect(heldOutItems({ itemIds, manifest: { training: { content: { cold: { fraction: 0.1, seed: '7' } } } } })).toEqual([]);
  });
});

describe('evaluateModel', () => {
  // u1: target c (held out, 10) after a, b: first (rank 0). u2: target e (new: mean of attr:1 and attr:2, 5.25)
  // after c, a: first. u3: target d (1.5) after e, a: b and c above (2). u4: f is unknown, so only a, b
  // remain: too short to evaluate. u5: target b (3.5) after a, d: c and e above (2).
  const read = fromSequences(['u1', 'u2', 'u3', 'u4', 'u5'], [['a', 'b', 'c'], ['c', 'a', 'e'], ['e', 'a', 'd'], ['a', 'f', 'b'], ['a', 'd', 'b']]);

  it('ranks held-out items from their features alone and new items after the model\'s, with warm and cold users apart', async () => {
    const notes: string[] = [];
    const before = tf.memory().numTensors;
    const result = await evaluateModel(featuresModel(), read, names, (l) => notes.push(l));
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ protocol: 'full-ranking-leave-one-out', users: 4, items: 5 });
    expect(result.cold).toEqual({ users: 2, 'HR@10': 1, 'NDCG@10': 1 });
    expect(result.warm).toEqual({ users: 2, 'HR@10': 1, 'NDCG@10': ndcg(2) });
    expect(result.metrics['NDCG@5']).toBeCloseTo((2 + 2 * ndcg(2)) / 4, 12);
    expect(notes).toEqual([
      'note: 1 interactions with items the model does not know were left out',
      'note: 1 items new to the model are ranked from their features alone (counted as cold)',
    ]);
    // The baselines rank the same users and candidates, grouped the same way.
    for (const b of [result.baselines.popularity, result.baselines['attribute-similarity']!]) {
      expect(b).toMatchObject({ users: 4, items: 5, warm: { users: 2 }, cold: { users: 2 } });
    }
  });

  it('without names, still ranks the model\'s own items and reads the baseline\'s attributes from its features', async () => {
    const result = await evaluateModel(featuresModel(), read, undefined, () => {});
    // e is unknown now (no names to embed it from): u2 and u3 lose it and are too short; u1 and u5 remain.
    expect(result).toMatchObject({ users: 2, items: 4 });
    expect(result.cold).toEqual({ users: 1, 'HR@10': 1, 'NDCG@10': 1 });
    expect(result.baselines['attribute-similarity']).toMatchObject({ users: 2, items: 4 });
  });

  it('evaluates an id-only model as before, with the attribute baseline where names are given and no groups', async () => {
    const config: ModelConfig = { numItems: 4, dim: 4, blocks: 1, heads: 1, maxLen: 3 };
    const idOnly: EvalModel = { config, weights: initWeights(config, 2), itemIds: ['a', 'b', 'c', 'd'] };
    const withNames = await evaluateModel(idOnly, read, names, () => {});
    expect(withNames).toMatchObject({ users: 2, items: 4 });
    expect(withNames.warm).toBeUndefined();
    expect(withNames.cold).toBeUndefined();
    expect(Object.keys(withNames.baselines)).toEqual(['popularity', 'attribute-similarity']);
    expect(Object.keys((await evaluateModel(idOnly, read, undefined, () => {})).baselines)).toEqual(['popularity']);
  });

  it('has no warm and cold groups for a features model trained on every item', async () => {
    const result = await evaluateModel({ ...featuresModel(), coldItems: [] }, fromSequences(['u1', 'u2'], [['a', 'b', 'c'], ['d', 'a', 'b']]), names, () => {});
    expect(result.users).toBe(2);
    expect(result.warm).toBeUndefined();
    expect(result.cold).toBeUndefined();
  });

  it('prints warm and cold lines for the model and each baseline', async () => {
    const lines = evalTable(await evaluateModel(featuresModel(), read, names, () => {}));
    expect(lines[0]).toBe('full-ranking-leave-one-out (seen items excluded), 4 users, 5 items');
    expect(lines[1]).toMatch(/^\s+model\s+popularity\s+attribute-similarity$/);
    expect(lines.find((l) => l.trimStart().startsWith('cold'))).toMatch(/^ {2}cold {5}1\.0000\/1\.0000 .* \(2 users\)$/);
    expect(lines.find((l) => l.trimStart().startsWith('warm'))).toContain(`${ndcg(2).toFixed(4)}/1.0000`);
  });
});

describe('edge-recs eval --attributes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-recs-eval-'));
    // 40 users over 12 items in two categories; each user stays in one, so the attributes predict well.
    const lines = Array.from({ length: 40 }, (_, u) => `u${u} ${Array.from({ length: 5 }, (_, k) => (u % 2) * 6 + ((u + k) % 6) + 1).join(' ')}`);
    await writeFile(join(dir, 'data.txt'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'attributes.json'), JSON.stringify(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [String(i + 1), [i < 6 ? 1 : 2, 10 + (i % 3)]]))));
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ 1: ['x'] }));
    const train = await runEdgeRecs(['train', '--data', join(dir, 'data.txt'), '--out', join(dir, 'model'), '--epochs', '1', '--dim', '8', '--blocks', '1', '--max-len', '5', '--json'], { timeoutMs: 60_000 });
    expect(train.code, train.stderr).toBe(0);
  }, 90_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints the model\'s metrics and both baselines\' in one JSON object', async () => {
    const run = await runEdgeRecs(['eval', '--model', join(dir, 'model'), '--data', join(dir, 'data.txt'), '--attributes', join(dir, 'attributes.json'), '--json'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { users: number; baselines: Record<string, { users: number; metrics: Record<string, number> }> };
    expect(Object.keys(result)).toEqual(['protocol', 'users', 'items', 'metrics', 'baselines']);
    expect(Object.keys(result.baselines)).toEqual(['popularity', 'attribute-similarity']);
    expect(result.baselines['attribute-similarity']!.users).toBe(40);
    // Each user's target is in the category of the history: the content baseline ranks it among 6 items, at worst.
    expect(result.baselines['attribute-similarity']!.metrics['HR@5']).toBeGreaterThan(0.9);
  });

  it('evaluates an exported uint8 model trained with items held out on warm and cold users, beside both baselines', async () => {
    const attrs = join(dir, 'attributes.json');
    const train = await runEdgeRecs(
      ['train', '--data', join(dir, 'data.txt'), '--attributes', attrs, '--cold-items', '0.25', '--out', join(dir, 'cold'), '--epochs', '1', '--dim', '8', '--blocks', '1', '--max-len', '5', '--json'],
      { timeoutMs: 60_000 },
    );
    expect(train.code, train.stderr).toBe(0);
    const exported = await runEdgeRecs(['export', '--model', join(dir, 'cold'), '--quantize', 'uint8', '--out', join(dir, 'cold-uint8'), '--json'], { timeoutMs: 60_000 });
    expect(exported.code, exported.stderr).toBe(0);
    const run = await runEdgeRecs(['eval', '--model', join(dir, 'cold-uint8'), '--data', join(dir, 'data.txt'), '--attributes', attrs, '--json'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as EvalResult;
    // 3 of the 12 items held out; every user is warm or cold, and the baselines see the same groups.
    expect(result.warm!.users + result.cold!.users).toBe(40);
    expect(result.cold!.users).toBeGreaterThan(0);
    for (const b of [result.baselines.popularity, result.baselines['attribute-similarity']!]) {
      expect(b.warm!.users).toBe(result.warm!.users);
      expect(b.cold!.users).toBe(result.cold!.users);
    }
  }, 120_000);

  it('names the attributes file at fault', async () => {
    const bad = await runEdgeRecs(['eval', '--model', join(dir, 'model'), '--data', join(dir, 'data.txt'), '--attributes', join(dir, 'bad.json'), '--json'], { timeoutMs: 60_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${join(dir, 'bad.json')}: item "1" must map to a list of non-negative integer attribute ids`);
  });
});
