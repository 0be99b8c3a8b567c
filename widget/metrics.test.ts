import { describe, expect, it } from 'vitest';
import { METRICS_LIMITS, parseMetricsBatch } from '../core/analytics.ts';
import { Metrics } from './metrics.ts';

function collect() {
  const sent: Array<{ url: string; body: string }> = [];
  return { sent, send: (url: string, body: string) => (sent.push({ url, body }), true) };
}

describe('Metrics', () => {
  it('sums events into counters per placement, model version, variant and event, and sends one valid batch', () => {
    const { sent, send } = collect();
    const m = new Metrics('https://recs.example/v1/metrics', 'default', send);
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
    const m = new Metrics('/v1/metrics', 'default', send);
    for (let i = 0; i < METRICS_LIMITS.counters + 5; i++) m.count({ placement: 'cart', modelVersion: `v${i}`, variant: 'none' }, 'click');
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body).counters).toHaveLength(METRICS_LIMITS.counters);
  });

  it('counts nothing while disabled and drops what was counted on clear()', () => {
    const { sent, send } = collect();
    const m = new Metrics('/v1/metrics', 'default', send);
    m.count({ placement: 'cart', modelVersion: 'v1', variant: 'none' }, 'click');
    m.clear();
    m.setEnabled(false);
    m.count({ placement: 'cart', modelVersion: 'v1', variant: 'none' }, 'click');
    m.flush();
    expect(sent).toEqual([]);
  });
});
