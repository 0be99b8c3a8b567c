/**
 * Counters reach a cross-origin edge server when the shopper leaves at once, as shoppers do: a click on
 * a card leaves the page it was on, the add-to-cart page is left for the cart right after the shop says
 * "Added", and the thank-you tab is closed as soon as the order number shows. Nothing stays open for the
 * widget's 60-second flush, so every counter must travel in the batch sent as each page goes.
 *
 * The fixture shop (`test/support/fixture-shop/`: a plain multi-page shop on `http://localhost:PORT`, the widget
 * loaded cross-origin with SRI and a pinned key as the README says) against the real Node edge server
 * (`main.ts`, a child process) on `127.0.0.1`, reached through a recording proxy on another
 * `127.0.0.1` port, so the test sees every request the browser sent, also those sent while a page
 * unloads. Real Chromium, the production build, real mouse input.
 *
 * Why the other journeys missed the loss: `attribution-journey.test.ts` runs on the demo, where the
 * shop and the edge server share one origin and no request needs a CORS preflight; the Chromium these
 * tests drive does send a preflighted keepalive request at `pagehide`, so `fixture-shop.test.ts` saw its
 * counters while a merchant's Chromium sent none. A batch must therefore not need a preflight at all:
 * this test checks that on the wire (no `OPTIONS /v1/metrics`, every batch `text/plain`), besides the
 * counters arriving.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startRecordingProxy, type RecordingProxy } from '../support/reliability/recording-proxy.ts';
import { startFixtureStack, type FixtureStack } from '../support/fixture-shop/stack.ts';
import { clickCard, describeClick, funnel, landedRight, pollMetrics } from '../support/e2e/journeys.ts';

let stack: FixtureStack;
let proxy: RecordingProxy;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startFixtureStack(), launchChromium()]);
  proxy = await startRecordingProxy(stack.edge.url);
  stack.shop.setWidget({ ...stack.widget, edgeUrl: proxy.url.replace(/\/$/, '') });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await stack?.stop();
});

/** Whether the widget on `page` has taken `name` in (it is then counted, and sent when the page goes). */
const widgetHas = (page: Page, name: string): Promise<boolean> =>
  page.evaluate(async (n) => (await window.edgeRecs!.events()).some((e) => e.name === n), name);

it('a card click, the add-to-cart after it and the purchase are counted when each page is left at once', { timeout: 240_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${stack.shop.url}/p/FP-1005`);
  // The click leaves the page: its click counter can only go out as the page unloads.
  const click = await clickCard(page, 'similar', 0, 'mouse');
  expect(landedRight(click), describeClick(click)).toBe(true);
  await page.locator('[data-testid="add-to-cart"]').click();
  await page.locator('[data-testid="added"]', { hasText: 'Added' }).waitFor();
  await page.locator('a.cart-link').click();
  await page.locator('[data-testid="checkout"]').click();
  const orderId = (await page.locator('[data-testid="order-id"]').textContent())!;
  const orderTotal = stack.shop.orders.get(orderId)!.total;
  await expect.poll(() => widgetHas(page, 'purchase'), { timeout: 30_000 }).toBe(true);
  await page.close();
  // Counters travel after their page is gone: the browser stays open while the server is read.
  const readout = await pollMetrics(stack.edge.url, stack.adminToken, stack.model, (r) => {
    const f = funnel(r, 'similar');
    return f.click >= 1 && f.add_to_cart >= 1 && f.purchase >= 1;
  });
  await context.close();
  expect(funnel(readout, 'similar'), JSON.stringify(readout.byPlacement)).toEqual({ click: 1, add_to_cart: 1, purchase: 1, revenue: orderTotal });

  // On the wire: batches are CORS-safelisted requests, so no browser has to preflight them as a page unloads.
  // The proxy records a request when it arrives and its status when the server answers: wait for the answers.
  await expect.poll(() => proxy.requests.filter((r) => r.path === '/v1/metrics').every((r) => r.status !== 0), { timeout: 10_000 }).toBe(true);
  const metrics = proxy.requests.filter((r) => r.path === '/v1/metrics');
  expect(metrics.filter((r) => r.method === 'OPTIONS')).toEqual([]);
  expect(metrics.length).toBeGreaterThan(0);
  for (const r of metrics) {
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toMatch(/^text\/plain(;|$)/);
    expect(r.status).toBe(202);
  }
});
