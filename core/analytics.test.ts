import { describe, expect, expectTypeOf, it } from 'vitest';
import { thrownContractError } from '../test/support/contract-error.ts';
import { METRICS_LIMITS, parseMetricsBatch, parsePopular, type MetricsBatch, type Popular } from './analytics.ts';

const counter = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  placement: 'for-you',
  modelVersion: 'v3',
  variant: 'viewed.1',
  event: 'impression',
  count: 8,
  ...over,
});
const badMetrics = (raw: unknown): string => thrownContractError(() => parseMetricsBatch(raw), 'bad_metrics').message;

describe('parseMetricsBatch', () => {
  it('accepts a batch of counters and returns exactly the known fields', () => {
    const batch = parseMetricsBatch({ model: 'default', counters: [counter(), counter({ placement: 'cart', event: 'click', count: 1, variant: 'none', modelVersion: 'fallback' })] });
    expectTypeOf(batch).toEqualTypeOf<MetricsBatch>();
    expect(batch).toEqual({
      model: 'default',
      counters: [counter(), { placement: 'cart', modelVersion: 'fallback', variant: 'none', event: 'click', count: 1 }],
    });
  });

  it('refuses unknown fields at both levels, since one could be an identifier', () => {
    expect(badMetrics({ model: 'default', counters: [counter()], clientId: 'abc' })).toBe('metrics: unknown field "clientId"');
    expect(badMetrics({ model: 'default', counters: [counter(), counter({ userId: 'u1' })] })).toBe('metrics.counters[1]: unknown field "userId"');
  });

  it('refuses an empty or oversized counter list', () => {
    expect(badMetrics({ model: 'default', counters: [] })).toMatch(/"counters" must be an array of 1-256 counters/);
    expect(badMetrics({ model: 'default', counters: Array.from({ length: METRICS_LIMITS.counters + 1 }, () => counter()) })).toMatch(/1-256/);
    expect(badMetrics({ model: 'default' })).toMatch(/"counters" must be an array/);
  });

  it.each([
    [{ count: 0 }, /"count" must be an integer 1-10000 \(got 0\)/],
    [{ count: 10_001 }, /"count" must be an integer 1-10000/],
    [{ count: 1.5 }, /"count" must be an integer/],
    [{ count: '3' }, /"count" must be an integer/],
    [{ placement: 'footer' }, /"placement" must be one of for-you, similar, cart, recently-viewed, trending \(got "footer"\)/],
    [{ event: 'view' }, /"event" must be one of impression, click, add_to_cart, purchase/],
    [{ modelVersion: '' }, /"modelVersion" must be 1-64 letters/],
    [{ variant: 'a b' }, /"variant" must be 1-64 letters/],
    [{ variant: 'x'.repeat(65) }, /"variant" must be 1-64 letters/],
  ])('refuses the counter field %j, naming the counter', (over, message) => {
    expect(badMetrics({ model: 'default', counters: [counter(over)] })).toMatch(new RegExp(`^metrics\\.counters\\[0\\]: ${message.source}`));
  });

  it('refuses a body that is not a batch or a bad model name', () => {
    expect(badMetrics(null)).toMatch(/^metrics: expected \{"model", "counters": \[\.\.\.\]\}/);
    expect(badMetrics([counter()])).toMatch(/^metrics: expected/);
    expect(badMetrics({ model: '../x', counters: [counter()] })).toMatch(/^metrics: "model" must be 1-64 letters/);
  });
});

describe('parsePopular', () => {
  it('accepts lists of scored ids', () => {
    const popular = parsePopular({ updatedAt: '2026-03-01T00:00:00Z', trending: [{ id: 'a', score: 2.5 }], bestsellers: [] });
    expectTypeOf(popular).toEqualTypeOf<Popular>();
    expect(popular).toEqual({ updatedAt: '2026-03-01T00:00:00Z', trending: [{ id: 'a', score: 2.5 }], bestsellers: [] });
  });

  it('refuses a malformed answer, naming the list and position', () => {
    expect(thrownContractError(() => parsePopular({ trending: [] }), 'bad_popular').message).toMatch(/expected \{"updatedAt"/);
    const err = thrownContractError(() => parsePopular({ updatedAt: 'x', trending: [], bestsellers: [{ id: 'a', score: 1 }, { id: '', score: 1 }] }), 'bad_popular');
    expect(err.message).toMatch(/^popular\.bestsellers\[1\]: expected/);
    expect(thrownContractError(() => parsePopular({ updatedAt: 'x', trending: [{ id: 'a', score: Infinity }], bestsellers: [] })).message).toMatch(/popular\.trending\[0\]/);
  });
});
