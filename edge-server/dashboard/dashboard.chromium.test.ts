/**
 * The dashboard as an admin sees it, in real Chromium on the real Hono app (loopback): the sign-in from
 * a link to one model's dashboard, and charts whose labels, as the browser lays them out, never overlap.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/support/chromium.ts';
import { listen, type Listening } from '../../test/support/listen.ts';
import { createApp } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { publishArtifact } from '../models/registry.ts';
import { memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';

const TOKEN = 'admin-token-0123456789abcdef';
let server: Listening;
let browser: Browser;

beforeAll(async () => {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  await publishArtifact(storage, await tinyArtifact(key, 'v7', 1, 'shop'), { trusted });
  server = await listen(createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN] }));
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
