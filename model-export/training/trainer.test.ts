import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset.ts';
import { useBackend } from './tf-node.ts';
import { stopHorizon, trainModel, TRAIN_DEFAULTS } from './trainer.ts';

describe('stopHorizon', () => {
  const o = { ...TRAIN_DEFAULTS, epochs: 200, patience: 3, validateFrom: 5 };

  it('before the first validation: that validation sets the best, then patience more epochs', () => {
    expect(stopHorizon(0, 0, false, o)).toBe(8);
    expect(stopHorizon(3, 0, false, o)).toBe(8);
  });

  it('right after an improvement: patience more epochs', () => {
    expect(stopHorizon(9, 0, true, o)).toBe(12);
  });

  it('counts down with each validation that does not improve', () => {
    expect(stopHorizon(10, 1, true, o)).toBe(12);
    expect(stopHorizon(11, 2, true, o)).toBe(12);
    expect(stopHorizon(12, 3, true, o)).toBe(12);
  });

  it('never passes the --epochs limit', () => {
    expect(stopHorizon(0, 0, false, { ...o, epochs: 6 })).toBe(6);
    expect(stopHorizon(5, 0, true, { ...o, epochs: 6 })).toBe(6);
  });

  it('validates every epoch from validateFrom on', () => {
    const fromFirst = { ...o, validateFrom: 1 };
    expect(stopHorizon(0, 0, false, fromFirst)).toBe(4); // validations at 1 (best), 2, 3, 4
    expect(stopHorizon(4, 1, true, fromFirst)).toBe(6); // 5, 6 to go
  });

  it('ends at once with patience 0', () => {
    expect(stopHorizon(1, 0, false, { ...o, patience: 0 })).toBe(1);
  });
});

describe('trainModel: when training ends', () => {
  // 30 users walking a ring of 20 items, 5 to 9 items each: enough for the leave-one-out split.
  const data: Dataset = {
    itemIds: Array.from({ length: 20 }, (_, i) => `item-${i + 1}`),
    users: Array.from({ length: 30 }, (_, u) => `user-${u}`),
    sequences: Array.from({ length: 30 }, (_, u) => Array.from({ length: 5 + (u % 5) }, (_, j) => ((u * 3 + j) % 20) + 1)),
  };
  const small = { model: { dim: 8, blocks: 1, heads: 1, maxLen: 8 }, batchSize: 8, negatives: 6, workers: 1, validateFrom: 5 };

  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('stops after the last epoch its time budget has room for, validating that epoch even before validateFrom', async () => {
    const r = await trainModel(data, { ...small, epochs: 50, patience: 50, timeBudget: 1e-6 });
    expect(r.stopped).toBe('budget');
    expect(r.history).toHaveLength(1);
    expect(r.history[0]!.valid).toBeDefined();
    expect(r.bestEpoch).toBe(1);
    expect(r.bestValid).not.toBeNull();
  });

  it('without a budget, runs to --epochs or until patience runs out, and says which', async () => {
    const limited = await trainModel(data, { ...small, epochs: 3, patience: 50, timeBudget: 0 });
    expect(limited.stopped).toBe('epochs');
    expect(limited.history).toHaveLength(3);
    const impatient = await trainModel(data, { ...small, epochs: 50, patience: 0, timeBudget: 0, validateFrom: 1 });
    expect(impatient.stopped).toBe('patience');
    expect(impatient.history).toHaveLength(1);
  });

  it('repeats a seeded run with popularity negatives, which trains other weights than uniform ones', async () => {
    const a = await trainModel(data, { ...small, epochs: 2, timeBudget: 0, sampling: 'popularity' });
    const b = await trainModel(data, { ...small, epochs: 2, timeBudget: 0, sampling: 'popularity' });
    const u = await trainModel(data, { ...small, epochs: 2, timeBudget: 0, sampling: 'uniform' });
    const values = (w: typeof a.weights) => [...w].map(([name, t]) => [name, [...t.values]]);
    expect(values(b.weights)).toEqual(values(a.weights));
    expect(values(u.weights)).not.toEqual(values(a.weights));
  });
});
