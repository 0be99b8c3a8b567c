import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parsePopular } from '../../core/analytics.ts';
import { parseExperiment } from '../../core/experiment.ts';
import { expectError, memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { publishArtifact } from '../models/registry.ts';
import { experimentReadout, type ExperimentReadout } from './experiment-readout.ts';
import { createMemoryAnalytics } from './memory.ts';
import { MAX_ENDED_EXPERIMENTS, type AnalyticsStore, type ExperimentCountRow, type ExperimentRevenueRow } from './store.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const ADMIN = { Authorization: `Bearer ${TOKEN}` };
const JSON_ADMIN = { ...ADMIN, 'Content-Type': 'application/json' };
const START = { name: 'spring-test', holdout: 0.1, control: 'bestsellers' };

async function setup(suppressBelow = 10): Promise<{ app: Hono; store: AnalyticsStore }> {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
  const store = createMemoryAnalytics();
  const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], analytics: { store, suppressBelow } });
  return { app, store };
}

const start = (app: Hono, body: unknown, model = 'default'): Promise<Response> =>
  Promise.resolve(app.request(`/v1/admin/models/${model}/experiment`, { method: 'PUT', headers: JSON_ADMIN, body: typeof body === 'string' ? body : JSON.stringify(body) }));
const stop = (app: Hono, model = 'default'): Promise<Response> => Promise.resolve(app.request(`/v1/admin/models/${model}/experiment`, { method: 'DELETE', headers: ADMIN }));
const metrics = (app: Hono, body: unknown): Promise<Response> =>
  Promise.resolve(app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
const readout = async (app: Hono, query = ''): Promise<ExperimentReadout | null> =>
  ((await (await app.request(`/v1/admin/metrics?model=default${query}`, { headers: ADMIN })).json()) as { experiment: ExperimentReadout | null }).experiment;

const counts = (experiment: string, arm: 'treatment' | 'control', sessions: number, purchaseSessions = 0, orders = purchaseSessions) => ({
  experiment,
  arm,
  sessions,
  cartSessions: purchaseSessions,
  purchaseSessions,
  orders,
});
const revenue = (experiment: string, arm: 'treatment' | 'control', amount: number, currency = 'EUR') => ({ experiment, arm, currency, amount, squares: amount * amount });

describe('PUT, GET, DELETE /v1/admin/models/:name/experiment', () => {
  it('starts an experiment with the server\'s start time, shows it, and ends it keeping it readable', async () => {
    const { app } = await setup();
    const before = Date.now();
    const res = await start(app, START);
    expect(res.status).toBe(201);
    const { experiment } = (await res.json()) as { experiment: unknown };
    const parsed = parseExperiment(experiment);
    expect(parsed).toMatchObject(START);
    expect(Date.parse(parsed.startedAt)).toBeGreaterThanOrEqual(before - 1);
    const shown = await (await app.request('/v1/admin/models/default/experiment', { headers: ADMIN })).json();
    expect(shown).toEqual({ model: 'default', experiment: parsed, ended: [] });
    const ended = await stop(app);
    expect(ended.status).toBe(200);
    const { ended: record } = (await ended.json()) as { ended: { endedAt: string } };
    expect(record).toMatchObject({ ...parsed, endedAt: expect.any(String) });
    expect(await (await app.request('/v1/admin/models/default/experiment', { headers: ADMIN })).json()).toEqual({ model: 'default', experiment: null, ended: [record] });
    // The ended one is still what the read-out shows.
    expect(await readout(app)).toMatchObject({ name: 'spring-test', endedAt: record.endedAt });
  });

  it('warns at the start of a bestsellers control where the model has no bestseller list, and not once it has one', async () => {
    const { app } = await setup();
    const first = (await (await start(app, { name: 'a', holdout: 0.1, control: 'bestsellers' })).json()) as { warnings: string[] };
    expect(first.warnings).toHaveLength(1);
    expect(first.warnings[0]).toMatch(/no bestseller list.*catalog's order/);
    await stop(app);
    const none = (await (await start(app, { name: 'b', holdout: 0.1, control: 'none' })).json()) as { warnings: string[] };
    expect(none.warnings, 'a "none" control needs no list').toEqual([]);
    await stop(app);
    const put = await app.request('/v1/admin/models/default/bestsellers', { method: 'PUT', headers: JSON_ADMIN, body: JSON.stringify({ ids: ['p1', 'p2'] }) });
    expect(put.status).toBeLessThan(300);
    const listed = (await (await start(app, { name: 'c', holdout: 0.1, control: 'bestsellers' })).json()) as { warnings: string[] };
    expect(listed.warnings).toEqual([]);
  });

  it('refuses a second start while one runs (409 naming it) and a kept name (409), and ending none (404)', async () => {
    const { app } = await setup();
    expect((await start(app, START)).status).toBe(201);
    expect(await expectError(await start(app, { ...START, name: 'other' }), 409, 'experiment_running')).toMatch(/"spring-test".*end it first/);
    expect((await stop(app)).status).toBe(200);
    expect(await expectError(await start(app, START), 409, 'experiment_name_used')).toMatch(/pick a new one/);
    expect((await start(app, { ...START, name: 'summer', control: 'none', holdout: 0.5 })).status).toBe(201);
    expect((await stop(app)).status).toBe(200);
    await expectError(await stop(app), 404, 'no_experiment');
  });

  it('refuses bad bodies with 400 naming the field, never a 5xx', async () => {
    const { app } = await setup();
    expect(await expectError(await start(app, { ...START, holdout: 0.9 }), 400, 'bad_experiment')).toMatch(/"holdout" must be .*0\.01-0\.5/);
    expect(await expectError(await start(app, { ...START, control: 'random' }), 400, 'bad_experiment')).toMatch(/one of bestsellers, none/);
    expect(await expectError(await start(app, { ...START, name: 'spring test' }), 400, 'bad_experiment')).toMatch(/"name"/);
    expect(await expectError(await start(app, { ...START, startedAt: '2020-01-01T00:00:00Z' }), 400, 'bad_experiment')).toMatch(/unknown field "startedAt"/);
    await expectError(await start(app, '[1'), 400, 'bad_json');
    await expectError(await start(app, 'null'), 400, 'bad_experiment');
    await expectError(await app.request('/v1/admin/models/default/experiment', { method: 'PUT', headers: { ...ADMIN, 'Content-Type': 'text/plain' }, body: JSON.stringify(START) }), 415, 'unsupported_media_type');
    await expectError(await start(app, { ...START, name: 'x'.repeat(10_000) }), 413, 'payload_too_large');
    await expectError(await start(app, START, 'unpublished'), 404, 'unknown_model');
    await expectError(await start(app, START, 'bad name!'), 400, 'bad_model');
    expect(await (await app.request('/v1/admin/models/default/experiment', { headers: ADMIN })).json()).toMatchObject({ experiment: null });
  });

  it('requires the admin token', async () => {
    const { app } = await setup();
    await expectError(await app.request('/v1/admin/models/default/experiment', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(START) }), 401, 'unauthorized');
    await expectError(await app.request('/v1/admin/models/default/experiment', { headers: { Authorization: 'Bearer wrong-token-0123456789' } }), 403, 'forbidden');
    await expectError(await app.request('/v1/admin/models/default/experiment', { method: 'DELETE' }), 401, 'unauthorized');
  });

  it('keeps the last ended experiments, forgetting the oldest', async () => {
    const { app } = await setup();
    for (let i = 0; i <= MAX_ENDED_EXPERIMENTS; i++) {
      expect((await start(app, { ...START, name: `e${i}` })).status).toBe(201);
      expect((await stop(app)).status).toBe(200);
    }
    const { ended } = (await (await app.request('/v1/admin/models/default/experiment', { headers: ADMIN })).json()) as { ended: Array<{ name: string }> };
    expect(ended.map((e) => e.name)).toEqual(Array.from({ length: MAX_ENDED_EXPERIMENTS }, (_, i) => `e${MAX_ENDED_EXPERIMENTS - i}`));
    // A forgotten name may be used again.
    expect((await start(app, { ...START, name: 'e0' })).status).toBe(201);
  });
});

describe('GET /v1/popular with an experiment', () => {
  it('carries the running experiment, and null once it ended', async () => {
    const { app } = await setup();
    const popular = async () => parsePopular(await (await app.request('/v1/popular?model=default')).json());
    expect((await popular()).experiment).toBeNull();
    await start(app, START);
    expect((await popular()).experiment).toMatchObject(START);
    await stop(app);
    expect((await popular()).experiment).toBeNull();
  });
});

describe('POST /v1/metrics with experiment counts', () => {
  it('sums counts and revenue per experiment, arm, currency and UTC day, and drops names the model does not know', async () => {
    const { app, store } = await setup();
    // Before any experiment: every experiment entry is dropped, and said to be.
    expect(await (await metrics(app, { model: 'default', counters: [], experiments: [counts('spring-test', 'treatment', 3)] })).json()).toEqual({ accepted: 0, dropped: 1 });
    await start(app, START);
    const batch = { model: 'default', counters: [], experiments: [counts('spring-test', 'treatment', 3, 1), counts('made-up', 'control', 5)], experimentRevenue: [revenue('spring-test', 'treatment', 1250), revenue('made-up', 'treatment', 9)] };
    expect(await (await metrics(app, batch)).json()).toEqual({ accepted: 2, dropped: 2 });
    expect((await metrics(app, { model: 'default', counters: [], experiments: [counts('spring-test', 'treatment', 2, 1, 2)], experimentRevenue: [revenue('spring-test', 'treatment', 750), revenue('spring-test', 'treatment', 100, 'USD')] })).status).toBe(202);
    const day = new Date().toISOString().slice(0, 10);
    const read = await store.readExperiment('default', 'spring-test');
    expect(read.counts).toEqual([{ day, experiment: 'spring-test', arm: 'treatment', sessions: 5, cartSessions: 2, purchaseSessions: 2, orders: 3 }]);
    expect(read.revenue.sort((a, b) => a.currency.localeCompare(b.currency))).toEqual([
      { day, experiment: 'spring-test', arm: 'treatment', currency: 'EUR', amount: 2000, squares: 1250 ** 2 + 750 ** 2, entries: 2 },
      { day, experiment: 'spring-test', arm: 'treatment', currency: 'USD', amount: 100, squares: 100 ** 2, entries: 1 },
    ]);
    expect((await store.readExperiment('default', 'made-up')).counts).toEqual([]);
    // An ended experiment's late reports still count.
    await stop(app);
    expect(await (await metrics(app, { model: 'default', counters: [], experiments: [counts('spring-test', 'control', 1)] })).json()).toEqual({ accepted: 1, dropped: 0 });
  });

  it('refuses bad experiment parts with 400 and counts nothing of the batch', async () => {
    const { app, store } = await setup();
    await start(app, START);
    await expectError(await metrics(app, { model: 'default', counters: [], experiments: [{ ...counts('spring-test', 'treatment', 1), arm: 'both' }] }), 400, 'bad_metrics');
    await expectError(await metrics(app, { model: 'default', counters: [], experiments: [{ ...counts('spring-test', 'treatment', 1), sessionId: 'x' }] }), 400, 'bad_metrics');
    await expectError(await metrics(app, { model: 'default', counters: [], experimentRevenue: [{ ...revenue('spring-test', 'treatment', 10), squares: 1 }] }), 400, 'bad_metrics');
    expect((await store.readExperiment('default', 'spring-test')).counts).toEqual([]);
  });

  it('counts experiment cells against the day\'s cell cap', async () => {
    const storage = createMemoryStorage();
    const { key, trusted } = await signer();
    await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
    const store = createMemoryAnalytics();
    const app = createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], analytics: { store, maxCellsPerDay: 2 } });
    await start(app, START);
    const body = { model: 'default', counters: [], experiments: [counts('spring-test', 'treatment', 1), counts('spring-test', 'control', 1)], experimentRevenue: [revenue('spring-test', 'treatment', 5)] };
    expect(await (await metrics(app, body)).json()).toEqual({ accepted: 2, dropped: 1 });
    // Existing cells keep counting.
    expect(await (await metrics(app, { ...body, experimentRevenue: [] })).json()).toEqual({ accepted: 2, dropped: 0 });
    expect((await store.readDropped('default')).map((d) => d.entries)).toEqual([1]);
  });
});

describe('the experiment read-out', () => {
  it('reads out both arms, the uplift and a verdict in GET /v1/admin/metrics, with small counts suppressed', async () => {
    const { app } = await setup(10);
    expect(await readout(app)).toBeNull();
    await start(app, START);
    expect(await readout(app)).toMatchObject({ name: 'spring-test', holdout: 0.1, control: 'bestsellers', endedAt: null, arms: [{ arm: 'treatment', sessions: 0 }, { arm: 'control', sessions: 0 }], uplift: null });
    // 9 control sessions: suppressed, and so is the uplift.
    await metrics(app, { model: 'default', counters: [], experiments: [counts('spring-test', 'treatment', 400, 40), counts('spring-test', 'control', 9, 1)] });
    const hidden = (await readout(app))!;
    expect(hidden.arms[1]).toMatchObject({ arm: 'control', sessions: null, conversions: null, conversionRate: null });
    expect(hidden.arms[0]).toMatchObject({ arm: 'treatment', sessions: 400, conversions: 40, conversionRate: 0.1 });
    expect(hidden.uplift).toBeNull();
    expect(hidden.verdict).toMatch(/^Not enough data yet: each arm needs at least 10 sessions/);
    expect(hidden.days.at(-1)).toEqual({ day: new Date().toISOString().slice(0, 10), sessions: { treatment: 400, control: null }, uplift: null });
    await metrics(app, {
      model: 'default',
      counters: [],
      experiments: [counts('spring-test', 'control', 391, 29)],
      experimentRevenue: Array.from({ length: 5 }, () => revenue('spring-test', 'control', 2000)),
    });
    // Control revenue from 5 reports is hidden: conversion is compared, revenue not.
    const partial = (await readout(app))!;
    expect(partial.arms[1]).toMatchObject({ sessions: 400, conversions: 30, conversionRate: 0.075, revenue: null, revenuePerSession: null, currency: 'EUR' });
    expect(partial.uplift?.revenuePerSession).toBeNull();
    const cr = partial.uplift!.conversionRate!;
    expect(cr.estimate).toBeGreaterThan(0);
    expect(cr.ci95[0]).toBeLessThanOrEqual(cr.estimate);
    expect(cr.ci95[1]).toBeGreaterThanOrEqual(cr.estimate);
    await metrics(app, { model: 'default', counters: [], experimentRevenue: Array.from({ length: 8 }, () => revenue('spring-test', 'treatment', 3000)) });
    await metrics(app, { model: 'default', counters: [], experimentRevenue: Array.from({ length: 5 }, () => revenue('spring-test', 'control', 2000)) });
    const full = (await readout(app))!;
    // 8 treatment reports: still below k = 10.
    expect(full.arms[0]).toMatchObject({ revenue: null });
    await metrics(app, { model: 'default', counters: [], experimentRevenue: Array.from({ length: 2 }, () => revenue('spring-test', 'treatment', 3000)) });
    const shown = (await readout(app))!;
    expect(shown.currency).toBe('EUR');
    expect(shown.arms).toEqual([
      { arm: 'treatment', sessions: 400, conversions: 40, conversionRate: 0.1, orders: 40, revenue: 300, revenuePerSession: 0.75, currency: 'EUR' },
      { arm: 'control', sessions: 400, conversions: 30, conversionRate: 0.075, orders: 30, revenue: 200, revenuePerSession: 0.5, currency: 'EUR' },
    ]);
    expect(shown.uplift!.revenuePerSession!.estimate).toBeGreaterThan(0);
    expect(typeof shown.verdict).toBe('string');
    expect(shown.days).toHaveLength(1);
    expect(shown.days[0]!.uplift).toEqual(shown.uplift);
  });

  it('says nothing about revenue being hidden where nothing was bought with a price', () => {
    const exp = { name: 'x', holdout: 0.5, control: 'none' as const, startedAt: '2026-03-01T00:00:00.000Z' };
    const row = (arm: 'treatment' | 'control'): ExperimentCountRow => ({ day: '2026-03-01', experiment: 'x', arm, sessions: 500, cartSessions: 0, purchaseSessions: 50, orders: 50 });
    const out = experimentReadout(exp, [row('treatment'), row('control')], [], 10);
    expect(out.currency).toBeNull();
    expect(out.arms.map((a) => [a.revenue, a.revenuePerSession, a.currency])).toEqual([
      [null, null, null],
      [null, null, null],
    ]);
    expect(out.verdict).not.toMatch(/Revenue is compared/);
    expect(out.uplift?.revenuePerSession).toBeNull();
  });

  it('reads an ended experiment by ?experiment=, and refuses an unknown or bad name', async () => {
    const { app } = await setup();
    await start(app, START);
    await stop(app);
    await start(app, { ...START, name: 'next' });
    expect((await readout(app))!.name).toBe('next');
    expect((await readout(app, '&experiment=spring-test'))!.name).toBe('spring-test');
    await expectError(await app.request('/v1/admin/metrics?model=default&experiment=nope', { headers: ADMIN }), 404, 'unknown_experiment');
    await expectError(await app.request('/v1/admin/metrics?model=default&experiment=no%20pe', { headers: ADMIN }), 400, 'bad_experiment');
  });

  it('builds cumulative days from the start day, in the currency with the most revenue reports, leaving out days before the start', () => {
    const exp = { name: 'x', holdout: 0.5, control: 'none' as const, startedAt: '2026-03-02T10:00:00.000Z' };
    const c = (day: string, arm: 'treatment' | 'control', sessions: number, purchaseSessions: number): ExperimentCountRow => ({ day, experiment: 'x', arm, sessions, cartSessions: 0, purchaseSessions, orders: purchaseSessions });
    const r = (day: string, arm: 'treatment' | 'control', currency: string, amount: number, entries: number): ExperimentRevenueRow => ({ day, experiment: 'x', arm, currency, amount, squares: amount * amount, entries });
    const out = experimentReadout(
      exp,
      [c('2026-03-01', 'treatment', 999, 999), c('2026-03-02', 'treatment', 5, 1), c('2026-03-02', 'control', 5, 1), c('2026-03-03', 'treatment', 5, 1), c('2026-03-03', 'control', 5, 1)],
      [r('2026-03-02', 'treatment', 'JPY', 5000, 2), r('2026-03-02', 'control', 'USD', 100, 1), r('2026-03-03', 'control', 'USD', 100, 1)],
      1,
    );
    expect(out.days.map((d) => [d.day, d.sessions])).toEqual([
      ['2026-03-02', { treatment: 5, control: 5 }],
      ['2026-03-03', { treatment: 10, control: 10 }],
    ]);
    // Two JPY reports, two USD reports: a tie goes to the first alphabetically; the other is named.
    expect(out.currency).toBe('JPY');
    expect(out.otherCurrencies).toEqual(['USD']);
    expect(out.arms.map((a) => [a.revenue, a.revenuePerSession])).toEqual([
      [5000, 500],
      [0, 0],
    ]);
  });

  it('merges into the next listed day a day whose own counts are from 1 to k - 1, so two listed days never give them away', () => {
    const exp = { name: 'x', holdout: 0.5, control: 'none' as const, startedAt: '2026-03-01T00:00:00.000Z' };
    const c = (day: string, arm: 'treatment' | 'control', sessions: number, purchaseSessions: number): ExperimentCountRow => ({ day, experiment: 'x', arm, sessions, cartSessions: 0, purchaseSessions, orders: purchaseSessions });
    const both = (day: string, sessions: number, purchases: number) => [c(day, 'treatment', sessions, purchases), c(day, 'control', sessions, purchases)];
    // Day 2 adds 3 sessions and 1 purchase per arm; day 4 adds 0 purchases and 10 sessions.
    const rows = [...both('2026-03-01', 100, 10), ...both('2026-03-02', 3, 1), ...both('2026-03-03', 50, 12), ...both('2026-03-04', 10, 0)];
    const out = experimentReadout(exp, rows, [], 10);
    // Going back from the last day: day 3 is 50 sessions and 12 purchases after day 2; day 1 only 3 and 1 before day 2.
    expect(out.days.map((d) => [d.day, d.sessions.treatment])).toEqual([
      ['2026-03-02', 103],
      ['2026-03-03', 153],
      ['2026-03-04', 163],
    ]);
    expect(out.arms[0]!.sessions).toBe(163);
    // At k = 1 every day is listed.
    expect(experimentReadout(exp, rows, [], 1).days).toHaveLength(4);
  });
});
