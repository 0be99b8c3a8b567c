/**
 * Forged metric batches on workerd (Miniflare): the `Analytics` Durable Object's cap on cells per day
 * (drops counted in its SQLite table, kept across a restart), the rate limit per `CF-Connecting-IP`
 * source, and a bad `ANALYTICS_CONFIG` named as such.
 */
import type { Miniflare } from 'miniflare';
import { describe, expect, it } from 'vitest';
import { METRICS_LIMITS } from '../../../core/analytics.ts';
import { artifactForm } from '../../../core/artifact/upload.ts';
import type { MetricsReadout } from '../../analytics/readout.ts';
import { signer, tinyArtifact } from '../../../test/support/edge-server/fixtures.ts';
import { fetchFrom, startWorker, workerFixture } from '../../../test/support/edge-server/workerd.ts';

const TOKEN = 'abuse-admin-token-0123456789';
const ADMIN = { Authorization: `Bearer ${TOKEN}` };
const worker = workerFixture();

const counter = (variant: string, count = 1): Record<string, unknown> => ({ placement: 'for-you', modelVersion: 'v1', variant, event: 'impression', count });
const post = (mf: Miniflare, counters: unknown[], source: string): Promise<Response> =>
  fetchFrom(mf, '/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'CF-Connecting-IP': source }, body: JSON.stringify({ model: 'default', counters }) });

describe('metrics abuse on workerd', () => {
  it('caps cells per model and day in the Durable Object, counts the drop across a restart, and rate-limits per CF-Connecting-IP', { timeout: 120_000 }, async () => {
    const { key, trusted } = await signer();
    const persistDir = await worker.dir('persist');
    const assetsDir = await worker.dir('assets');
    const vars = { TRUSTED_KEYS: JSON.stringify(trusted), ADMIN_TOKENS: TOKEN, ANALYTICS_CONFIG: JSON.stringify({ maxCellsPerDay: 4, suppressBelow: 1, metricsRateLimit: { perSecond: 0.5, burst: 2 } }) };
    let mf = await startWorker({ script: worker.script(), vars, assetsDir, persistDir });
    try {
      const form = new Request('http://form.invalid', { method: 'POST', body: artifactForm(await tinyArtifact(key, 'v1')) });
      const published = await fetchFrom(mf, '/v1/admin/models/default/versions', { method: 'POST', headers: { ...ADMIN, 'Content-Type': form.headers.get('Content-Type')! }, body: new Uint8Array(await form.arrayBuffer()) });
      expect(published.status).toBe(201);

      expect(await (await post(mf, [counter('none'), counter('viewed.0'), counter('viewed.1')], '203.0.113.1')).json()).toEqual({ accepted: 3, dropped: 0 });
      expect(await (await post(mf, [counter('viewed.2'), counter('viewed.3'), counter('viewed.4'), counter('none', 5)], '203.0.113.1')).json()).toEqual({ accepted: 2, dropped: 2 });
      expect((await post(mf, [counter('flood-1')], '203.0.113.2')).status).toBe(400);
      // Source 203.0.113.1 spent its burst of 2; another address has its own bucket.
      const limited = await post(mf, [counter('none')], '203.0.113.1');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('Retry-After')).toBe('2');
      expect((await post(mf, [counter('none')], '203.0.113.3')).status).toBe(202);

      const readout = async (): Promise<MetricsReadout> => (await (await fetchFrom(mf, '/v1/admin/metrics?model=default', { headers: ADMIN })).json()) as MetricsReadout;
      const day = new Date().toISOString().slice(0, 10);
      const before = await readout();
      expect(before).toMatchObject({ maxCellsPerDay: 4, dropped: [{ day, entries: 2 }], groupCount: 4, byPlacement: [{ placement: 'for-you', impression: 10 }] });

      await mf.dispose();
      mf = await startWorker({ script: worker.script(), vars, assetsDir, persistDir });
      expect(await readout()).toMatchObject({ dropped: [{ day, entries: 2 }], groupCount: 4 });
      // A bad setting is named by its var.
      await mf.dispose();
      mf = await startWorker({ script: worker.script(), vars: { ...vars, ANALYTICS_CONFIG: '{"maxCellsPerDay":0}' }, assetsDir, persistDir });
      const misconfigured = await fetchFrom(mf, '/healthz');
      expect(misconfigured.status).toBe(500);
      expect(await misconfigured.text()).toContain('ANALYTICS_CONFIG: maxCellsPerDay must be a positive integer');
    } finally {
      await mf.dispose();
    }
  });

  it('keeps a revenue cell at most METRICS_LIMITS.cellAmount, so forged sums stay exact, the excess dropped and counted', { timeout: 120_000 }, async () => {
    const { key, trusted } = await signer();
    const persistDir = await worker.dir('persist');
    const assetsDir = await worker.dir('assets');
    const vars = { TRUSTED_KEYS: JSON.stringify(trusted), ADMIN_TOKENS: TOKEN, ANALYTICS_CONFIG: JSON.stringify({ suppressBelow: 1 }) };
    const mf = await startWorker({ script: worker.script(), vars, assetsDir, persistDir });
    try {
      const form = new Request('http://form.invalid', { method: 'POST', body: artifactForm(await tinyArtifact(key, 'v1')) });
      expect((await fetchFrom(mf, '/v1/admin/models/default/versions', { method: 'POST', headers: { ...ADMIN, 'Content-Type': form.headers.get('Content-Type')! }, body: new Uint8Array(await form.arrayBuffer()) })).status).toBe(201);
      const sum = (amount: number): Record<string, unknown> => ({ placement: 'for-you', modelVersion: 'v1', variant: 'none', currency: 'EUR', orders: 1, purchases: 1, amount });
      const send = (revenue: unknown[]): Promise<Response> =>
        fetchFrom(mf, '/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'CF-Connecting-IP': '203.0.113.9' }, body: JSON.stringify({ model: 'default', counters: [], revenue }) });
      expect(await (await send([sum(METRICS_LIMITS.cellAmount - 5), sum(5), sum(1)])).json()).toEqual({ accepted: 2, dropped: 1 });
      const readout = (await (await fetchFrom(mf, '/v1/admin/metrics?model=default', { headers: ADMIN })).json()) as MetricsReadout;
      expect(readout.byPlacement[0]!.revenue).toMatchObject({ EUR: { orders: 2, amount: '100000000.00' } });
    } finally {
      await mf.dispose();
    }
  });
  it('counts experiment cells against the day\'s cap and the cell\'s most in the Durable Object, and drops counts for names the model does not know', { timeout: 120_000 }, async () => {
    const { key, trusted } = await signer();
    const persistDir = await worker.dir('persist');
    const assetsDir = await worker.dir('assets');
    const vars = { TRUSTED_KEYS: JSON.stringify(trusted), ADMIN_TOKENS: TOKEN, ANALYTICS_CONFIG: JSON.stringify({ maxCellsPerDay: 3, suppressBelow: 1 }) };
    const mf = await startWorker({ script: worker.script(), vars, assetsDir, persistDir });
    try {
      const form = new Request('http://form.invalid', { method: 'POST', body: artifactForm(await tinyArtifact(key, 'v1')) });
      expect((await fetchFrom(mf, '/v1/admin/models/default/versions', { method: 'POST', headers: { ...ADMIN, 'Content-Type': form.headers.get('Content-Type')! }, body: new Uint8Array(await form.arrayBuffer()) })).status).toBe(201);
      const started = await fetchFrom(mf, '/v1/admin/models/default/experiment', { method: 'PUT', headers: { ...ADMIN, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'e1', holdout: 0.5, control: 'none' }) });
      expect(started.status).toBe(201);
      const arm = (experiment: string, a: string) => ({ experiment, arm: a, sessions: 1, cartSessions: 0, purchaseSessions: 0, orders: 0 });
      const paid = (a: string, amount: number, currency = 'EUR') => ({ experiment: 'e1', arm: a, currency, amount, squares: amount * amount });
      const send = (body: Record<string, unknown>): Promise<Response> =>
        fetchFrom(mf, '/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'CF-Connecting-IP': '203.0.113.7' }, body: JSON.stringify({ model: 'default', counters: [], ...body }) });
      // Made-up names are dropped; the third cell (a revenue cell) fills the cap of 3, the fourth is dropped.
      expect(await (await send({ experiments: [arm('e1', 'treatment'), arm('e1', 'control'), arm('made-up', 'control')], experimentRevenue: [paid('treatment', METRICS_LIMITS.cellAmount - 5), paid('control', 7, 'USD')] })).json()).toEqual({ accepted: 3, dropped: 2 });
      // An existing cell keeps counting up to its most; past it the entry is dropped.
      expect(await (await send({ experimentRevenue: [paid('treatment', 5), paid('treatment', 1)] })).json()).toEqual({ accepted: 1, dropped: 1 });
      const readout = (await (await fetchFrom(mf, '/v1/admin/metrics?model=default', { headers: ADMIN })).json()) as MetricsReadout & { experiment: { arms: Array<{ sessions: number; revenue: number | null }>; otherCurrencies: string[] } };
      expect(readout.dropped).toEqual([{ day: new Date().toISOString().slice(0, 10), entries: 2 }]);
      expect(readout.experiment.arms.map((a) => [a.sessions, a.revenue])).toEqual([
        [1, 100_000_000],
        [1, 0],
      ]);
      expect(readout.experiment.otherCurrencies).toEqual([]);
    } finally {
      await mf.dispose();
    }
  });
});
