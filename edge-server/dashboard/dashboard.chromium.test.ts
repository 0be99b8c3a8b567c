/**
 * The dashboard as an admin sees it, in real Chromium on the real Hono app (loopback): the sign-in from
 * a link to one model's dashboard, and charts whose labels, as the browser lays them out, never overlap.
 */
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/support/chromium.ts';
import { listen, type Listening } from '../../test/support/listen.ts';
import { createMemoryAnalytics } from '../analytics/memory.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { publishArtifact } from '../models/registry.ts';
import { memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let server: Listening;
let browser: Browser;
let store: AnalyticsStore;

beforeAll(async () => {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  await publishArtifact(storage, await tinyArtifact(key, 'v7', 1, 'shop'), { trusted });
  await publishArtifact(storage, await tinyArtifact(key, 'v1', 1, 'trial'), { trusted });
  store = createMemoryAnalytics();
  server = await listen(createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], analytics: { store } }));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('signing in from /dashboard?model=shop opens the dashboard of the model shop', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}/dashboard?model=shop`);
    await page.getByLabel('Admin token').click();
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    // The login form has no section headings; the dashboard opens with "Model versions".
    await page.getByRole('heading', { name: 'Model versions' }).waitFor();
    expect(page.url()).toBe(`${server.url}/dashboard?model=shop`);
    expect(await page.title()).toBe('EdgeRecs dashboard: shop');
    const body = await page.textContent('body');
    expect(body).toContain('v7');
    expect(body).not.toContain('is published yet');
  } finally {
    await page.close();
  }
});

it('lays out no two labels of a chart over each other, as Chromium draws them, for a shop with many copy variants', async () => {
  // 24 distinct placement × variant pairs, with only the variant ids a widget can produce (kind.0-7).
  const variants = Array.from({ length: 24 }, (_, i) => [['similar', 'for-you', 'cart', 'recently-viewed'][i % 4]!, `${['bestseller', 'viewed', 'cart'][i % 3]}.${i % 8}`] as const);
  const counters = variants.flatMap(([placement, variant], i) =>
    (['impression', 'click', 'purchase'] as const).map((event, e) => ({ placement, modelVersion: 'v7', variant, event, count: [200 + i * 13, 5 + (i % 9), 1 + (i % 4)][e] })),
  );
  const revenue = variants.map(([placement, variant], i) => ({ placement, modelVersion: 'v7', variant, currency: 'USD', orders: 1, purchases: 1, amount: 1_990 + i * 101 }));
  const posted = await fetch(`${server.url}/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ model: 'shop', counters, revenue }) });
  expect(posted.status).toBe(202);
  const context = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${TOKEN}` }, viewport: { width: 1024, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard?model=shop`);
    const charts = await page.locator('figure.chart svg').evaluateAll((svgs) =>
      svgs.map((svg) => ({
        title: svg.getAttribute('aria-label'),
        frame: svg.getBoundingClientRect().toJSON() as DOMRect,
        labels: [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent, box: t.getBoundingClientRect().toJSON() as DOMRect })),
      })),
    );
    expect(charts.map((c) => c.title)).toContain('CTR and conversion by placement and copy variant');
    for (const chart of charts) {
      const clashes: string[] = [];
      chart.labels.forEach((a, i) =>
        chart.labels.slice(i + 1).forEach((b) => {
          const overlap = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left) > 0 && Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top) > 0;
          if (overlap) clashes.push(`${a.text} / ${b.text}`);
        }),
      );
      expect(clashes, chart.title ?? '').toEqual([]);
      // Nor is any cut off by the chart's edges.
      for (const { text, box } of chart.labels) {
        expect(box.left >= chart.frame.left && box.right <= chart.frame.right, `${chart.title}: ${text}`).toBe(true);
      }
    }
    const variantLabels = charts.find((c) => c.title === 'CTR and conversion by placement and copy variant')!.labels.map((l) => l.text);
    for (const [placement, variant] of variants) expect(variantLabels).toContain(`${placement} · ${variant}`);
  } finally {
    await context.close();
  }
});

it('shows the experiment (arms, uplift, verdict, a chart of the uplift over 30 days with its band) accessibly, with no chart label over another', async () => {
  const DAY = 86_400_000;
  const start = Date.now() - 29 * DAY;
  expect(await store.startExperiment('trial', { name: 'spring-test', holdout: 0.2, control: 'bestsellers', startedAt: new Date(start).toISOString() })).toBeNull();
  for (let d = 0; d < 30; d++) {
    const day = new Date(start + d * DAY).toISOString().slice(0, 10);
    await store.addMetrics('trial', day, [], [], undefined, {
      counters: [
        { experiment: 'spring-test', arm: 'treatment', sessions: 400, cartSessions: 60, purchaseSessions: 24 + (d % 5), orders: 26 },
        { experiment: 'spring-test', arm: 'control', sessions: 100, cartSessions: 12, purchaseSessions: 5, orders: 5 },
      ],
      revenue: Array.from({ length: 10 }, (_, i) => [
        { experiment: 'spring-test', arm: 'treatment' as const, currency: 'EUR', amount: 4_000 + i * 100, squares: (4_000 + i * 100) ** 2 },
        { experiment: 'spring-test', arm: 'control' as const, currency: 'EUR', amount: 3_500 + i * 100, squares: (3_500 + i * 100) ** 2 },
      ]).flat().slice(0, 8),
    });
  }
  const context = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${TOKEN}` }, viewport: { width: 1024, height: 800 }, bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard?model=trial`);
    const section = await page.getByRole('heading', { name: /^Experiment/ }).evaluate((h) => {
      let text = '';
      for (let n = h.nextElementSibling; n && n.tagName !== 'H2'; n = n.nextElementSibling) text += `${n.textContent}\n`;
      return text;
    });
    expect(section).toContain('spring-test');
    expect(section).toContain('20% of devices are in the control arm');
    expect(section).toMatch(/Verdict: \S/);
    const treatment = await page.getByRole('row', { name: /^treatment/ }).textContent();
    expect(treatment).toContain('12,000');
    const chart = page.getByRole('img', { name: 'Uplift so far, by day, with its 95% interval (shaded)' });
    expect(await chart.locator('polygon').count()).toBeGreaterThan(0);
    const labels = await chart.evaluate((svg) => ({
      frame: svg.getBoundingClientRect().toJSON() as DOMRect,
      boxes: [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent, box: t.getBoundingClientRect().toJSON() as DOMRect })),
    }));
    const clashes = labels.boxes.flatMap((a, i) =>
      labels.boxes.slice(i + 1).filter((b) => Math.min(a.box.right, b.box.right) > Math.max(a.box.left, b.box.left) && Math.min(a.box.bottom, b.box.bottom) > Math.max(a.box.top, b.box.top)).map((b) => `${a.text} / ${b.text}`),
    );
    expect(clashes).toEqual([]);
    for (const { text, box } of labels.boxes) expect(box.left >= labels.frame.left && box.right <= labels.frame.right, `${text}`).toBe(true);
    // axe-core: the WCAG 2 A/AA rules and axe's best practices find nothing on the page.
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown }> }> }> } }).axe.run({ resultTypes: ['violations'] });
      return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    });
    expect(violations).toEqual([]);
  } finally {
    await context.close();
  }
});
