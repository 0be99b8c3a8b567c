/**
 * Outcomes per experiment arm, end to end: two shoppers in real Chromium on the fixture shop (a plain
 * multi-page shop on `http://localhost:PORT`, the production widget loaded cross-origin with SRI) against
 * the real Node edge server (`main.ts`, a child process, on `127.0.0.1`, behind a recording proxy), one
 * device in each arm of a running holdout experiment. Each views a product, adds it to the cart (no card
 * clicked), goes to the cart and checks out: full page loads each, every page left at once. What reached
 * the server must be one session per arm, with an add-to-cart, a purchase, one order and the order's
 * value as the session's revenue (and its square), under the experiment's name and the device's arm, and
 * nothing else per session.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseMetricsBatch } from '../../core/analytics.ts';
import { toMinor } from '../../core/currency.ts';
import { drawArm, type Arm, type ExperimentCounter, type ExperimentRevenue } from '../../core/experiment.ts';
import { launchChromium } from '../support/chromium.ts';
import { startRecordingProxy, type RecordingProxy } from '../support/reliability/recording-proxy.ts';
import { startFixtureStack, type FixtureStack } from '../support/fixture-shop/stack.ts';

let stack: FixtureStack;
let proxy: RecordingProxy;
let browser: Browser;
const EXPERIMENT = { name: 'journey-test', holdout: 0.5, control: 'bestsellers' as const };

beforeAll(async () => {
  [stack, browser] = await Promise.all([startFixtureStack(), launchChromium()]);
  proxy = await startRecordingProxy(stack.edge.url);
  stack.shop.setWidget({ ...stack.widget, edgeUrl: proxy.url.replace(/\/$/, '') });
  const put = await fetch(`${stack.edge.url}/v1/admin/models/${stack.model}/experiment`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${stack.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(EXPERIMENT),
  });
  expect(put.status, await put.text()).toBe(201);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await stack?.stop();
});

/** A draw in [0, 1) that puts a device in `arm`. */
function drawFor(arm: Arm): number {
  for (let i = 0; ; i++) if (drawArm(EXPERIMENT, (i + 0.5) / 1000) === arm) return (i + 0.5) / 1000;
}

/** One shopper on a device whose kept draw puts it in `arm`: product page, add to cart, cart, checkout. Returns the order's total in cents. */
async function journey(arm: Arm): Promise<number> {
  const context = await browser.newContext();
  // The device's draw as its first page would keep it; the widget copies it into the profile.
  await context.addInitScript((draw) => {
    if (location.hostname === 'localhost' && sessionStorage.getItem('edge-recs:experiment-draw') === null) sessionStorage.setItem('edge-recs:experiment-draw', String(draw));
  }, drawFor(arm));
  const errors: string[] = [];
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${stack.shop.url}/p/FP-1005`);
  await expect.poll(() => page.evaluate(() => window.edgeRecs?.state.arm), { timeout: 60_000 }).toBe(arm);
  // The row as the arm shows it: a control device's row is the shop's bestsellers and catalog order.
  await page.locator('edge-recs[placement="similar"] li[part="card"]').first().waitFor({ timeout: 60_000 });
  if (arm === 'control') {
    const sources = await page.locator('edge-recs[placement="similar"] li[part="card"]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-source')));
    expect(new Set(sources)).toEqual(new Set(['fallback']));
  }
  await page.locator('[data-testid="add-to-cart"]').click();
  await page.locator('[data-testid="added"]', { hasText: 'Added' }).waitFor();
  await page.locator('a.cart-link').click();
  await page.locator('[data-testid="checkout"]').click();
  const orderId = (await page.locator('[data-testid="order-id"]').textContent())!;
  await expect.poll(() => page.evaluate(async () => (await window.edgeRecs!.events()).some((e) => e.name === 'purchase')), { timeout: 30_000 }).toBe(true);
  await page.close();
  await context.close();
  expect(errors).toEqual([]);
  return toMinor(stack.shop.orders.get(orderId)!.total, 'EUR');
}

it('counts each arm\'s session, add-to-cart, purchase, order and revenue from the shop\'s own events, across full page loads, with no card clicked', { timeout: 300_000 }, async () => {
  const totals = { treatment: await journey('treatment'), control: await journey('control') };
  const batches = () => proxy.requests.filter((r) => r.path === '/v1/metrics' && r.method === 'POST').map((r) => parseMetricsBatch(JSON.parse(r.body.toString('utf8'))));
  const sums = (arm: Arm) => {
    const counters = batches().flatMap((b) => b.experiments ?? []).filter((c) => c.arm === arm);
    const revenue = batches().flatMap((b) => b.experimentRevenue ?? []).filter((r) => r.arm === arm);
    const sum = (k: keyof Omit<ExperimentCounter, 'experiment' | 'arm'>) => counters.reduce((a, c) => a + c[k], 0);
    const add = (k: keyof Pick<ExperimentRevenue, 'amount' | 'squares'>) => revenue.reduce((a, r) => a + r[k], 0);
    return { sessions: sum('sessions'), cartSessions: sum('cartSessions'), purchaseSessions: sum('purchaseSessions'), orders: sum('orders'), amount: add('amount'), squares: add('squares') };
  };
  // Batches travel as each page goes: wait until both purchases have arrived.
  await expect.poll(() => sums('treatment').orders + sums('control').orders, { timeout: 30_000 }).toBe(2);
  for (const arm of ['treatment', 'control'] as const) {
    expect(sums(arm), arm).toEqual({ sessions: 1, cartSessions: 1, purchaseSessions: 1, orders: 1, amount: totals[arm], squares: totals[arm] ** 2 });
  }
  // Under the experiment's name only, in EUR, and every batch the server took.
  for (const b of batches()) {
    for (const e of [...(b.experiments ?? []), ...(b.experimentRevenue ?? [])]) expect(e.experiment).toBe(EXPERIMENT.name);
    for (const r of b.experimentRevenue ?? []) expect(r.currency).toBe('EUR');
  }
  // The proxy records a request when it arrives and its status when the server answers: wait for the answers.
  const statuses = () => [...new Set(proxy.requests.filter((q) => q.path === '/v1/metrics' && q.method === 'POST').map((q) => q.status))];
  await expect.poll(statuses, { timeout: 10_000 }).toEqual([202]);
});
