import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
// Gradients are registered by the Node backend setup, as in the CLI.
import { useTestBackend } from '../../test/support/tf-backend.ts';
import { rejectedContractError } from '../../test/support/contract-error.ts';
import type { ModelConfig } from '../model/config.ts';
import { SasRec } from '../model/sasrec.ts';
import { initWeights } from '../model/weights.ts';
import { rng } from '../random.ts';
import { AGGREGATION_DEFAULTS, RoundAggregator } from './aggregate.ts';
import { CLIENT_DEFAULTS, encodeClientUpdate, trainClientUpdate } from './client.ts';
import { decodeUpdate } from './codec.ts';
import { applyDelta, deltaNorm } from './delta.ts';

const config: ModelConfig = { numItems: 200, dim: 16, blocks: 1, heads: 1, maxLen: 10 };
const base = { config, weights: initWeights(config, 7) };
const history = [5, 17, 42, 17, 99, 120];

beforeAll(async () => {
  await useTestBackend('cpu');
});

describe('trainClientUpdate', () => {
  it('sends exactly maxRows rows with rows: padded: every history item, then negatives, ascending', async () => {
    const u = await trainClientUpdate(base, history, { random: rng(1), maxRows: 24, negatives: 8 });
    const rows = [...u.delta.rows.indices];
    expect(rows).toHaveLength(24);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    for (const item of new Set(history)) expect(rows).toContain(item);
    expect(u.historyRows).toBe(5);
    expect(rows.every((r) => r >= 1 && r <= config.numItems)).toBe(true);
  });

  it('sends only the history rows with rows: sequence', async () => {
    const u = await trainClientUpdate(base, history, { random: rng(1), rows: 'sequence' });
    expect([...u.delta.rows.indices]).toEqual([5, 17, 42, 99, 120]);
  });

  it('moves every dense tensor by default and none with trainable: items', async () => {
    const all = await trainClientUpdate(base, history, { random: rng(1) });
    expect(all.delta.dense.size).toBe(base.weights.size - 1);
    const items = await trainClientUpdate(base, history, { random: rng(1), trainable: 'items' });
    expect(items.delta.dense.size).toBe(0);
    expect(deltaNorm(items.delta)).toBeGreaterThan(0);
  });

  it('clips the update to clipNorm and reports the norm before clipping', async () => {
    const u = await trainClientUpdate(base, history, { random: rng(1), learningRate: 5, clipNorm: 0.1 });
    expect(u.clipped).toBe(true);
    expect(u.norm).toBeGreaterThan(0.1);
    expect(deltaNorm(u.delta)).toBeCloseTo(0.1, 5);
  });

  it('fits the shopper: the local loss falls and, applied, the update ranks the next item higher', async () => {
    const u = await trainClientUpdate(base, history, { random: rng(2), dropout: 0, clipNorm: 100, steps: 10 });
    expect(u.lossAfter).toBeLessThan(u.lossBefore);
    const rank = async (weights: typeof base.weights): Promise<number> => {
      const m = SasRec.fromWeights(config, weights);
      const scores = await m.scoreBatch([history.slice(0, -1)]);
      m.dispose();
      return [...scores].filter((s, i) => i > 0 && s > scores[history.at(-1)!]!).length;
    };
    expect(await rank(applyDelta(base.weights, u.delta))).toBeLessThan(await rank(base.weights));
  });

  it('leaves no tensor behind and does not modify the published weights', async () => {
    const before = tf.memory().numTensors;
    const table = base.weights.get('item_emb')!.values.slice();
    await trainClientUpdate(base, history, { random: rng(3) });
    expect(tf.memory().numTensors).toBe(before);
    expect(base.weights.get('item_emb')!.values).toEqual(table);
  });

  it('shortens a long history from its old end so the slice keeps room for negatives', async () => {
    const long = Array.from({ length: 40 }, (_, i) => i + 1);
    const u = await trainClientUpdate({ config: { ...config, maxLen: 50 }, weights: initWeights({ ...config, maxLen: 50 }, 7) }, long, { random: rng(1), maxRows: 16, negatives: 4 });
    expect(u.historyRows).toBe(12);
    for (let item = 29; item <= 40; item++) expect([...u.delta.rows.indices]).toContain(item);
  });

  it('refuses a history too short to learn from, an unknown item and a bad option', async () => {
    await rejectedContractError(trainClientUpdate(base, [3], {}), 'bad_history');
    await rejectedContractError(trainClientUpdate(base, [3, 201], {}), 'bad_history');
    await rejectedContractError(trainClientUpdate(base, history, { negatives: 64, maxRows: 64 }), 'bad_options');
    await rejectedContractError(trainClientUpdate(base, history, { rows: 'all' as never }), 'bad_options');
  });
});

describe('encodeClientUpdate', () => {
  it('makes a frame the server decodes and aggregates, within its row limit', async () => {
    const u = await trainClientUpdate(base, history, { random: rng(4) });
    const bytes = encodeClientUpdate(u.delta, { model: 'default', baseVersion: 'v1', config });
    const decoded = decodeUpdate(bytes, { maxRows: AGGREGATION_DEFAULTS.maxRowsPerClient });
    expect(decoded.baseVersion).toBe('v1');
    expect([...decoded.rows.indices]).toEqual([...u.delta.rows.indices]);
    const agg = new RoundAggregator(config, { ...AGGREGATION_DEFAULTS, releaseThreshold: 'all' });
    agg.add(decoded);
    expect(agg.updates).toBe(1);
  });

  it('keeps a 2-block, dim-64 update of a 12k-item catalog under 20 KB', async () => {
    const big: ModelConfig = { numItems: 12101, dim: 64, blocks: 2, heads: 1, maxLen: 50 };
    const weights = initWeights(big, 1);
    const u = await trainClientUpdate({ config: big, weights }, Array.from({ length: 30 }, (_, i) => 100 + i * 7), { random: rng(5), steps: 1 });
    const bytes = encodeClientUpdate(u.delta, { model: 'default', baseVersion: 'v1', config: big });
    expect(u.delta.rows.indices.length).toBe(CLIENT_DEFAULTS.maxRows);
    expect(bytes.byteLength).toBeLessThanOrEqual(20 * 1024);
  });
});
