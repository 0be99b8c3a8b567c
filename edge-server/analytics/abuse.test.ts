/**
 * `POST /v1/metrics` against forged traffic, on the real app with the in-memory store: only the copy
 * variants the widget can produce, a cap on the cells per model and day (drops counted and shown), a
 * per-source rate limit that honest widget traffic never reaches, and a read-out of bounded size.
 */
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { COPY_KINDS, METRICS_FLUSH_MS, METRICS_LIMITS, PLACEMENTS, type MetricCounter } from '../../core/analytics.ts';
import { createApp, type AppOptions } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { ANALYTICS_DEFAULTS } from './settings.ts';
import { rateLimiter } from '../middleware/rate-limit.ts';
import { publishArtifact } from '../models/registry.ts';
import { expectError, memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';
import { createMemoryAnalytics } from './memory.ts';
import type { MetricsReadout } from './readout.ts';
import type { AnalyticsStore } from './store.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const ADMIN = { Authorization: `Bearer ${TOKEN}` };
const today = (): string => new Date().toISOString().slice(0, 10);

/** An app whose peer is the `x-test-peer` header, as a socket address or a trusted proxy's would be. */
async function setup(analytics: AppOptions['analytics'] = {}): Promise<{ app: Hono; store: AnalyticsStore }> {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
  const store = createMemoryAnalytics();
  const app = createApp({
    storage,
    trustedKeys: trusted,
    widget: memoryWidget({}),
    adminTokens: [TOKEN],
    analytics: { store, suppressBelow: 1, ...analytics },
    peer: (c) => ({ address: c.req.header('x-test-peer') ?? null, secure: false }),
  });
  return { app, store };
}

const counter = (variant: string, event: MetricCounter['event'] = 'impression', count = 1, placement: MetricCounter['placement'] = 'for-you'): MetricCounter => ({ placement, modelVersion: 'v1', variant, event, count });

function post(app: Hono, counters: MetricCounter[], peer = '198.51.100.7'): Promise<Response> {
  return Promise.resolve(
    app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'x-test-peer': peer }, body: JSON.stringify({ model: 'default', counters }) }),
  );
}

async function readout(app: Hono, query = ''): Promise<MetricsReadout> {
  const res = await app.request(`/v1/admin/metrics?model=default${query}`, { headers: ADMIN });
  expect(res.status).toBe(200);
  return (await res.json()) as MetricsReadout;
}

/** Every cell one model version can have in a day: placements x the 97 variants x events. */
const everyVariant = ['none', ...COPY_KINDS.flatMap((k) => Array.from({ length: 8 }, (_, i) => `${k}.${i}`))];

describe('POST /v1/metrics: variants', () => {
  it('refuses a batch naming a variant no widget produces, with a 400 listing the valid ids, and keeps nothing of it', async () => {
    const { app, store } = await setup();
    for (const variant of ['flood-00001', 'viewed.8', 'segment.0']) {
      const message = await expectError(await post(app, [counter('viewed.1'), counter(variant)]), 400, 'bad_metrics');
      expect(message).toBe(`metrics.counters[1]: "variant" must be "none" or a copy kind and a template index 0-7 ("viewed.1"; kinds: ${COPY_KINDS.join(', ')}) (got "${variant}")`);
    }
    expect(await store.readMetrics('default')).toEqual([]);
    expect((await post(app, [counter('viewed.7'), counter('none')])).status).toBe(202);
  });
});

describe('POST /v1/metrics: cells per model and day', () => {
  it('drops new cells past the cap, counts and shows the drop, and keeps counting the cells it has', async () => {
    const { app, store } = await setup({ maxCellsPerDay: 10 });
    const first = everyVariant.slice(0, 8).map((v) => counter(v));
    expect(await (await post(app, first)).json()).toEqual({ accepted: 8, dropped: 0 });
    // 2 more fit; the other 6 of this batch are dropped, the existing 8 count on.
    const res = await post(app, [...everyVariant.slice(8, 16).map((v) => counter(v)), ...first]);
    expect(await res.json()).toEqual({ accepted: 10, dropped: 6 });
    expect(await (await post(app, [counter('none', 'impression', 5)])).json()).toEqual({ accepted: 1, dropped: 0 });
    const rows = await store.readMetrics('default');
    expect(rows).toHaveLength(10);
    expect(rows.find((r) => r.variant === 'none')!.count).toBe(7);
    const body = await readout(app);
    expect(body.maxCellsPerDay).toBe(10);
    expect(body.dropped).toEqual([{ day: today(), entries: 6 }]);
    const html = await (await app.request('/dashboard?model=default', { headers: ADMIN })).text();
    expect(html).toContain(`on ${today()} (6) the model reached its 10 distinct counters for the day`);
  });

  it('caps revenue cells with the counters, and refuses a bad cap when the app is built', async () => {
    const { app } = await setup({ maxCellsPerDay: 2 });
    const body = (revenue: unknown[]): string => JSON.stringify({ model: 'default', counters: [counter('none'), counter('viewed.0')], revenue });
    const sum = (currency: string) => ({ placement: 'for-you', modelVersion: 'v1', variant: 'none', currency, orders: 1, purchases: 1, amount: 100 });
    const res = await app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body([sum('EUR'), sum('USD')]) });
    expect(await res.json()).toEqual({ accepted: 2, dropped: 2 });
    expect(() => createApp({ storage: createMemoryStorage(), trustedKeys: [], widget: memoryWidget({}), analytics: { maxCellsPerDay: 0 } })).toThrow(/analytics\.maxCellsPerDay must be a positive integer/);
  });
});

describe('POST /v1/metrics: rate limit per source', () => {
  it('answers 429 with Retry-After to one source past its burst, while other sources still count', async () => {
    const { app, store } = await setup({ metricsRateLimit: { perSecond: 0.5, burst: 5 } });
    for (let i = 0; i < 5; i++) expect((await post(app, [counter('none')])).status).toBe(202);
    const limited = await post(app, [counter('none')]);
    expect(await expectError(limited, 429, 'rate_limited')).toMatch(/too many metric batches from this network source; retry in 2 s/);
    expect(limited.headers.get('Retry-After')).toBe('2');
    // The same IPv6 /64 is one source; another address is another.
    expect((await post(app, [counter('none')], '2001:db8:1:2::1')).status).toBe(202);
    for (let i = 0; i < 4; i++) await post(app, [counter('none')], `2001:db8:1:2::${i + 2}`);
    expect((await post(app, [counter('none')], '2001:db8:1:2:ffff::9')).status).toBe(429);
    expect((await post(app, [counter('none')], '203.0.113.9')).status).toBe(202);
    expect((await store.readMetrics('default'))[0]!.count).toBe(11);
    expect(() => createApp({ storage: createMemoryStorage(), trustedKeys: [], widget: memoryWidget({}), analytics: { metricsRateLimit: { burst: 0 } } })).toThrow(
      /analytics\.metricsRateLimit\.burst must be a positive integer \(got 0\)/,
    );
  });

  it('never limits what honest widget tabs send: a flush a minute, and a batch per page hidden or left, for several shoppers on one address', () => {
    // The default limit, on a clock: 8 shoppers behind one address (a household, an office), each with 2
    // tabs open (a flush every METRICS_FLUSH_MS) and browsing a page every 3 s without pause (each page
    // left sends 1 batch; once a minute a second one, a purchase on a thank-you page), for an hour.
    let now = 0;
    const limiter = rateLimiter(ANALYTICS_DEFAULTS.metricsRateLimit, () => now);
    const sends: number[] = [];
    for (let shopper = 0; shopper < 8; shopper++) {
      for (let t = shopper * 100; t < 3600_000; t += 3_000) sends.push(t, ...(t % 60_000 === 0 ? [t + 1] : []));
      for (let tab = 0; tab < 2; tab++) for (let t = shopper * 37 + tab * 11; t < 3600_000; t += METRICS_FLUSH_MS) sends.push(t);
    }
    sends.sort((a, b) => a - b);
    let refused = 0;
    for (const t of sends) {
      now = t;
      if (!limiter.take('198.51.100.7').ok) refused++;
    }
    expect(sends.length).toBeGreaterThan(9_000);
    expect(refused).toBe(0);
  });

  it('keeps at most `sources` buckets however many addresses send', () => {
    const limiter = rateLimiter({ perSecond: 1, burst: 2, sources: 100 }, () => 0);
    for (let i = 0; i < 50_000; i++) limiter.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.size).toBe(100);
    // The most recent sources are remembered with their empty buckets.
    limiter.take('10.0.195.79');
    expect(limiter.take('10.0.195.79')).toEqual({ ok: false, retryAfter: 1 });
  });
});

describe('GET /v1/admin/metrics: bounded', () => {
  it('sums a range of days (28 by default) and lists the finest groups a page at a time', async () => {
    const { app, store } = await setup();
    // 5 placements x 21 variants = 105 groups today; one old day outside the default range.
    for (const placement of PLACEMENTS) expect((await post(app, everyVariant.slice(0, 21).map((v) => counter(v, 'impression', 2, placement)), `192.0.2.${PLACEMENTS.indexOf(placement)}`)).status).toBe(202);
    await store.addMetrics('default', '2020-01-01', [counter('none', 'impression', 1000)]);
    const first = await readout(app, '&limit=30');
    expect(first).toMatchObject({ to: today(), groupCount: 105 });
    expect(first.groups).toHaveLength(30);
    expect(first.byPlacement.reduce((n, p) => n + p.impression!, 0)).toBe(210);
    const seen = [...first.groups];
    let cursor = first.nextCursor;
    while (cursor !== null) {
      const page = await readout(app, `&limit=30&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...page.groups);
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(105);
    expect(new Set(seen.map((g) => `${g.placement}/${g.variant}`)).size).toBe(105);
    const old = await readout(app, '&to=2020-01-01&days=1');
    expect(old).toMatchObject({ from: '2020-01-01', to: '2020-01-01', groupCount: 1, byPlacement: [{ placement: 'for-you', impression: 1000 }] });
    await expectError(await app.request('/v1/admin/metrics?model=default&days=93', { headers: ADMIN }), 400, 'bad_days');
    await expectError(await app.request('/v1/admin/metrics?model=default&limit=501', { headers: ADMIN }), 400, 'bad_limit');
    await expectError(await app.request('/v1/admin/metrics?model=default&to=2020-02-30', { headers: ADMIN }), 400, 'bad_range');
    await expectError(await app.request('/v1/admin/metrics?model=default&cursor=x', { headers: ADMIN }), 400, 'bad_cursor');
    // The dashboard shows one page of groups and links the next.
    const html = await (await app.request('/dashboard?model=default', { headers: ADMIN })).text();
    expect(html).toContain('100 of 105 rows shown');
    expect(html).toContain(`cursor=${encodeURIComponent(first.nextCursor === null ? '' : (await readout(app)).nextCursor!)}`);
    expect(html).toContain(`Figures sum ${first.from} to ${today()} (UTC days).`);
  });
});

describe('revenue sums stay exact', () => {
  it('keeps a cell at most METRICS_LIMITS.cellAmount: an entry that would pass it is dropped and counted, the sum stays exact', async () => {
    const store = createMemoryAnalytics();
    const sum = (amount: number) => ({ placement: 'for-you' as const, modelVersion: 'v1', variant: 'none', currency: 'EUR', orders: 1, purchases: 1, amount });
    const day = today();
    expect(await store.addMetrics('m', day, [], [sum(METRICS_LIMITS.cellAmount - 5), sum(5)])).toEqual({ dropped: 0 });
    expect(await store.addMetrics('m', day, [], [sum(1), sum(METRICS_LIMITS.amount)])).toEqual({ dropped: 2 });
    expect((await store.readRevenue('m')).map((r) => r.amount)).toEqual([METRICS_LIMITS.cellAmount]);
    expect(await store.readDropped('m')).toEqual([{ day, entries: 2 }]);
  });
});
