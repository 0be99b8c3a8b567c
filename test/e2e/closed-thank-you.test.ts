/**
 * A purchase is counted when the shopper closes the thank-you tab before the widget's engine has loaded
 * (issue 13, must-have 2). Shoppers close the order confirmation as soon as it shows; the engine chunk
 * loads only after first paint, so the loader holds the purchase, and a closed tab hands nothing on to
 * a next page. The loader credits it itself as the page goes (`widget/loader/queued-credit.ts`).
 *
 * The fixture shop (`test/support/fixture-shop/`, a plain multi-page shop on `http://localhost:PORT`, the production
 * widget cross-origin with SRI and a pinned key) against the real Node edge server on `127.0.0.1`,
 * reached through a recording proxy that holds the engine chunk on the thank-you page, so the page is
 * always closed before the engine can load. Real Chromium, real mouse input: a card click, the product
 * added to the cart with a product that was not clicked, checkout, then the tab closed
 * (`page.close({ runBeforeUnload: true })`), the whole browser context closed, or the tab left at once
 * for another page. The admin read-out must show the purchase, the order and the clicked product's exact
 * share of the order, once: a later page view (a new tab, or the next page of the tab, which takes the
 * purchase over from the loader) does not count it again.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startRecordingProxy, type Recorded, type RecordingProxy } from '../support/reliability/recording-proxy.ts';
import { productPath } from '../support/fixture-shop/catalog.ts';
import { startFixtureStack, type FixtureStack } from '../support/fixture-shop/stack.ts';
import { adminMetrics, clickCard, describeClick, funnel, landedRight, pollMetrics, waitForModelRow, type MetricsReadout } from '../support/e2e/journeys.ts';

let stack: FixtureStack;
let proxy: RecordingProxy;
let browser: Browser;
/** The loader's lazily imported credit code (`chunks/queued-credit-….js`), as the proxy serves it. */
let creditChunk: string;

/** The engine chunk (`widget/app.ts`), the one the loader imports after first paint, or at once for a purchase. */
const isEngineChunk = (r: Recorded): boolean => /^\/widget\/chunks\/app-[\w-]+\.js$/.test(r.path);
/** A product bought beside the clicked one without a card click (water filter or bottle): it credits nothing. */
const unclicked = (clickedId: string): string => (clickedId === 'FP-1030' ? 'FP-1029' : 'FP-1030');

beforeAll(async () => {
  [stack, browser] = await Promise.all([startFixtureStack(), launchChromium()]);
  proxy = await startRecordingProxy(stack.edge.url);
  stack.shop.setWidget({ ...stack.widget, edgeUrl: proxy.url.replace(/\/$/, '') });
  const loader = await (await fetch(`${stack.edge.url}/widget/edge-recs.js`)).text();
  const name = /\.\/chunks\/(queued-credit-[\w-]+\.js)/.exec(loader)?.[1];
  if (!name) throw new Error('the loader names no queued-credit chunk: is dist/ built from this checkout? (npm run build)');
  creditChunk = `${proxy.url}widget/chunks/${name}`;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await stack?.stop();
});

interface Bought {
  page: Page;
  clickedId: string;
  orderId: string;
  /** The clicked product's line of the order, in EUR: its share of the order's value (no shipping here). */
  clickedLine: number;
  /** Lets the engine chunk through again. */
  release(): void;
}

/**
 * A card click on a product page, the product added to the cart, a product that was not clicked added
 * too, checkout. Resolves on the thank-you page once the loader has taken the purchase in and its credit
 * code has loaded, while the engine chunk is held: the moment the shopper closes the tab.
 */
async function buyAndHoldEngine(context: BrowserContext): Promise<Bought> {
  const page = await context.newPage();
  await page.goto(`${stack.shop.url}${productPath('FP-1005')}`);
  const click = await clickCard(page, 'similar', 0, 'mouse');
  expect(landedRight(click), describeClick(click)).toBe(true);
  const clickedId = click.landed.id!;
  const other = unclicked(clickedId);
  for (const id of [clickedId, other]) {
    if (id !== clickedId) await page.goto(`${stack.shop.url}${productPath(id)}`);
    await page.locator('[data-testid="add-to-cart"]').click();
    await page.locator('[data-testid="added"]', { hasText: 'Added' }).waitFor();
  }
  await page.locator('a.cart-link').click();
  await page.locator('[data-testid="checkout"]').waitFor();

  // The thank-you page must fetch the engine chunk (not take it from the HTTP cache), and gets no answer.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const asked = proxy.requests.filter(isEngineChunk).length;
  const held = proxy.hold(isEngineChunk);
  let orderId: string;
  try {
    await page.locator('[data-testid="checkout"]').click();
    orderId = (await page.locator('[data-testid="order-id"]').textContent())!.trim();
    await page.waitForFunction(() => 'edgeRecs' in window);
    // A purchase starts the engine at once: its chunk is asked for, and held.
    await expect.poll(() => proxy.requests.filter(isEngineChunk).length, { timeout: 10_000 }).toBeGreaterThan(asked);
    // The loader imported its credit code when it queued the purchase; this import resolves after that one.
    // (A string: the test runner would rewrite an import() in a function it hands to the page.)
    await page.evaluate(`import(${JSON.stringify(creditChunk)}).then(() => undefined)`);
    expect(await page.evaluate(() => (window as unknown as { edgeRecs: { state: { status: string } } }).edgeRecs.state.status)).toBe('loading');
  } catch (e) {
    held.release();
    throw e;
  }

  const order = stack.shop.orders.get(orderId)!;
  expect(order.lines.map((l) => l.product.id).sort()).toEqual([clickedId, other].sort());
  const line = order.lines.find((l) => l.product.id === clickedId)!;
  const clickedLine = (line.product.sale ?? line.product.price) * line.quantity;
  expect(clickedLine).toBeLessThan(order.total);
  return { page, clickedId, orderId, clickedLine, release: () => held.release() };
}

/** The `similar` row's click, add-to-cart and purchase counters, orders and revenue (EUR). */
function similar(r: MetricsReadout): { click: number; add_to_cart: number; purchase: number; orders: number; revenue: number } {
  const row = r.byPlacement.find((p) => p.placement === 'similar');
  return { ...funnel(r, 'similar'), orders: row?.revenue.EUR?.orders ?? 0 };
}

/** The read-out once the journey's purchase arrived: `before` plus one click, add-to-cart, purchase and order, and `revenue`. */
async function expectOnePurchase(before: ReturnType<typeof similar>, revenue: number): Promise<void> {
  const readout = await pollMetrics(stack.edge.url, stack.adminToken, stack.model, (r) => similar(r).purchase > before.purchase);
  const after = similar(readout);
  expect({ ...after, revenue: Math.round(after.revenue * 100) }, JSON.stringify(readout.byPlacement)).toEqual({
    click: before.click + 1,
    add_to_cart: before.add_to_cart + 1,
    purchase: before.purchase + 1,
    orders: before.orders + 1,
    revenue: Math.round((before.revenue + revenue) * 100),
  });
}

/** A page view that shows the `for-you` row, then closed: the read-out after its batch arrived. */
async function laterPageView(page: Page, url: string): Promise<MetricsReadout> {
  const impressions = (r: MetricsReadout): number => r.byPlacement.find((p) => p.placement === 'for-you')?.impression ?? 0;
  const before = impressions(await adminMetrics(stack.edge.url, stack.adminToken, stack.model));
  if (page.url() !== url) await page.goto(url);
  await waitForModelRow(page, 'for-you');
  await page.close({ runBeforeUnload: true });
  return pollMetrics(stack.edge.url, stack.adminToken, stack.model, (r) => impressions(r) > before);
}

const readout = (): Promise<MetricsReadout> => adminMetrics(stack.edge.url, stack.adminToken, stack.model);

it('counts the purchase, its order and the clicked line of a thank-you tab closed before the engine loaded; a later tab does not count it again', { timeout: 240_000 }, async () => {
  const context = await browser.newContext();
  try {
    const before = similar(await readout());
    const bought = await buyAndHoldEngine(context);
    await bought.page.close({ runBeforeUnload: true });
    bought.release();
    await expectOnePurchase(before, bought.clickedLine);

    const counted = similar(await readout());
    const later = await laterPageView(await context.newPage(), `${stack.shop.url}/`);
    expect(similar(later)).toEqual(counted);
  } finally {
    await context.close();
  }
});

it('counts it when the whole browser context is closed on the thank-you page', { timeout: 240_000 }, async () => {
  const context = await browser.newContext();
  const before = similar(await readout());
  const bought = await buyAndHoldEngine(context);
  await context.close();
  bought.release();
  await expectOnePurchase(before, bought.clickedLine);
});

it('counts it once when the tab goes on to another page at once: the next page takes the purchase over without counting it again', { timeout: 240_000 }, async () => {
  const context = await browser.newContext();
  try {
    const before = similar(await readout());
    const bought = await buyAndHoldEngine(context);
    await bought.page.getByRole('link', { name: 'Continue shopping' }).click();
    await bought.page.waitForURL(`${stack.shop.url}/`);
    // Only now may the engine load: on the next page, which takes the loader's handoff.
    bought.release();
    await expectOnePurchase(before, bought.clickedLine);
    const counted = similar(await readout());
    // The next page's engine took the purchase in (it is in the on-device log) and counted nothing for it.
    await expect.poll(() => bought.page.evaluate(async () => (await (window as unknown as { edgeRecs: { events(): Promise<Array<{ name: string }>> } }).edgeRecs.events()).some((e) => e.name === 'purchase')), { timeout: 30_000 }).toBe(true);
    const later = await laterPageView(bought.page, `${stack.shop.url}/`);
    expect(similar(later)).toEqual(counted);
  } finally {
    await context.close();
  }
});
