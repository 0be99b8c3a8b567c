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
import { cardLines, claimsAbout, claimsOnUnseenProduct, matching, recordRenders, waitForRenderWithModel } from '../support/e2e/copy-claims.ts';
import { launchChromium } from '../support/chromium.ts';
import { startDemoServer, type DemoServer } from '../support/e2e/demo-server.ts';
import { parseNextSteps } from '../../core/artifact/next-steps.ts';
import { clickAndAdd, firstLine, journeyTests, pageViewMessages, pollJourneyFunnel, type ClickHow, type JourneyOutcome } from '../support/e2e/journeys.ts';

let server: DemoServer;
let browser: Browser;
let token: string;
let base: string;

beforeAll(async () => {
  // k = 1: one shopper's journey shows in the read-out (k-suppression is tested in edge-server/analytics).
  [server, browser] = await Promise.all([startDemoServer({ args: ['--suppress-below', '1'] }), launchChromium()]);
  base = server.url.replace(/\/$/, '');
  // `npm start` (`demo/main.ts`) makes its admin token on first start and keeps it in the data directory.
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
  const outcome: JourneyOutcome = { journey: { clicks: [], problems: [], added: 0 }, orderTotal: 0, readout: undefined };

  beforeAll(async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.locator('a[href^="/c/"]').first().click();
      await page.locator('[data-testid="product-tile"]').nth(1).click();
      await page.locator('[data-testid="product-title"]').waitFor();
      outcome.journey = await clickAndAdd(page, 'similar', PLAN, addToCart);
      await page.locator('a.cart-link').click();
      // The order's value as the shop reports it to GA4 (shipping included): the cart's total.
      outcome.orderTotal = Number((await page.locator('[data-testid="cart-total"]').textContent())!.replace(/[^0-9.]/g, ''));
      await page.locator('[data-testid="checkout"]').click();
      await page.getByText(/DEMO-[A-Z0-9]+/).first().waitFor();
      // Leaving the page sends the counters.
      await page.goto(server.url);
      await page.locator('edge-recs[placement="for-you"] li[part="card"]').first().waitFor();
    } catch (e) {
      outcome.journey.problems.push(`checkout: ${firstLine(e)}`);
    } finally {
      await context.close();
    }
    outcome.readout = await pollJourneyFunnel(base, token, 'default', 'similar');
  }, 300_000);

  journeyTests(() => outcome);
});

describe('a product added to the demo catalog after training (the model reads it from its content features only)', () => {
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

  it('its page shows no copy about other shoppers and it, for a new shopper and after browsing', async () => {
    const visit = { shopUrl: base, edgeUrl: base, model: 'default', unseen: { id: NEW_ID, title: TITLE }, browsed: ['/p/sku-0005', '/p/sku-0012'], readFromFeatures: true };
    expect(await claimsOnUnseenProduct(browser, visit)).toEqual([]);
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
  const views = [['/', 'for-you'], ['/c/coffee-tea', null], ['/p/sku-0003', 'similar'], ['/p/sku-0040', 'similar'], ['/cart', null]] as const;
  expect(await pageViewMessages(browser, base, views)).toEqual([]);
});
