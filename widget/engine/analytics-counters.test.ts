import { describe, expect, it } from 'vitest';
import { METRICS_LIMITS, parseMetricsBatch } from '../../core/analytics.ts';
import { EXPERIMENT_LIMITS, advanceSession, type SessionDelta, type SessionState } from '../../core/experiment.ts';
import { AnalyticsCounters, type RevenueShare } from './analytics-counters.ts';

/** One order's share credited to its key, of one purchase, unless told otherwise. */
const share = (currency: string, amount: number, over: Partial<RevenueShare> = {}): RevenueShare => ({ currency, amount, orders: 1, purchases: 1, ...over });

function collect() {
  const sent: Array<{ url: string; body: string }> = [];
  return { sent, send: (url: string, body: string) => (sent.push({ url, body }), true) };
}

describe('AnalyticsCounters', () => {
  it('sums events into counters per placement, model version, variant and event, and sends one valid batch', () => {
    const { sent, send } = collect();
    const m = new AnalyticsCounters('https://recs.example/v1/metrics', 'default', send);
    const key = { placement: 'for-you' as const, modelVersion: 'v1', variant: 'viewed.0' };
    m.count(key, 'impression');
    m.count(key, 'impression');
    m.count(key, 'click');
    m.count({ ...key, modelVersion: 'not a token!' }, 'impression');
    m.flush();
    m.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('https://recs.example/v1/metrics');
    expect(parseMetricsBatch(JSON.parse(sent[0]!.body))).toEqual({
      model: 'default',
      counters: [
        { placement: 'for-you', modelVersion: 'v1', variant: 'viewed.0', event: 'impression', count: 2 },
        { placement: 'for-you', modelVersion: 'v1', variant: 'viewed.0', event: 'click', count: 1 },
        { placement: 'for-you', modelVersion: 'fallback', variant: 'viewed.0', event: 'impression', count: 1 },
      ],
    });
  });

  it('flushes before a batch would exceed the contract limits', () => {
    const { sent, send } = collect();
    const m = new AnalyticsCounters('/v1/metrics', 'default', send);
    for (let i = 0; i < METRICS_LIMITS.counters + 5; i++) m.count({ placement: 'cart', modelVersion: `v${i}`, variant: 'none' }, 'click');
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body).counters).toHaveLength(METRICS_LIMITS.counters);
  });

  it('sums revenue, orders and purchases per placement, version, variant and currency in minor units, and sends them with the counters', () => {
    const { sent, send } = collect();
    const m = new AnalyticsCounters('/v1/metrics', 'default', send);
    const key = { placement: 'similar' as const, modelVersion: 'v1', variant: 'viewed.1' };
    m.count(key, 'purchase');
    expect(m.revenue(key, share('EUR', 2990, { purchases: 2 }))).toBe(true);
    expect(m.revenue(key, share('EUR', 1))).toBe(true);
    // This key's share of an order credited to another key: its amount, no order.
    expect(m.revenue(key, share('EUR', 500, { orders: 0 }))).toBe(true);
    // An order of free products credited to this key: an order, no amount, no purchase behind an amount.
    expect(m.revenue(key, share('EUR', 0, { purchases: 0 }))).toBe(true);
    expect(m.revenue(key, share('JPY', 1200))).toBe(true);
    m.flush();
    expect(parseMetricsBatch(JSON.parse(sent[0]!.body))).toEqual({
      model: 'default',
      counters: [{ ...key, event: 'purchase', count: 1 }],
      revenue: [
        { ...key, currency: 'EUR', orders: 3, purchases: 4, amount: 3491 },
        { ...key, currency: 'JPY', orders: 1, purchases: 1, amount: 1200 },
      ],
    });
  });

  it('refuses amounts the contract cannot carry, and flushes before a sum would pass its limit', () => {
    const { sent, send } = collect();
    const m = new AnalyticsCounters('/v1/metrics', 'default', send);
    const key = { placement: 'cart' as const, modelVersion: 'v1', variant: 'none' };
    for (const [currency, amount] of [['EUR', 12.5], ['EUR', -1], ['EUR', METRICS_LIMITS.amount + 1], ['EURO', 100], ['eur', 100]] as const) {
      expect(m.revenue(key, share(currency, amount))).toBe(false);
    }
    for (const purchases of [0, -1, 1.5, METRICS_LIMITS.count + 1]) expect(m.revenue(key, share('EUR', 100, { purchases }))).toBe(false);
    expect(m.pending()).toBeUndefined();
    m.revenue(key, share('EUR', METRICS_LIMITS.amount - 10));
    m.revenue(key, share('EUR', 20));
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body).revenue).toEqual([{ ...key, currency: 'EUR', orders: 1, purchases: 1, amount: METRICS_LIMITS.amount - 10 }]);
    expect(m.pending()!.revenue).toEqual([{ ...key, currency: 'EUR', orders: 1, purchases: 1, amount: 20 }]);
    // Purchases are limited like orders: a sum that would pass the limit goes out first.
    m.revenue(key, share('EUR', 30, { orders: 0, purchases: METRICS_LIMITS.count - 1 }));
    m.revenue(key, share('EUR', 40, { orders: 0, purchases: 2 }));
    expect(sent).toHaveLength(2);
    expect(JSON.parse(sent[1]!.body).revenue).toEqual([{ ...key, currency: 'EUR', orders: 1, purchases: METRICS_LIMITS.count, amount: 50 }]);
    expect(m.pending()!.revenue).toEqual([{ ...key, currency: 'EUR', orders: 0, purchases: 2, amount: 40 }]);
    for (let i = 0; i < METRICS_LIMITS.revenue; i++) m.revenue({ ...key, modelVersion: `v${i}` }, share('USD', 1));
    expect(sent).toHaveLength(3);
    expect(JSON.parse(sent[2]!.body).revenue).toHaveLength(METRICS_LIMITS.revenue);
  });

  it('sends on leaving, and sends what is counted after leaving at once, one batch per task, until shown again', async () => {
    const { sent, send } = collect();
    const m = new AnalyticsCounters('/v1/metrics', 'default', send);
    const key = { placement: 'similar' as const, modelVersion: 'v1', variant: 'viewed.1' };
    m.count(key, 'impression');
    m.setLeaving(true);
    expect(sent).toHaveLength(1);
    // A purchase taken in after pagehide: its counter and revenue go out together, with no flush asked for.
    m.count(key, 'purchase');
    m.revenue(key, share('EUR', 2990));
    await Promise.resolve();
    expect(sent).toHaveLength(2);
    expect(parseMetricsBatch(JSON.parse(sent[1]!.body))).toEqual({ model: 'default', counters: [{ ...key, event: 'purchase', count: 1 }], revenue: [{ ...key, currency: 'EUR', orders: 1, purchases: 1, amount: 2990 }] });
    // Shown again (back from the back/forward cache): batched as before.
    m.setLeaving(false);
    m.count(key, 'click');
    await Promise.resolve();
    expect(sent).toHaveLength(2);
    expect(m.pending()!.counters).toEqual([{ ...key, event: 'click', count: 1 }]);
  });

  it('counts nothing while disabled and drops what was counted on clear()', () => {
    const { sent, send } = collect();
    const m = new AnalyticsCounters('/v1/metrics', 'default', send);
    m.count({ placement: 'cart', modelVersion: 'v1', variant: 'none' }, 'click');
    m.revenue({ placement: 'cart', modelVersion: 'v1', variant: 'none' }, share('EUR', 100));
    m.clear();
    expect(m.pending()).toBeUndefined();
    m.setEnabled(false);
    m.count({ placement: 'cart', modelVersion: 'v1', variant: 'none' }, 'click');
    m.revenue({ placement: 'cart', modelVersion: 'v1', variant: 'none' }, share('EUR', 100));
    m.flush();
    expect(sent).toEqual([]);
  });

  it('sums experiment sessions per arm and revenue per arm and currency, and sends them with nothing per session', () => {
    const { sent, send } = collect();
    const m = new AnalyticsCounters('/v1/metrics', 'default', send);
    // Two sessions of one device (say one before and one after a 30-minute pause), the second with two orders.
    let state: SessionState | undefined;
    const step = (input: Parameters<typeof advanceSession>[1], at: number): SessionDelta => {
      const r = advanceSession(state, input, at, 'spring', 'treatment');
      state = r.state;
      return r.delta;
    };
    for (const [input, at] of [
      [{ kind: 'exposure' }, 0],
      [{ kind: 'add_to_cart' }, 1],
      [{ kind: 'exposure' }, 10 ** 8],
      [{ kind: 'purchase', currency: 'EUR', amount: 1000 }, 10 ** 8 + 1],
      [{ kind: 'purchase', currency: 'EUR', amount: 500 }, 10 ** 8 + 2],
    ] as const) {
      m.addExperiment('spring', 'treatment', step(input, at));
    }
    m.addExperiment('spring', 'control', { sessions: 1, cartSessions: 0, purchaseSessions: 0, orders: 0, revenue: [] });
    // A delta that adds nothing adds no entry.
    m.addExperiment('other', 'control', { sessions: 0, cartSessions: 0, purchaseSessions: 0, orders: 0, revenue: [] });
    m.flush();
    expect(sent).toHaveLength(1);
    expect(parseMetricsBatch(JSON.parse(sent[0]!.body))).toEqual({
      model: 'default',
      counters: [],
      experiments: [
        { experiment: 'spring', arm: 'treatment', sessions: 2, cartSessions: 1, purchaseSessions: 1, orders: 2 },
        { experiment: 'spring', arm: 'control', sessions: 1, cartSessions: 0, purchaseSessions: 0, orders: 0 },
      ],
      // The second session's revenue squared: 1500², from the two orders' increments.
      experimentRevenue: [{ experiment: 'spring', arm: 'treatment', currency: 'EUR', amount: 1500, squares: 1500 ** 2 }],
    });
  });

  it('flushes experiment sums before they pass the contract limits, and counts none while disabled', () => {
    const { sent, send } = collect();
    const m = new AnalyticsCounters('/v1/metrics', 'default', send);
    const one: SessionDelta = { sessions: 1, cartSessions: 0, purchaseSessions: 0, orders: 0, revenue: [] };
    for (let i = 0; i < EXPERIMENT_LIMITS.count + 1; i++) m.addExperiment('spring', 'treatment', one);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body).experiments[0].sessions).toBe(EXPERIMENT_LIMITS.count);
    for (let i = 0; i < EXPERIMENT_LIMITS.entries + 1; i++) m.addExperiment(`e${i}`, 'control', one);
    expect(sent).toHaveLength(2);
    m.clear();
    m.setEnabled(false);
    expect(m.counting).toBe(false);
    m.addExperiment('spring', 'control', one);
    expect(m.pending()).toBeUndefined();
  });
});
