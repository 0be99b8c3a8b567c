import { describe, expect, it } from 'vitest';
import { stopHorizon, TRAIN_DEFAULTS } from './trainer.ts';

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
