import { describe, expect, expectTypeOf, it } from 'vitest';
import { thrownContractError } from '../test/support/contract-error.ts';
import { COPY_KINDS, COPY_VARIANTS_PER_KIND, isCopyVariant, METRICS_LIMITS, parseMetricsBatch, parsePopular, purchasesBehind, type MetricsBatch, type Popular } from './analytics.ts';

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

  it('refuses an empty batch or an oversized counter list', () => {
    expect(badMetrics({ model: 'default', counters: [] })).toBe('metrics: a batch must hold at least one counter, revenue sum or experiment count');
    expect(badMetrics({ model: 'default', counters: [], revenue: [] })).toMatch(/at least one counter, revenue sum or experiment count/);
    expect(badMetrics({ model: 'default', counters: Array.from({ length: METRICS_LIMITS.counters + 1 }, () => counter()) })).toMatch(/"counters" must be an array of 0-256 entries/);
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
    [{ variant: 'a b' }, /"variant" must be "none" or a copy kind and a template index 0-7 \("viewed.1"; kinds: viewed, similar, .*, neutral\) \(got "a b"\)/],
    [{ variant: 'x'.repeat(65) }, /"variant" must be "none" or a copy kind/],
    [{ variant: 'viewed.8' }, /"variant" must be "none" or a copy kind/],
    [{ variant: 'segment.0' }, /"variant" must be "none" or a copy kind/],
    [{ variant: 'viewed.01' }, /"variant" must be "none" or a copy kind/],
  ])('refuses the counter field %j, naming the counter', (over, message) => {
    expect(badMetrics({ model: 'default', counters: [counter(over)] })).toMatch(new RegExp(`^metrics\\.counters\\[0\\]: ${message.source}`));
  });

  it('refuses a body that is not a batch or a bad model name', () => {
    expect(badMetrics(null)).toMatch(/^metrics: expected \{"model", "counters": \[\.\.\.\], "revenue"\?: \[\.\.\.\]\}/);
    expect(badMetrics([counter()])).toMatch(/^metrics: expected/);
    expect(badMetrics({ model: '../x', counters: [counter()] })).toMatch(/^metrics: "model" must be 1-64 letters/);
  });
});

describe('isCopyVariant', () => {
  it('takes exactly "none" and each copy kind with a template index 0-7: the ids the widget can produce', () => {
    const valid = ['none', ...COPY_KINDS.flatMap((kind) => Array.from({ length: COPY_VARIANTS_PER_KIND }, (_, i) => `${kind}.${i}`))];
    expect(valid).toHaveLength(113);
    for (const v of valid) expect(isCopyVariant(v)).toBe(true);
    for (const v of ['None', 'viewed', 'viewed.', '.1', 'viewed.8', 'viewed.-1', 'viewed.1.1', 'viewed.1 ', 'segment.0', 'x'.repeat(64), 3, null, undefined]) {
      expect(isCopyVariant(v)).toBe(false);
    }
  });
});

describe('parseMetricsBatch: revenue', () => {
  const revenue = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    placement: 'similar',
    modelVersion: 'v3',
    variant: 'viewed.1',
    currency: 'EUR',
    orders: 2,
    purchases: 3,
    amount: 5980,
    ...over,
  });

  it('accepts revenue sums in minor units beside the counters, or alone', () => {
    expect(parseMetricsBatch({ model: 'default', counters: [counter({ event: 'purchase', count: 2 })], revenue: [revenue(), revenue({ currency: 'JPY', amount: 1200, orders: 1 })] })).toEqual({
      model: 'default',
      counters: [counter({ event: 'purchase', count: 2 })],
      revenue: [revenue(), revenue({ currency: 'JPY', amount: 1200, orders: 1 })],
    });
    expect(parseMetricsBatch({ model: 'default', counters: [], revenue: [revenue({ amount: 0, orders: 1, purchases: 0 })] }).revenue).toEqual([revenue({ amount: 0, orders: 1, purchases: 0 })]);
    // A key's share of orders credited to another key: revenue without an order of its own.
    expect(parseMetricsBatch({ model: 'default', counters: [], revenue: [revenue({ orders: 0 })] }).revenue).toEqual([revenue({ orders: 0 })]);
    // Without revenue the batch is what it always was (no empty array added).
    expect(parseMetricsBatch({ model: 'default', counters: [counter()], revenue: [] })).toEqual({ model: 'default', counters: [counter()] });
  });

  it('reads a sum without "purchases" (from a widget before the field) as the least it holds: 1 with an amount, else 0', () => {
    const { purchases: _, ...old } = revenue({ orders: 3 });
    expect(parseMetricsBatch({ model: 'default', counters: [], revenue: [old] }).revenue).toEqual([{ ...old, purchases: 1 }]);
    expect(parseMetricsBatch({ model: 'default', counters: [], revenue: [{ ...old, amount: 0 }] }).revenue).toEqual([{ ...old, amount: 0, purchases: 0 }]);
    expect(purchasesBehind({ amount: 5980 })).toBe(1);
    expect(purchasesBehind({ amount: 0 })).toBe(0);
    expect(purchasesBehind({ amount: 5980, purchases: 7 })).toBe(7);
  });

  it.each([
    [{ purchases: 0 }, /"purchases" must be at least 1 where "amount" is above 0 \(an amount is made of purchases; got 0\)/],
    [{ purchases: -1 }, /"purchases" must be an integer 0-10000 \(got -1\)/],
    [{ purchases: 10_001 }, /"purchases" must be an integer 0-10000/],
    [{ purchases: 1.5 }, /"purchases" must be an integer 0-10000/],
    [{ purchases: '3' }, /"purchases" must be an integer 0-10000/],
    [{ purchases: null }, /"purchases" must be an integer 0-10000/],
    [{ amount: 12.5 }, /"amount" must be an integer 0-10000000000 \(minor units of the currency, e\.g\. cents\) \(got 12\.5\)/],
    [{ amount: -1 }, /"amount" must be an integer 0-10000000000/],
    [{ amount: '5980' }, /"amount" must be an integer/],
    [{ amount: 1e10 + 1 }, /"amount" must be an integer 0-10000000000/],
    [{ amount: Number.NaN }, /"amount" must be an integer/],
    [{ orders: -1 }, /"orders" must be an integer 0-10000 \(got -1\)/],
    [{ orders: 10_001 }, /"orders" must be an integer 0-10000/],
    [{ currency: 'EURO' }, /"currency" must be an ISO 4217 code such as "EUR" or "USD" \(got "EURO"\)/],
    [{ currency: 'eur' }, /"currency" must be an ISO 4217 code/],
    [{ currency: 'XYZ' }, /"currency" must be an ISO 4217 code/],
    [{ currency: undefined }, /"currency" must be an ISO 4217 code/],
    [{ placement: 'footer' }, /"placement" must be one of for-you, similar, cart, recently-viewed, trending/],
    [{ modelVersion: 'v 3' }, /"modelVersion" must be 1-64 letters/],
    [{ orderId: 'DEMO-1' }, /unknown field "orderId"/],
    [{ items: ['sku-1'] }, /unknown field "items"/],
  ])('refuses the revenue field %j, naming the entry', (over, message) => {
    expect(badMetrics({ model: 'default', counters: [counter()], revenue: [revenue(), revenue(over)] })).toMatch(new RegExp(`^metrics\\.revenue\\[1\\]: ${message.source}`));
  });

  it('refuses more revenue sums than a batch may hold, and a revenue field that is not a list', () => {
    expect(badMetrics({ model: 'default', counters: [], revenue: Array.from({ length: METRICS_LIMITS.revenue + 1 }, () => revenue()) })).toBe('metrics: "revenue" must be an array of 0-64 entries');
    expect(badMetrics({ model: 'default', counters: [], revenue: revenue() })).toMatch(/"revenue" must be an array/);
    expect(badMetrics({ model: 'default', counters: [], revenue: [null] })).toMatch(/^metrics\.revenue\[0\]: expected an object/);
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
