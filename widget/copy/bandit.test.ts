import { describe, expect, it } from 'vitest';
import { rng } from '../../core/random.ts';
import { Bandit, sampleBeta } from './bandit.ts';

describe('Thompson-sampling bandit', () => {
  it('draws Beta samples with the right mean', () => {
    const random = rng(1);
    let sum = 0;
    for (let i = 0; i < 4000; i++) sum += sampleBeta(3, 7, random);
    expect(sum / 4000).toBeCloseTo(0.3, 1);
    for (let i = 0; i < 200; i++) {
      const x = sampleBeta(0.5, 0.5, random);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
  });

  it('learns to show the variant that gets clicked, while still trying the other', () => {
    const random = rng(2);
    const bandit = new Bandit({}, random);
    const ctr: Record<string, number> = { good: 0.3, bad: 0.05 };
    const chosen: Record<string, number> = { good: 0, bad: 0 };
    for (let i = 0; i < 3000; i++) {
      const v = bandit.choose(['bad', 'good']);
      bandit.shown(v);
      if (random() < ctr[v]!) bandit.clicked(v);
      if (i >= 2000) chosen[v]!++;
    }
    expect(chosen.good).toBeGreaterThan(900);
    expect(bandit.mean('good')).toBeGreaterThan(bandit.mean('bad'));
  });

  it('restores its state from a snapshot and ignores corrupt entries', () => {
    const bandit = new Bandit({}, rng(3));
    bandit.shown('a');
    bandit.clicked('a');
    bandit.clicked('b');
    const restored = new Bandit({ ...bandit.snapshot(), bad: { shown: Number.NaN, clicked: 1 } } as never, rng(3));
    expect(restored.snapshot()).toEqual({ a: { shown: 1, clicked: 1 }, b: { shown: 1, clicked: 1 } });
  });
});
