import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricCounter, RevenueSum } from '../../../core/analytics.ts';
import { openDiskAnalytics } from './analytics-store.ts';
import { openDiskCatalog } from './catalog-store.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-recs-analytics-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const counter = (count: number, event: MetricCounter['event'] = 'impression'): MetricCounter => ({ placement: 'for-you', modelVersion: 'v1', variant: 'a', event, count });
const total = (rows: Array<{ count: number }>): number => rows.reduce((n, r) => n + r.count, 0);

describe('openDiskAnalytics', () => {
  it('keeps sums, item scores and bestseller lists across a reopen', async () => {
    const store = await openDiskAnalytics(dir);
    await store.addMetrics('m', '2026-03-01', [counter(3), counter(2, 'click')]);
    await store.addMetrics('m', '2026-03-01', [counter(4)]);
    await store.addItemCounts('m', { a: 8 }, 0, 1000);
    await store.addItemCounts('m', { a: 4 }, 1000, 1000);
    await store.putBestsellers('m', { ids: ['x', 'y'], updatedAt: 't' });
    await store.close();

    const again = await openDiskAnalytics(dir);
    const rows = await again.readMetrics('m');
    expect(rows.find((r) => r.event === 'impression')?.count).toBe(7);
    expect(rows.find((r) => r.event === 'click')?.count).toBe(2);
    expect(await again.readItemScores('m')).toEqual({ a: { score: 8, at: 1000 } });
    expect(await again.getBestsellers('m')).toEqual({ ids: ['x', 'y'], updatedAt: 't' });
    expect(await again.readMetrics('other')).toEqual([]);
    await again.close();
  });

  it('sums revenue exactly in minor units across a reopen and a snapshot, and reads logs written before revenue existed', async () => {
    // A log line as written before batches carried revenue.
    await writeFile(join(dir, 'log-0.jsonl'), `${JSON.stringify({ op: 'metrics', model: 'm', day: '2026-03-01', counters: [counter(2, 'purchase')] })}\n`);
    const store = await openDiskAnalytics(dir, { compactBytes: 4000 });
    const sum = (currency: string, amount: number, purchases = 1): RevenueSum => ({ placement: 'for-you', modelVersion: 'v1', variant: 'a', currency, orders: 1, purchases, amount });
    // 0.10 EUR sixty times (float sums of 0.1 drift), one order of 99,999,999.99 EUR (a cell's most), and one in JPY.
    for (let i = 0; i < 60; i++) await store.addMetrics('m', '2026-03-01', [counter(1, 'purchase')], [sum('EUR', 10, 2)]);
    await store.addMetrics('m', '2026-03-02', [], [sum('EUR', 9_999_999_999), sum('JPY', 1200)]);
    expect((await readdir(dir)).includes('snapshot.json')).toBe(true);
    await store.close();
    const again = await openDiskAnalytics(dir);
    const rows = await again.readRevenue('m');
    expect(rows.filter((r) => r.currency === 'EUR').reduce((n, r) => n + r.amount, 0)).toBe(10_000_000_599);
    expect(rows.find((r) => r.day === '2026-03-01')).toEqual({ day: '2026-03-01', placement: 'for-you', modelVersion: 'v1', variant: 'a', currency: 'EUR', orders: 60, purchases: 120, amount: 600 });
    expect(rows.find((r) => r.currency === 'JPY')).toMatchObject({ orders: 1, purchases: 1, amount: 1200 });
    expect(total(await again.readMetrics('m'))).toBe(62);
    expect(await again.readRevenue('other')).toEqual([]);
    await again.close();
  });

  it('reads revenue logged and snapshotted before purchases were counted as 1 purchase per sum with an amount, and adds new sums to it', async () => {
    const key = { placement: 'for-you' as const, modelVersion: 'v1', variant: 'a' };
    // A snapshot and a log as written before revenue sums carried purchases.
    const snapshot = { gen: 1, state: { models: { m: { metrics: [], revenue: [['2026-03-01', 'for-you', 'v1', 'a', 'EUR', 5, 2_000], ['2026-03-01', 'for-you', 'v1', 'a', 'USD', 1, 0]], items: {}, bestsellers: null } } } };
    await writeFile(join(dir, 'snapshot.json'), JSON.stringify(snapshot));
    const line = (amount: number): string => `${JSON.stringify({ op: 'metrics', model: 'm', day: '2026-03-01', counters: [], revenue: [{ ...key, currency: 'EUR', orders: 3, amount }] })}\n`;
    await writeFile(join(dir, 'log-1.jsonl'), line(1_000) + line(500) + line(0));
    const store = await openDiskAnalytics(dir);
    await store.addMetrics('m', '2026-03-01', [], [{ ...key, currency: 'EUR', orders: 1, purchases: 4, amount: 100 }]);
    await store.close();
    for (let open = 0; open < 2; open++) {
      // Twice: once from the logs, once from the snapshot the first reopen wrote.
      const again = await openDiskAnalytics(dir);
      const rows = await again.readRevenue('m');
      expect(rows.find((r) => r.currency === 'EUR')).toEqual({ day: '2026-03-01', ...key, currency: 'EUR', orders: 15, purchases: 1 + 1 + 1 + 0 + 4, amount: 3_600 });
      expect(rows.find((r) => r.currency === 'USD')).toMatchObject({ orders: 1, purchases: 0, amount: 0 });
      await again.close();
    }
  });

  it('caps new cells per model and day, and keeps what it kept and dropped across a replay and a snapshot, whatever the cap then', async () => {
    const cell = (variant: string, count = 1): MetricCounter => ({ placement: 'for-you', modelVersion: 'v1', variant, event: 'impression', count });
    const store = await openDiskAnalytics(dir);
    expect(await store.addMetrics('m', '2026-03-01', [cell('none'), cell('viewed.0')], [], 3)).toEqual({ dropped: 0 });
    const sum: RevenueSum = { placement: 'for-you', modelVersion: 'v1', variant: 'none', currency: 'EUR', orders: 1, purchases: 1, amount: 5 };
    expect(await store.addMetrics('m', '2026-03-01', [cell('viewed.1'), cell('viewed.2'), cell('none', 4)], [sum], 3)).toEqual({ dropped: 2 });
    // Another day, another model: cells of their own.
    expect(await store.addMetrics('m', '2026-03-02', [cell('viewed.2')], [], 3)).toEqual({ dropped: 0 });
    expect(await store.addMetrics('n', '2026-03-01', [cell('viewed.2')], [], 3)).toEqual({ dropped: 0 });
    const expected = async (s: typeof store): Promise<void> => {
      expect((await s.readMetrics('m', { from: '2026-03-01', to: '2026-03-01' })).map((r) => [r.variant, r.count]).sort()).toEqual([['none', 5], ['viewed.0', 1], ['viewed.1', 1]]);
      expect(await s.readRevenue('m')).toEqual([]);
      expect(await s.readDropped('m')).toEqual([{ day: '2026-03-01', entries: 2 }]);
      expect(await s.readDropped('m', { from: '2026-03-02', to: '2026-03-31' })).toEqual([]);
    };
    await expected(store);
    await store.close();
    // Replayed from the log (each op carries its cap), then compacted into a snapshot and read again.
    const again = await openDiskAnalytics(dir);
    await expected(again);
    await again.close();
    const third = await openDiskAnalytics(dir);
    await expected(third);
    await third.close();
  });

  it('writes concurrent batches with far fewer syncs than writes (group commit), losing none', async () => {
    const store = await openDiskAnalytics(dir);
    await Promise.all(Array.from({ length: 500 }, () => store.addMetrics('m', '2026-03-01', [counter(1)])));
    expect(total(await store.readMetrics('m'))).toBe(500);
    expect(store.syncs).toBeLessThan(50);
    await store.close();
    const again = await openDiskAnalytics(dir);
    expect(total(await again.readMetrics('m'))).toBe(500);
    await again.close();
  });

  it('keeps experiments, their counts and refusals across a reopen, by replay and by snapshot', async () => {
    const exp = { name: 'spring', holdout: 0.1, control: 'bestsellers' as const, startedAt: '2026-03-01T08:00:00.000Z' };
    const batch = (name: string) => ({
      counters: [{ experiment: name, arm: 'control' as const, sessions: 2, cartSessions: 1, purchaseSessions: 1, orders: 1 }],
      revenue: [{ experiment: name, arm: 'control' as const, currency: 'EUR', amount: 500, squares: 250_000 }],
    });
    for (const compactBytes of [8 * 1024 * 1024, 1]) {
      await rm(dir, { recursive: true, force: true });
      const store = await openDiskAnalytics(dir, { compactBytes });
      expect(await store.startExperiment('m', exp)).toBeNull();
      expect(await store.startExperiment('m', { ...exp, name: 'other' })).toBe('running');
      expect(await store.addMetrics('m', '2026-03-01', [], [], 100, batch('spring'))).toEqual({ dropped: 0 });
      expect(await store.addMetrics('m', '2026-03-01', [], [], 100, batch('made-up'))).toEqual({ dropped: 2 });
      expect(await store.endExperiment('m', '2026-03-05T00:00:00.000Z')).toEqual({ ...exp, endedAt: '2026-03-05T00:00:00.000Z' });
      expect(await store.startExperiment('m', exp)).toBe('name_used');
      await store.close();
      const again = await openDiskAnalytics(dir);
      expect(await again.getExperiments('m')).toEqual({ running: null, ended: [{ ...exp, endedAt: '2026-03-05T00:00:00.000Z' }] });
      expect(await again.readExperiment('m', 'spring')).toEqual({
        counts: [{ day: '2026-03-01', experiment: 'spring', arm: 'control', sessions: 2, cartSessions: 1, purchaseSessions: 1, orders: 1 }],
        revenue: [{ day: '2026-03-01', experiment: 'spring', arm: 'control', currency: 'EUR', amount: 500, squares: 250_000, entries: 1 }],
      });
      expect((await again.readExperiment('m', 'made-up')).counts).toEqual([]);
      await again.close();
    }
  });

  it('drops a torn last line (a write that never resolved) and keeps every whole one', async () => {
    const store = await openDiskAnalytics(dir);
    await store.addMetrics('m', '2026-03-01', [counter(5)]);
    await store.close();
    const log = (await readdir(dir)).find((n) => n.startsWith('log-'))!;
    await appendFile(join(dir, log), '{"op":"metrics","model":"m","day":"2026-03-01","counters":[{"placem');
    const again = await openDiskAnalytics(dir);
    expect(total(await again.readMetrics('m'))).toBe(5);
    await again.addMetrics('m', '2026-03-01', [counter(1)]);
    await again.close();
    const third = await openDiskAnalytics(dir);
    expect(total(await third.readMetrics('m'))).toBe(6);
    await third.close();
  });

  it('snapshots past the size limit, removes the logs the snapshot covers, and reopens to the same state', async () => {
    const store = await openDiskAnalytics(dir, { compactBytes: 2000 });
    for (let i = 0; i < 40; i++) await store.addMetrics('m', `2026-03-${String((i % 28) + 1).padStart(2, '0')}`, [counter(1)]);
    const files = await readdir(dir);
    expect(files).toContain('snapshot.json');
    expect(files.filter((n) => n.startsWith('log-'))).toHaveLength(1);
    await store.close();
    const again = await openDiskAnalytics(dir);
    expect(total(await again.readMetrics('m'))).toBe(40);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await again.close();
  });

  it('refuses to start on a log corrupted in the middle rather than guess', async () => {
    await writeFile(join(dir, 'log-0.jsonl'), 'garbage\n{"op":"bestsellers","model":"m","list":{"ids":[],"updatedAt":"t"}}\n');
    await expect(openDiskAnalytics(dir)).rejects.toThrow(/log-0\.jsonl:1: corrupt log line/);
  });

  it('loses no acknowledged write and counts none twice when the process is killed with SIGKILL', async () => {
    // A child process writes batches of 1 and prints each acknowledgement; it is killed mid-stream.
    const script = `
      import { openDiskAnalytics } from ${JSON.stringify(new URL('./analytics-store.ts', import.meta.url).pathname)};
      const store = await openDiskAnalytics(process.env.ANALYTICS_DIR);
      const c = { placement: 'cart', modelVersion: 'v1', variant: 'a', event: 'click', count: 1 };
      const loop = async () => { for (;;) { await store.addMetrics('m', '2026-03-01', [c]); process.stdout.write('a'); } };
      for (let i = 0; i < 8; i++) void loop();
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ANALYTICS_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    child.stdout.on('data', (chunk: Buffer) => (acked += chunk.length));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('child never acknowledged 300 writes')), 25_000);
      child.once('exit', (code) => code !== null && reject(new Error(`child exited with ${code}`)));
      child.stdout.on('data', () => {
        if (acked >= 300) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    // 'close', not 'exit': every acknowledgement written before the kill has then been read.
    await new Promise((r) => child.once('close', r));
    const store = await openDiskAnalytics(dir);
    const counted = total(await store.readMetrics('m'));
    await store.close();
    expect(counted).toBeGreaterThanOrEqual(acked);
    // Each write is 1; at most the 8 in flight can have reached the disk unacknowledged.
    expect(counted).toBeLessThanOrEqual(acked + 8);
  });
});

describe('openDiskCatalog', () => {
  it('keeps the catalog across a reopen and leaves no temp files', async () => {
    const catalog = await openDiskCatalog(dir);
    expect(await catalog.get()).toBeNull();
    const stored = await catalog.put(new TextEncoder().encode('{"products":[]}'));
    expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    const again = await openDiskCatalog(dir);
    const got = await again.get();
    expect(new TextDecoder().decode(got!.json)).toBe('{"products":[]}');
    expect(got!.sha256).toBe(stored.sha256);
    expect(await readdir(dir)).toEqual(['catalog.json']);
    expect(await readFile(join(dir, 'catalog.json'), 'utf8')).toBe('{"products":[]}');
  });
});
