import { describe, expect, it } from 'vitest';
import { rng, shuffle } from './random.ts';

describe('shuffle', () => {
  // Recorded with the copies in trainer.ts, simulate.ts and demo/catalog.ts before they were merged
  // here: a change to the algorithm would change every seeded run's batches, splits and demo catalog.
  it('gives the recorded permutation for a fixed seed', () => {
    expect(shuffle([...Array(10).keys()], rng(42))).toEqual([0, 7, 3, 5, 2, 1, 8, 9, 4, 6]);
    expect(shuffle([...Array(20).keys()], rng(7))).toEqual([9, 19, 7, 4, 5, 10, 12, 16, 18, 2, 15, 13, 3, 14, 6, 8, 11, 17, 1, 0]);
  });

  it('continues the generator across calls, so successive shuffles differ', () => {
    const random = rng(1);
    expect([shuffle(['a', 'b', 'c', 'd', 'e'], random), shuffle(['a', 'b', 'c', 'd', 'e'], random)]).toEqual([
      ['e', 'c', 'b', 'a', 'd'],
      ['a', 'c', 'd', 'b', 'e'],
    ]);
  });

  it('shuffles in place and returns the same array, a permutation of its items', () => {
    const items = [...Array(50).keys()];
    const out = shuffle(items, rng(3));
    expect(out).toBe(items);
    expect([...out].sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });

  it('leaves empty and one-item arrays alone without drawing', () => {
    let draws = 0;
    const counting = (): number => (draws++, 0.5);
    expect(shuffle([], counting)).toEqual([]);
    expect(shuffle(['x'], counting)).toEqual(['x']);
    expect(draws).toBe(0);
  });
});
