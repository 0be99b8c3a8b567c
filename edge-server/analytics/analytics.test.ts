import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { METRICS_LIMITS, parsePopular, type Placement } from '../../core/analytics.ts';
import { parseProduct } from '../../core/catalog.ts';
import { publishArtifact } from '../models/registry.ts';
import { createApp, type AppOptions } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { expectError, memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';
import { createMemoryAnalytics } from './memory.ts';
import { decayedAdd, decayTo, popularityStore } from './popularity.ts';
import { metricsReadout } from './readout.ts';
import type { AnalyticsStore, MetricRow, RevenueRow } from './store.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const ADMIN = { Authorization: `Bearer ${TOKEN}` };
const DAY = 24 * 3600 * 1000;

async function setup(overrides: Partial<AppOptions> = {}): Promise<{ app: Hono; store: AnalyticsStore }> {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
  const store = createMemoryAnalytics();
  const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], analytics: { store }, ...overrides });
  return { app, store };
}

const counter = (event: string, count: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  placement: 'for-you',
  modelVersion: 'v1',
  variant: 'viewed.1',
  event,
  count,
  ...over,
});

function post(app: Hono, body: unknown, contentType = 'application/json'): Promise<Response> {
  return Promise.resolve(app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) }));
}

describe('POST /v1/metrics', () => {
  it('accepts a batch (202) and sums it per placement, version, variant, event and UTC day', async () => {
    const { app, store } = await setup();
    const res = await post(app, { model: 'default', counters: [counter('impression', 20), counter('click', 3)] });
    expect(res.status).toBe(202);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ accepted: 2, dropped: 0 });
    // sendBeacon's text/plain is accepted too.
    expect((await post(app, { model: 'default', counters: [counter('impression', 5)] }, 'text/plain;charset=UTF-8')).status).toBe(202);
    const day = new Date().toISOString().slice(0, 10);
    const rows = await store.readMetrics('default');
    expect(rows.sort((a, b) => a.event.localeCompare(b.event))).toEqual([
      { day, placement: 'for-you', modelVersion: 'v1', variant: 'viewed.1', event: 'click', count: 3 },
      { day, placement: 'for-you', modelVersion: 'v1', variant: 'viewed.1', event: 'impression', count: 25 },
    ]);
  });

  it('refuses fields that could identify a client, naming them, and stores nothing of the batch', async () => {
    const { app, store } = await setup();
    expect(await expectError(await post(app, { model: 'default', counters: [counter('click', 1)], clientId: 'abc' }), 400, 'bad_metrics')).toBe('metrics: unknown field "clientId"');
    await expectError(await post(app, { model: 'default', counters: [counter('click', 1), counter('click', 1, { sessionId: 's' })] }), 400, 'bad_metrics');
    expect(await store.readMetrics('default')).toEqual([]);
  });

  it('refuses an unpublished model (404), an unknown version (400), malformed JSON, other media types and oversized bodies', async () => {
    const { app } = await setup();
    await expectError(await post(app, { model: 'nope', counters: [counter('click', 1)] }), 404, 'unknown_model');
    expect(await expectError(await post(app, { model: 'default', counters: [counter('click', 1, { modelVersion: 'v9' })] }), 400, 'unknown_version')).toMatch(/use "fallback"/);
    expect((await post(app, { model: 'default', counters: [counter('click', 1, { modelVersion: 'fallback' })] })).status).toBe(202);
    await expectError(await post(app, '{"model":'), 400, 'bad_json');
    await expectError(await post(app, { model: 'default', counters: [] }, 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    await expectError(await post(app, 'x'.repeat(METRICS_LIMITS.bytes + 1)), 413, 'payload_too_large');
    await expectError(await app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: new Uint8Array([0xff, 0xfe]) }), 400, 'bad_encoding');
  });

  it('accepts a version published after the first batch was checked', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
    const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}) });
    expect((await post(app, { model: 'default', counters: [counter('click', 1)] })).status).toBe(202);
    await publishArtifact(storage, await tinyArtifact(key, 'v2', 2), { trusted });
    expect((await post(app, { model: 'default', counters: [counter('click', 1, { modelVersion: 'v2' })] })).status).toBe(202);
  });
});

describe('GET /v1/admin/metrics', () => {
  it('reports counts from 1 to below k as null (0 as 0), and rates only from shown counts', async () => {
    const { app } = await setup();
    await post(app, {
      model: 'default',
      counters: [counter('impression', 200), counter('click', 20), counter('purchase', 3), counter('impression', 40, { placement: 'cart', variant: 'none' }), counter('click', 9, { placement: 'cart', variant: 'none' })],
    });
    const res = await app.request('/v1/admin/metrics?model=default', { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as ReturnType<typeof metricsReadout>;
    expect(body.suppressedBelow).toBe(10);
    expect(body.byPlacement).toEqual([
      { placement: 'cart', impression: 40, click: null, add_to_cart: 0, purchase: 0, ctr: null, conversion: null, revenue: {} },
      { placement: 'for-you', impression: 200, click: 20, add_to_cart: 0, purchase: null, ctr: 0.1, conversion: null, revenue: {} },
    ]);
    expect(body.daily).toHaveLength(2);
    expect(body.groups[1]).toMatchObject({ placement: 'for-you', modelVersion: 'v1', variant: 'viewed.1', impression: 200 });
  });

  it('uses the configured k, needs the admin token and a model', async () => {
    const { app } = await setup({ analytics: { suppressBelow: 1 } });
    await post(app, { model: 'default', counters: [counter('purchase', 1)] });
    const body = (await (await app.request('/v1/admin/metrics?model=default', { headers: ADMIN })).json()) as ReturnType<typeof metricsReadout>;
    expect(body.byPlacement[0]!.purchase).toBe(1);
    await expectError(await app.request('/v1/admin/metrics?model=default'), 401, 'unauthorized');
    await expectError(await app.request('/v1/admin/metrics', { headers: ADMIN }), 400, 'bad_model');
  });

  it('refuses a non-positive k when the app is built', async () => {
    const { trusted } = await signer();
    const base = { storage: createMemoryStorage(), trustedKeys: trusted, widget: memoryWidget({}) };
    expect(() => createApp({ ...base, analytics: { suppressBelow: 0 } })).toThrow(/analytics\.suppressBelow must be a positive integer/);
    expect(() => createApp({ ...base, analytics: { halfLifeDays: -1 } })).toThrow(/analytics\.halfLifeDays must be a positive number of days/);
    expect(() => createApp({ ...base, analytics: { store: {} as AnalyticsStore } })).toThrow(/analytics\.store must be an AnalyticsStore/);
  });
});

describe('metricsReadout', () => {
  it('computes CTR as clicks per impression and conversion as purchases per click', () => {
    const rows: MetricRow[] = [
      { day: '2026-03-01', placement: 'similar', modelVersion: 'v1', variant: 'a', event: 'impression', count: 1000 },
      { day: '2026-03-02', placement: 'similar', modelVersion: 'v1', variant: 'a', event: 'impression', count: 1000 },
      { day: '2026-03-01', placement: 'similar', modelVersion: 'v1', variant: 'a', event: 'click', count: 50 },
      { day: '2026-03-01', placement: 'similar', modelVersion: 'v2', variant: 'b', event: 'click', count: 50 },
      { day: '2026-03-02', placement: 'similar', modelVersion: 'v1', variant: 'a', event: 'purchase', count: 10 },
    ];
    const r = metricsReadout('m', rows, 10);
    expect(r.byVariant).toEqual([
      { placement: 'similar', variant: 'a', impression: 2000, click: 50, add_to_cart: 0, purchase: 10, ctr: 0.025, conversion: 0.2, revenue: {} },
      { placement: 'similar', variant: 'b', impression: 0, click: 50, add_to_cart: 0, purchase: 0, ctr: null, conversion: 0, revenue: {} },
    ]);
    expect(r.byVersion.map((v) => v.modelVersion)).toEqual(['v1', 'v2']);
    expect(r.daily.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02']);
  });

  it('shows a count of 0 as 0 at any k (it points at no shopper), and a rate with a 0 denominator as null', () => {
    const rows: MetricRow[] = [
      { day: '2026-03-01', placement: 'similar', modelVersion: 'v1', variant: 'a', event: 'impression', count: 12 },
      { day: '2026-03-01', placement: 'similar', modelVersion: 'v1', variant: 'a', event: 'click', count: 3 },
      { day: '2026-03-01', placement: 'cart', modelVersion: 'v1', variant: 'none', event: 'impression', count: 4 },
    ];
    // k = 1 (a test shop): nothing is hidden; no purchase after 3 clicks is a conversion of 0, and the
    // cart row, never clicked, has a CTR of 0 and no conversion at all (nothing to divide by).
    expect(metricsReadout('m', rows, 1).byPlacement).toEqual([
      { placement: 'cart', impression: 4, click: 0, add_to_cart: 0, purchase: 0, ctr: 0, conversion: null, revenue: {} },
      { placement: 'similar', impression: 12, click: 3, add_to_cart: 0, purchase: 0, ctr: 0.25, conversion: 0, revenue: {} },
    ]);
    // k = 10: 3 clicks and 4 impressions are hidden, and every rate that needs them; the zeros are not.
    expect(metricsReadout('m', rows, 10).byPlacement).toEqual([
      { placement: 'cart', impression: null, click: 0, add_to_cart: 0, purchase: 0, ctr: null, conversion: null, revenue: {} },
      { placement: 'similar', impression: 12, click: null, add_to_cart: 0, purchase: 0, ctr: null, conversion: null, revenue: {} },
    ]);
  });
});

describe('revenue', () => {
  const sum = (currency: string, orders: number, purchases: number, amount: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
    placement: 'for-you',
    modelVersion: 'v1',
    variant: 'viewed.1',
    currency,
    orders,
    purchases,
    amount,
    ...over,
  });

  it('sums revenue, orders and purchases per placement, version, variant, currency and UTC day, exactly in minor units', async () => {
    const { app, store } = await setup();
    // 0.10 EUR three thousand times: 300.00 exactly (a float sum of 0.1 would drift).
    for (let i = 0; i < 3; i++) {
      const res = await post(app, { model: 'default', counters: [counter('purchase', 1000)], revenue: Array.from({ length: 10 }, () => sum('EUR', 100, 90, 1000)) });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 11, dropped: 0 });
    }
    expect((await post(app, { model: 'default', counters: [], revenue: [sum('JPY', 2, 3, 2400, { placement: 'cart', variant: 'none', modelVersion: 'fallback' })] })).status).toBe(202);
    const day = new Date().toISOString().slice(0, 10);
    const rows = await store.readRevenue('default');
    expect(rows.sort((a, b) => a.currency.localeCompare(b.currency))).toEqual([
      { day, placement: 'for-you', modelVersion: 'v1', variant: 'viewed.1', currency: 'EUR', orders: 3000, purchases: 2700, amount: 30_000 },
      { day, placement: 'cart', modelVersion: 'fallback', variant: 'none', currency: 'JPY', orders: 2, purchases: 3, amount: 2400 },
    ]);
  });

  it('takes a revenue sum without purchases, from a widget of before the field, as the one purchase it surely holds', async () => {
    const { app, store } = await setup();
    const { purchases: _, ...old } = sum('EUR', 4, 0, 5_000);
    expect((await post(app, { model: 'default', counters: [], revenue: [old] })).status).toBe(202);
    expect((await post(app, { model: 'default', counters: [], revenue: [sum('EUR', 2, 3, 1_000)] })).status).toBe(202);
    expect(await store.readRevenue('default')).toEqual([expect.objectContaining({ currency: 'EUR', orders: 6, purchases: 4, amount: 6_000 })]);
  });

  it.each([
    [sum('EUR', 1, 1, 12.5), /^metrics\.revenue\[0\]: "amount" must be an integer/],
    [sum('EUR', 1, 1, -100), /"amount" must be an integer 0-/],
    [sum('EUR', 1, 1, 1e13), /"amount" must be an integer 0-10000000000/],
    [sum('EURO', 1, 1, 100), /"currency" must be an ISO 4217 code/],
    [sum('EUR', -1, 1, 100), /"orders" must be an integer 0-10000/],
    [sum('EUR', 1, 10_001, 100), /"purchases" must be an integer 0-10000/],
    [sum('EUR', 1, 0, 100), /"purchases" must be at least 1 where "amount" is above 0/],
    [{ ...sum('EUR', 1, 1, 100), orderId: 'DEMO-1' }, /unknown field "orderId"/],
  ])('refuses a batch whose revenue sum is %j (400), storing nothing of it', async (bad, message) => {
    const { app, store } = await setup();
    expect(await expectError(await post(app, { model: 'default', counters: [counter('click', 1)], revenue: [bad] }), 400, 'bad_metrics')).toMatch(message);
    expect(await store.readMetrics('default')).toEqual([]);
    expect(await store.readRevenue('default')).toEqual([]);
  });

  it('refuses revenue for a version the model never published', async () => {
    const { app, store } = await setup();
    await expectError(await post(app, { model: 'default', counters: [], revenue: [sum('EUR', 1, 1, 100, { modelVersion: 'v9' })] }), 400, 'unknown_version');
    expect(await store.readRevenue('default')).toEqual([]);
  });

  it('reads out revenue per currency with revenue per impression and per click, hidden behind fewer than k purchases', async () => {
    const { app } = await setup();
    await post(app, {
      model: 'default',
      counters: [counter('impression', 1000), counter('click', 100), counter('purchase', 15), counter('impression', 50, { placement: 'cart', variant: 'none' }), counter('click', 20, { placement: 'cart', variant: 'none' })],
      revenue: [sum('EUR', 12, 12, 123_456), sum('USD', 3, 3, 9_000), sum('EUR', 9, 9, 5_000, { placement: 'cart', variant: 'none' })],
    });
    const body = (await (await app.request('/v1/admin/metrics?model=default', { headers: ADMIN })).json()) as ReturnType<typeof metricsReadout>;
    const forYou = body.groups.find((g) => g.placement === 'for-you')!;
    expect(forYou.revenue).toEqual({
      EUR: { orders: 12, amount: '1234.56', perImpression: 1.2346, perClick: 12.3456 },
      USD: { orders: null, amount: null, perImpression: null, perClick: null },
    });
    // 9 purchases are below k = 10: the cart row's revenue is not shown.
    expect(body.byPlacement.find((p) => p.placement === 'cart')!.revenue).toEqual({ EUR: { orders: null, amount: null, perImpression: null, perClick: null } });
    // Over every placement the EUR purchases pass k (21); the 50 impressions of the cart row are counted in.
    expect(body.byVersion).toEqual([
      expect.objectContaining({ modelVersion: 'v1', impression: 1050, click: 120, revenue: { EUR: { orders: 21, amount: '1284.56', perImpression: 1.2234, perClick: 10.7047 }, USD: { orders: null, amount: null, perImpression: null, perClick: null } } }),
    ]);
  });

  it('adds up orders over rows: a row\'s share of orders credited to another row adds revenue and no order', async () => {
    const { app } = await setup();
    // Twelve orders credited to for-you, whose cart-row products took 30.00 of them.
    await post(app, { model: 'default', counters: [], revenue: [sum('EUR', 12, 12, 120_000), sum('EUR', 0, 3, 3_000, { placement: 'cart', variant: 'none' })] });
    const body = (await (await app.request('/v1/admin/metrics?model=default', { headers: ADMIN })).json()) as ReturnType<typeof metricsReadout>;
    expect(body.byPlacement.map((p) => [p.placement, p.revenue.EUR])).toEqual([
      ['cart', { orders: 0, amount: null, perImpression: null, perClick: null }],
      ['for-you', { orders: 12, amount: '1200.00', perImpression: null, perClick: null }],
    ]);
    expect(body.byVersion[0]!.revenue.EUR).toEqual({ orders: 12, amount: '1230.00', perImpression: null, perClick: null });
  });
});

describe('metricsReadout: revenue', () => {
  const day = '2026-03-01';
  const purchases = (placement: Placement, modelVersion: string, variant: string, count: number): MetricRow => ({ day, placement, modelVersion, variant, event: 'purchase', count });
  /** A revenue cell: `bought` purchases make up its `amount`. */
  const share = (placement: Placement, modelVersion: string, variant: string, orders: number, bought: number, amount: number, currency = 'USD', on = day): RevenueRow => ({
    day: on,
    placement,
    modelVersion,
    variant,
    currency,
    orders,
    purchases: bought,
    amount,
  });
  const total = (rows: ReadonlyArray<{ revenue: Record<string, { amount: string | null }> }>): number =>
    rows.reduce((sum, r) => sum + Math.round(Number(r.revenue.USD?.amount ?? Number.NaN) * 100), 0);

  it('shows every revenue figure at k = 1, so the revenue of every table adds up to the same total', () => {
    // Orders credited to the similar row hold products clicked on the cart and for-you rows too: those
    // rows get their lines' shares (33.20 USD in all) and no order, as in a merchant's first week. The
    // cart row also has an order of free products (no amount, no purchase behind one), and purchases
    // without a price: its purchase counter (4) is more than the purchases behind its amount (1).
    const rows = [purchases('similar', 'v1', 'viewed.1', 3), purchases('cart', 'v1', 'none', 4), purchases('for-you', 'v2', 'viewed.2', 1)];
    const revenue = [
      share('similar', 'v1', 'viewed.1', 3, 3, 58_842),
      share('cart', 'v1', 'none', 0, 1, 1_990),
      share('cart', 'v1', 'none', 1, 0, 0, 'USD', '2026-03-02'),
      share('for-you', 'v2', 'viewed.2', 0, 1, 1_330),
    ];
    const r = metricsReadout('m', rows, 1, revenue);
    expect(r.groups.map((g) => g.revenue.USD)).toEqual([
      { orders: 1, amount: '19.90', perImpression: null, perClick: null },
      { orders: 0, amount: '13.30', perImpression: null, perClick: null },
      { orders: 3, amount: '588.42', perImpression: null, perClick: null },
    ]);
    expect([total(r.byPlacement), total(r.byVariant), total(r.byVersion), total(r.groups), total(r.daily)]).toEqual([62_162, 62_162, 62_162, 62_162, 62_162]);
    expect(r.daily.map((d) => [d.day, d.placement, d.revenue.USD])).toContainEqual(['2026-03-02', 'cart', { orders: 1, amount: '0.00', perImpression: null, perClick: null }]);
  });

  it('hides revenue made of fewer than k purchases, however many purchases the row counts', () => {
    const rows = [purchases('similar', 'v1', 'a', 12), purchases('cart', 'v1', 'none', 10), purchases('for-you', 'v1', 'b', 9), purchases('trending', 'v1', 'c', 10)];
    const revenue = [
      share('similar', 'v1', 'a', 12, 12, 100_000),
      share('cart', 'v1', 'none', 0, 10, 5_000),
      share('for-you', 'v1', 'b', 0, 9, 4_000),
      // 9 purchases without a price and one at 89.00: 10 purchases, an amount that is one purchase's.
      share('trending', 'v1', 'c', 1, 1, 8_900),
    ];
    const byPlacement = Object.fromEntries(metricsReadout('m', rows, 10, revenue).byPlacement.map((p) => [p.placement, p.revenue.USD]));
    // 10 purchases of cart-row products, none of them the order's main share: shown.
    expect(byPlacement.cart).toEqual({ orders: 0, amount: '50.00', perImpression: null, perClick: null });
    expect(byPlacement['for-you']).toEqual({ orders: 0, amount: null, perImpression: null, perClick: null });
    expect(byPlacement.similar).toEqual({ orders: 12, amount: '1000.00', perImpression: null, perClick: null });
    expect(byPlacement.trending).toEqual({ orders: null, amount: null, perImpression: null, perClick: null });
  });

  it('adds up the purchases behind revenue over the cells of a row, and shows an amount of 0 at any k', () => {
    const revenue = [share('similar', 'v1', 'a', 6, 6, 60_000), share('similar', 'v1', 'b', 4, 4, 40_000, 'USD', '2026-03-02'), share('cart', 'v1', 'none', 1, 0, 0)];
    const r = metricsReadout('m', [], 10, revenue);
    expect(r.byPlacement.map((p) => [p.placement, p.revenue.USD])).toEqual([
      ['cart', { orders: null, amount: '0.00', perImpression: null, perClick: null }],
      ['similar', { orders: 10, amount: '1000.00', perImpression: null, perClick: null }],
    ]);
    expect(r.groups.filter((g) => g.placement === 'similar').map((g) => g.revenue.USD!.amount)).toEqual([null, null]);
  });

  it('counts, in a row with several currencies, the purchases behind each currency\'s own amount', () => {
    const rows = [purchases('similar', 'v1', 'a', 24)];
    const revenue = [share('similar', 'v1', 'a', 12, 12, 100_000, 'EUR'), share('similar', 'v1', 'a', 2, 10, 3_000), share('similar', 'v1', 'a', 2, 2, 500, 'GBP')];
    expect(metricsReadout('m', rows, 10, revenue).groups[0]!.revenue).toEqual({
      EUR: { orders: 12, amount: '1000.00', perImpression: null, perClick: null },
      GBP: { orders: null, amount: null, perImpression: null, perClick: null },
      USD: { orders: null, amount: '30.00', perImpression: null, perClick: null },
    });
  });

  it('formats amounts in the currency\'s own minor units, and gives no per-impression figure where impressions are hidden', () => {
    const rows: MetricRow[] = [{ day: '2026-03-01', placement: 'similar', modelVersion: 'v1', variant: 'a', event: 'click', count: 40 }];
    const revenue: RevenueRow[] = [share('similar', 'v1', 'a', 10, 10, 125_000, 'JPY'), share('similar', 'v1', 'a', 10, 10, 10_005, 'KWD', '2026-03-02')];
    expect(metricsReadout('m', rows, 10, revenue).groups[0]!.revenue).toEqual({
      JPY: { orders: 10, amount: '125000', perImpression: null, perClick: 3125 },
      KWD: { orders: 10, amount: '10.005', perImpression: null, perClick: 0.25013 },
    });
  });
});

describe('trending and bestsellers', () => {
  it('decays a sum by half per half-life, whatever order counts arrive in', () => {
    const h = 7 * DAY;
    expect(decayTo(8, 0, 7 * DAY, h)).toBeCloseTo(4);
    const inOrder = decayedAdd(decayedAdd(undefined, 10, 0, h), 4, h, h);
    const reversed = decayedAdd(decayedAdd(undefined, 4, h, h), 10, 0, h);
    expect(inOrder).toEqual({ score: 9, at: h });
    expect(reversed.at).toBe(h);
    expect(reversed.score).toBeCloseTo(9);
  });

  it('serves trending from reported item counts and bestsellers from the merchant list, with a short cache', async () => {
    const { app, store } = await setup();
    const popularity = popularityStore(store);
    const now = Date.now();
    await popularity.addItemCounts('default', { 'sku-1': 10, 'sku-2': 50, 'sku-3': -2, 'sku-4': 30 }, new Date(now - 14 * DAY).toISOString());
    await popularity.addItemCounts('default', { 'sku-1': 12 }, new Date(now).toISOString());
    const put = await app.request('/v1/admin/models/default/bestsellers', {
      method: 'PUT',
      headers: { ...ADMIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ids: ['sku-5', 'sku-4', 'sku-1'] }),
    });
    expect(await put.json()).toMatchObject({ model: 'default', count: 3 });

    const res = await app.request('/v1/popular?model=default');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=300');
    const popular = parsePopular(await res.json());
    // sku-1: 10 two half-lives ago (2.5) + 12 now; sku-2: 50 two half-lives ago (12.5). Below
    // TRENDING_MIN_SCORE, not listed: sku-3 (below zero) and sku-4 (30 decayed to 7.5).
    expect(popular.trending.map((p) => p.id)).toEqual(['sku-1', 'sku-2']);
    expect(popular.trending[0]!.score).toBeCloseTo(14.5, 2);
    expect(popular.trending[1]!.score).toBeCloseTo(12.5, 2);
    expect(popular.bestsellers).toEqual([
      { id: 'sku-5', score: 3 },
      { id: 'sku-4', score: 2 },
      { id: 'sku-1', score: 1 },
    ]);
    const limited = parsePopular(await (await app.request('/v1/popular?model=default&limit=1')).json());
    expect(limited.bestsellers).toEqual([{ id: 'sku-5', score: 3 }]);
  });

  it('reads bestseller and trending ids by the catalog id rule, so " sku 1 " is the catalog\'s "sku 1"', async () => {
    const { app, store } = await setup();
    await popularityStore(store).addItemCounts('default', { ' sku 1 ': 12, 'sku  1': 3, 'sku 2': 11 }, new Date().toISOString());
    const put = await app.request('/v1/admin/models/default/bestsellers', {
      method: 'PUT',
      headers: { ...ADMIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ids: [' sku 2', 'sku\t1 ', 7] }),
    });
    expect(put.status).toBe(200);
    const popular = parsePopular(await (await app.request('/v1/popular?model=default')).json());
    expect(popular.trending.map((p) => [p.id, p.score])).toEqual([['sku 1', 15], ['sku 2', 11]]);
    expect(popular.bestsellers.map((p) => p.id)).toEqual(['sku 2', 'sku 1', '7']);
    // The catalog keeps the same ids: what the widget compares the lists with.
    const product = { title: 'T', link: '/p', image_link: '/i.png', price: 1, currency: 'EUR', availability: 'in_stock', product_type: 'X' };
    expect(parseProduct({ ...product, id: ' sku 1 ' }).id).toBe('sku 1');
  });

  it('answers empty lists for a model with no aggregates, and 400 for a bad model or limit', async () => {
    const { app } = await setup();
    expect(await (await app.request('/v1/popular?model=other')).json()).toMatchObject({ trending: [], bestsellers: [] });
    await expectError(await app.request('/v1/popular'), 400, 'bad_model');
    await expectError(await app.request('/v1/popular?model=default&limit=0'), 400, 'bad_limit');
    await expectError(await app.request('/v1/popular?model=default&limit=51'), 400, 'bad_limit');
  });

  it('refuses malformed bestseller lists and item counts', async () => {
    const { app, store } = await setup();
    const putIds = (body: unknown): Promise<Response> =>
      Promise.resolve(app.request('/v1/admin/models/default/bestsellers', { method: 'PUT', headers: { ...ADMIN, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
    await expectError(await putIds({ ids: ['a', 'a'] }), 400, 'bad_bestsellers');
    await expectError(await putIds({ ids: [' a ', 'a'] }), 400, 'bad_bestsellers');
    await expectError(await putIds({ ids: ['a\u0000b'] }), 400, 'bad_bestsellers');
    await expectError(await putIds({ ids: ['x'.repeat(129)] }), 400, 'bad_bestsellers');
    await expectError(await putIds(['a']), 400, 'bad_bestsellers');
    await expectError(await putIds({ ids: Array.from({ length: 1001 }, (_, i) => `s${i}`) }), 400, 'bad_bestsellers');

    const popularity = popularityStore(store);
    await expect(popularity.addItemCounts('default', { a: Number.NaN }, new Date().toISOString())).rejects.toMatchObject({ code: 'bad_counts' });
    await expect(popularity.addItemCounts('default', { a: 1 }, 'yesterday')).rejects.toMatchObject({ code: 'bad_counts' });
    await expect(popularity.addItemCounts('../x', { a: 1 }, new Date().toISOString())).rejects.toMatchObject({ code: 'bad_counts' });
    expect(() => popularityStore(store, { halfLifeDays: 0 })).toThrow(/halfLifeDays must be a positive number/);
  });
});
