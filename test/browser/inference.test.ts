/**
 * The cross-backend inference test: the one SASRec implementation (`core/model/sasrec.ts`) must rank
 * the same items with the same scores on every tfjs backend the widget may pick, in a real browser.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '../../core/errors.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { SasRec, type Scored } from '../../core/model/sasrec.ts';
import { initWeights, type NamedWeights } from '../../core/model/weights.ts';
import { closeTo, deepEqual, equal, ok, rejects } from '../support/browser/assert.ts';
import { BACKENDS, useBackend } from '../support/browser/backends.ts';
import { before, describe, it } from '../support/browser/mocha.ts';

const CONFIG: ModelConfig = { numItems: 2000, dim: 32, blocks: 2, heads: 2, maxLen: 20 };
const SEED = 20240611;
const K = 10;
/** Allowed score difference from the cpu backend, relative to the cpu score. */
const SCORE_RTOL = 1e-3;

/**
 * Item-table scale. With N(0, 0.02) init, scores are ~0.1 and the whole top-10 sits within a few
 * hundredths; x50 puts them around 15-20, where a relative tolerance is meaningful.
 */
const ITEM_EMB_SCALE = 50;

/**
 * Fixed histories (1-based item indices), chosen so that, on the cpu reference, every gap between
 * consecutive scores in the top K+1 exceeds 2 x SCORE_RTOL (re-checked below): any backend within
 * tolerance must then produce the identical order, so an order mismatch is a real bug, not a tie.
 * The last one is longer than `maxLen`, so truncation to the most recent items is covered too.
 */
const HISTORIES: ReadonlyArray<{ name: string; items: readonly number[] }> = [
  { name: '3 items', items: [778, 1329, 768] },
  { name: '7 items', items: [530, 1862, 1933, 320, 660, 154, 74] },
  { name: '9 items', items: [681, 611, 1475, 1282, 755, 1605, 1374, 32, 1350] },
  {
    name: '24 items (> maxLen)',
    items: [
      775, 488, 297, 1643, 616, 1785, 1052, 856, 1373, 690, 491, 1073, 1525, 1589, 102, 418, 1264, 1292, 60, 653,
      859, 1744, 1298, 718,
    ],
  },
];

/** Out-of-range or non-integer item indices: each must be refused before any tensor is made. */
const BAD_HISTORIES: ReadonlyArray<readonly number[]> = [[0], [CONFIG.numItems + 1], [5, -3], [1.5], [7, Number.NaN]];

function weights(): NamedWeights {
  const w = initWeights(CONFIG, SEED);
  const items = w.get('item_emb')!.values;
  for (let i = 0; i < items.length; i++) items[i]! *= ITEM_EMB_SCALE;
  return w;
}

interface Case {
  name: string;
  history: readonly number[];
  /** The history itself plus two items the model would otherwise recommend (ranks 1 and 4). */
  exclude: ReadonlySet<number>;
  /** cpu top-K with `exclude` applied. */
  expected: Scored[];
}

const indices = (list: readonly Scored[]): number[] => list.map((r) => r.index);

describe('SasRec.recommend on every tfjs backend in Chromium', () => {
  const cases: Case[] = [];
  let minRelativeGap = Infinity;

  before(async () => {
    await useBackend('cpu');
    const model = SasRec.fromWeights(CONFIG, weights());
    try {
      for (const { name, items } of HISTORIES) {
        const free = await model.recommend(items, K);
        const exclude = new Set([...items, free[0]!.index, free[3]!.index]);
        const ranked = await model.recommend(items, K + 1, exclude);
        for (let i = 1; i < ranked.length; i++) {
          const gap = (ranked[i - 1]!.score - ranked[i]!.score) / Math.abs(ranked[i - 1]!.score);
          minRelativeGap = Math.min(minRelativeGap, gap);
        }
        cases.push({ name, history: items, exclude, expected: ranked.slice(0, K) });
      }
    } finally {
      model.dispose();
    }
  });

  it('has a cpu reference whose top-11 scores are separated by more than twice the tolerance', () => {
    equal(cases.length, HISTORIES.length, 'reference cases');
    ok(
      minRelativeGap > 2 * SCORE_RTOL,
      `fixture is not separated enough to compare orders (min relative gap ${minRelativeGap}); pick other histories`,
    );
    for (const c of cases) equal(c.expected.length, K, `${c.name}: reference length`);
  });

  for (const backend of BACKENDS) {
    it(`${backend}: same top-${K} as cpu, scores within ${SCORE_RTOL} relative, excluded items never returned`, async () => {
      const device = await useBackend(backend);
      const start = tf.memory();
      const t0 = performance.now();
      const model = SasRec.fromWeights(CONFIG, weights());
      const loaded = tf.memory().numTensors;
      const times: number[] = [];
      let maxRelDiff = 0;
      try {
        for (const c of cases) {
          const t = performance.now();
          const got = await model.recommend(c.history, K, c.exclude);
          times.push(performance.now() - t);

          equal(tf.memory().numTensors, loaded, `${backend}/${c.name}: tensors alive after recommend()`);
          deepEqual(indices(got), indices(c.expected), `${backend}/${c.name}: top-${K} indices vs cpu`);
          got.forEach((r, i) => {
            const ref = c.expected[i]!.score;
            closeTo(r.score, ref, SCORE_RTOL, `${backend}/${c.name}: score of rank ${i + 1} (item ${r.index}) vs cpu`);
            maxRelDiff = Math.max(maxRelDiff, Math.abs(r.score - ref) / Math.abs(ref));
          });
          for (const r of got) ok(!c.exclude.has(r.index), `${backend}/${c.name}: excluded item ${r.index} was returned`);
        }

        for (const bad of BAD_HISTORIES) {
          const error = await rejects(() => model.recommend(bad, K), `${backend}: recommend(${JSON.stringify(bad)})`);
          ok(error instanceof ContractError, `${backend}: recommend(${JSON.stringify(bad)}) threw ${String(error)}, not a ContractError`);
          equal(error.code, 'bad_history', `${backend}: error code for ${JSON.stringify(bad)}`);
          equal(tf.memory().numTensors, loaded, `${backend}: tensors alive after the rejected recommend(${JSON.stringify(bad)})`);
        }
      } finally {
        model.dispose();
      }
      const end = tf.memory();
      equal(end.numTensors, start.numTensors, `${backend}: tensors alive after dispose()`);
      equal(end.numBytes, start.numBytes, `${backend}: tensor bytes alive after dispose()`);

      const ms = (x: number): string => `${x.toFixed(0)} ms`;
      console.log(
        `[inference] ${backend} (${device}): total ${ms(performance.now() - t0)}, first recommend ${ms(times[0]!)}, ` +
          `next ${times.slice(1).map(ms).join(' / ')}; max relative score diff vs cpu ${maxRelDiff.toExponential(2)}`,
      );
    });
  }
});
