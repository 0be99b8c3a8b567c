/**
 * The shopper journeys of issue 13 (must-have 8) on the demo shop, as `npm start` serves it (the real
 * server in a child process, its default model trained at first start): 12 card clicks with the mouse,
 * the keyboard and into new tabs, each product added to the cart, a purchase, and the counters and
 * revenue in the admin read-out; a product the model never saw; quiet page views. The demo is a
 * single-page app whose router reads the clicked link's `href` in a document click listener.
 * The same journeys on a merchant's own multi-page shop: `fixture-shop.test.ts`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BESTSELLER, cardLines, claimsAbout, matching, PAGE_CLAIMS, pageClaims, recordRenders, TRENDING, waitForRenderWithModel } from './support/copy-claims.ts';
import { launchChromium, startDemoServer, type DemoServer } from './support/demo-server.ts';
import { parseNextSteps } from '../../core/artifact/next-steps.ts';
import { clickAndAdd, describeClick, firstLine, funnel, landedRight, pollMetrics, watchPage, type ClickHow, type ClickJourney, type MetricsReadout } from './support/journeys.ts';

let server: DemoServer;
let browser: Browser;
let token: string;
let base: string;

beforeAll(async () => {
  // k = 1: one shopper's journey shows in the read-out (k-suppression is tested in edge-server/analytics).
  [server, browser] = await Promise.all([startDemoServer({ args: ['--suppress-below', '1'] }), launchChromium()]);
  base = server.url.replace(/\/$/, '');
  // `npm start --demo` makes its admin token on first start and keeps it in the data directory.
  token = (await readFile(join(server.dataDir, 'admin-token'), 'utf8')).trim();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The demo's "Add to cart" (a form the app handles), waiting for the cart badge to count it. */
async function addToCart(page: Page): Promise<boolean> {
  const button = page.locator('[data-testid="add-to-cart"]');
  if ((await button.count()) === 0 || (await button.isDisabled())) return false;
  const badge = page.locator('[data-testid="cart-count"]');
  const before = await badge.textContent();
  await button.click();
  await page.waitForFunction((b) => document.querySelector('[data-testid="cart-count"]')?.textContent !== b, before);
  return true;
}

describe('a shopper on the demo: 12 card clicks, add-to-carts, a purchase', () => {
  const PLAN: ClickHow[] = ['mouse', 'keyboard', 'mouse', 'ctrl', 'mouse', 'middle', 'mouse', 'keyboard', 'mouse', 'ctrl', 'mouse', 'middle'];
  let journey: ClickJourney = { clicks: [], problems: [], added: 0 };
  let orderTotal = 0;
  let readout: MetricsReadout | undefined;

  beforeAll(async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.locator('a[href^="/c/"]').first().click();
      await page.locator('[data-testid="product-tile"]').nth(1).click();
      await page.locator('[data-testid="product-title"]').waitFor();
      journey = await clickAndAdd(page, 'similar', PLAN, addToCart);
      await page.locator('a.cart-link').click();
      // The order's value as the shop reports it to GA4 (shipping included): the cart's total.
      orderTotal = Number((await page.locator('[data-testid="cart-total"]').textContent())!.replace(/[^0-9.]/g, ''));
      await page.locator('[data-testid="checkout"]').click();
      await page.getByText(/DEMO-[A-Z0-9]+/).first().waitFor();
      // Leaving the page sends the counters.
      await page.goto(server.url);
      await page.locator('edge-recs[placement="for-you"] li[part="card"]').first().waitFor();
    } catch (e) {
      journey.problems.push(`checkout: ${firstLine(e)}`);
    } finally {
      await context.close();
    }
    readout = await pollMetrics(base, token, 'default', (r) => {
      const f = funnel(r, 'similar');
      return f.add_to_cart >= 10 && f.purchase >= 10 && f.revenue > 0;
    });
  }, 300_000);

  it('the journey ran: 12 clicks on model-ranked rows, each product added, one order placed', () => {
    expect(journey.problems).toEqual([]);
    expect(journey.clicks).toHaveLength(12);
    for (const c of journey.clicks) expect(c.sources, describeClick(c)).toContain('model');
    expect(journey.added).toBe(12);
    expect(orderTotal).toBeGreaterThan(0);
  });

  it('12 of 12 card clicks land on the clicked product (mouse, keyboard Enter, Ctrl-click and middle-click into a new tab)', () => {
    expect(journey.clicks.filter((c) => !landedRight(c)).map(describeClick)).toEqual([]);
    expect(journey.clicks.filter(landedRight)).toHaveLength(12);
  });

  it('every click, add-to-cart and purchase after a click is counted for the row (admin read-out, k = 1)', () => {
    expect(funnel(readout, 'similar'), JSON.stringify(readout?.byPlacement)).toMatchObject({ click: 12, add_to_cart: 12, purchase: 12 });
  });

  it('the revenue of the order goes to the row whose cards were clicked, to the cent', () => {
    expect(funnel(readout, 'similar').revenue, JSON.stringify(readout?.byPlacement)).toBe(orderTotal);
  });
});

describe('a product the model never saw, added to the demo catalog by the merchant', () => {
  const NEW_ID = 'sku-new-tea-01';
  const TITLE = 'Highland Smoked Oolong 100 g';

  beforeAll(async () => {
    // The merchant adds a product through the admin API; the default model was trained before it existed.
    const catalog = (await (await fetch(`${base}/v1/catalog`)).json()) as { updatedAt: string; products: Array<Record<string, unknown>> };
    const model = catalog.products.find((p) => String(p.product_type).startsWith('Coffee'))!;
    catalog.products.push({ ...model, id: NEW_ID, title: TITLE, link: `/p/${NEW_ID}`, sale_price: undefined, stock: 40, availability: 'in_stock' });
    const res = await fetch(`${base}/v1/admin/catalog`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ updatedAt: new Date().toISOString(), products: catalog.products }),
    });
    if (res.status !== 200) throw new Error(`catalog upload answered ${res.status}: ${await res.text()}`);
  });

  it('its page shows no behavioural copy about it, for a new shopper and after browsing', async () => {
    const popular = (await (await fetch(`${base}/v1/popular?model=default`)).json()) as { trending: unknown[]; bestsellers: unknown[] };
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await recordRenders(page);
      const claims: string[] = [];
      for (const path of [`/p/${NEW_ID}`, '/p/sku-0005', '/p/sku-0012', `/p/${NEW_ID}`]) {
        await page.goto(`${base}${path}`);
        if (!path.endsWith(NEW_ID)) continue;
        await page.locator('[data-testid="product-title"]', { hasText: TITLE }).waitFor();
        await waitForRenderWithModel(page, 'similar');
        const lines = await cardLines(page);
        expect(lines.length).toBeGreaterThan(0);
        claims.push(...matching(lines, claimsAbout(TITLE)), ...(await pageClaims(page, PAGE_CLAIMS)));
        if (popular.trending.length === 0) claims.push(...matching(lines, TRENDING));
        if (popular.bestsellers.length === 0) claims.push(...matching(lines, BESTSELLER));
      }
      expect(claims).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

it('on the demo\'s product pages, a model-ranked similar row says shoppers chose a card next exactly where the model\'s signed table shows it', async () => {
  // The table the default model was trained with, as the edge server ships it (manifest, then blob).
  const manifest = (await (await fetch(`${base}/v1/models/default/manifest`)).json()) as { items: { sha256: string }; nextSteps?: { sha256: string } };
  expect(manifest.nextSteps, 'the demo model ships a chosen-next table').toBeDefined();
  const blob = async (sha: string): Promise<Uint8Array<ArrayBuffer>> => new Uint8Array(await (await fetch(`${base}/v1/blobs/${sha}`)).arrayBuffer());
  const itemIds = JSON.parse(new TextDecoder().decode(await blob(manifest.items.sha256))) as string[];
  const table = parseNextSteps(await blob(manifest.nextSteps!.sha256), itemIds);
  const unsupported: string[] = [];
  let shown = 0;
  for (const id of ['sku-0003', 'sku-0021', 'sku-0032', 'sku-0140']) {
    // A new shopper per page: the similar row is ranked after that product alone.
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await recordRenders(page);
      await page.goto(`${base}/p/${id}`);
      const title = (await page.locator('[data-testid="product-title"]').textContent())!.trim();
      await waitForRenderWithModel(page, 'similar');
      const chosen = new Set(table.next.get(id) ?? []);
      const others = [...claimsAbout(title).slice(0, 2), /went on to choose this/];
      for (const line of (await cardLines(page)).filter((l) => l.placement === 'similar' && l.tier === 'similar')) {
        if (chosen.has(line.id)) {
          shown++;
          expect(line.why, `${id} -> ${line.id}`).toBe(`Other shoppers who looked at ${title} went on to choose this.`);
        } else unsupported.push(...matching([line], others).map((m) => `${id}: ${m}`));
      }
    } finally {
      await context.close();
    }
  }
  expect(unsupported).toEqual([]);
  expect(shown, 'some similar card is one the table shows shoppers chose next').toBeGreaterThan(0);
});

it('page views on the demo: no console message, no failed request, no HTTP error', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await recordRenders(page);
    const heard: string[] = [];
    for (const [path, placement] of [['/', 'for-you'], ['/c/coffee-tea', null], ['/p/sku-0003', 'similar'], ['/p/sku-0040', 'similar'], ['/cart', null]] as const) {
      const watch = watchPage(page);
      await page.goto(`${base}${path}`);
      if (placement) await waitForRenderWithModel(page, placement);
      await page.waitForLoadState('networkidle');
      watch.stop();
      heard.push(...watch.messages.map((m) => `${path}: ${m}`));
    }
    expect(heard).toEqual([]);
  } finally {
    await context.close();
  }
});
