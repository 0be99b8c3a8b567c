import { describe, expect, it } from 'vitest';
import { ServerAdam } from './aggregate.ts';
import type { WeightDelta } from './codec.ts';

const round = (dense: number[], rows: number[] = [0.5, -0.5]): WeightDelta => ({
  dense: new Map([['pos_emb', Float32Array.from(dense)]]),
  rows: { indices: Uint32Array.of(3), values: Float32Array.from(rows) },
});

describe('ServerAdam (FedAdam on the dense part of a round mean)', () => {
  it('steps each dense coordinate by about η in the sign of the mean in round 1, whatever its size', () => {
    const adam = new ServerAdam({ learningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-6 });
    const step = adam.step(round([1e-3, -2e-4, 0.5, 0]));
    const v = step.dense.get('pos_emb')!;
    expect(v[0]).toBeCloseTo(0.01, 4);
    expect(v[1]).toBeCloseTo(-0.01, 4);
    expect(v[2]).toBeCloseTo(0.01, 4);
    expect(v[3]).toBe(0);
    expect(adam.rounds).toBe(1);
  });

  it('leaves the item rows as the aggregator released them', () => {
    const adam = new ServerAdam();
    const input = round([1, 1, 1, 1], [0.25, -0.125]);
    expect([...adam.step(input).rows.values]).toEqual([0.25, -0.125]);
  });

  it('moves little where the mean stays below τ, and undoes the server learning rate first', () => {
    const adam = new ServerAdam({ learningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1 });
    expect(adam.step(round([1e-3, 0, 0, 0]), 10).dense.get('pos_emb')![0]).toBeCloseTo(1e-6, 7);
  });

  it('keeps moments across rounds: noise of alternating sign shrinks the step, a steady mean does not', () => {
    const steady = new ServerAdam({ learningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-8 });
    const flipping = new ServerAdam({ learningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-8 });
    let a = 0;
    let b = 0;
    for (let r = 0; r < 4; r++) {
      a = steady.step(round([1e-3, 0, 0, 0])).dense.get('pos_emb')![0]!;
      b = flipping.step(round([r % 2 ? -1e-3 : 1e-3, 0, 0, 0])).dense.get('pos_emb')![0]!;
    }
    expect(a).toBeCloseTo(0.01, 4);
    expect(Math.abs(b)).toBeLessThan(0.005);
  });

  it('refuses settings without meaning', () => {
    expect(() => new ServerAdam({ learningRate: 0.01, beta1: 1, beta2: 0.99, tau: 1e-3 })).toThrow(RangeError);
    expect(() => new ServerAdam({ learningRate: -1, beta1: 0.9, beta2: 0.99, tau: 1e-3 })).toThrow(RangeError);
  });
});
