/**
 * Attribution and revenue, end to end: shoppers in real Chromium on the demo shop (`npm start`'s server as
 * a child process, the production widget) click recommendation cards with the real mouse, land on the
 * product in a full page load, add it to the cart there, buy it pages later (and in a later session),
 * and leave. The admin read-out and the dashboard must then show the clicks, add-to-carts, purchases and
 * the revenue of those orders for the placement, model version and copy variant of the clicked cards.
 *
 * The server runs with `--suppress-below 1`, so two shoppers are enough to see every figure (k-suppression
 * itself is tested in `edge-server/analytics/analytics.test.ts`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromMinor, toMinor } from '../../core/currency.ts';
import type { MetricsReadout } from '../../edge-server/analytics/readout.ts';
import { launchChromium } from '../support/chromium.ts';
import { startDemoServer, type DemoServer } from '../support/e2e/demo-server.ts';

let server: DemoServer;
let browser: Browser;
let token: string;

beforeAll(async () => {
  server = await startDemoServer({ args: ['--suppress-below', '1'] });
  token = (await readFile(join(server.dataDir, 'admin-token'), 'utf8')).trim();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The placement, model version and copy variant a card is counted under, as the widget reports them. */
interface Clicked {
  id: string;
  placement: string;
  modelVersion: string;
  variant: string;
}

/** What the journeys expect the read-out to hold, per placement|version|variant. */
const expected = new Map<string, { key: Clicked; clicks: number; carts: number; purchases: number; minor: number; currency: string }>();

function expect1(key: Clicked, purchase: { value: number; currency: string }): void {
  const id = `${key.placement}|${key.modelVersion}|${key.variant}`;
  const e = expected.get(id) ?? { key, clicks: 0, carts: 0, purchases: 0, minor: 0, currency: purchase.currency };
  e.clicks++;
  e.carts++;
  e.purchases++;
  e.minor += toMinor(purchase.value, purchase.currency);
  expected.set(id, e);
}

function watchErrors(page: Page, errors: string[]): Page {
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return page;
}

/** Opens a product page (a full load) and waits for its "similar" row to be ranked by the model. */
async function productPage(page: Page, id: string): Promise<void> {
  await page.goto(`${server.url}p/${id}`);
  // A row already showing the fallback keeps it when the model becomes ready, until a new view.
  await page.waitForFunction(() => (window as unknown as { edgeRecs?: { state: { status: string }; refresh(): void } }).edgeRecs?.state.status === 'ready', undefined, { timeout: 60_000 });
  await page.evaluate(() => (window as unknown as { edgeRecs?: { state: { status: string }; refresh(): void } }).edgeRecs?.refresh());
  await page.waitForFunction(
    () => {
      const cards = document.querySelector('edge-recs[placement="similar"]')?.shadowRoot?.querySelectorAll('li[part="card"]') ?? [];
      return cards.length >= 3 && Array.from(cards).every((li) => li.getAttribute('data-source') === 'model');
    },
    undefined,
    { timeout: 60_000 },
  );
}

/** The first card of the similar row, as the widget will count a click on it. */
async function firstSimilarCard(page: Page): Promise<Clicked> {
  const li = page.locator('edge-recs[placement="similar"] li[part="card"]').first();
  const modelVersion = await page.evaluate(() => window.edgeRecs!.state.modelVersion!);
  return { id: (await li.getAttribute('data-item-id'))!, placement: 'similar', modelVersion, variant: (await li.getAttribute('data-variant'))! };
}

/** The product the landed page shows (its URL), once the page has rendered it. */
async function landedProduct(page: Page): Promise<string> {
  await page.locator('[data-testid="product-title"]').waitFor();
  return new URL(page.url()).pathname.split('/').pop()!;
}

async function addToCart(page: Page): Promise<void> {
  await page.locator('[data-testid="add-to-cart"]').click();
  await expect.poll(() => page.locator('[data-testid="cart-count"]').textContent()).toBe('1');
}

/** Checks out on the cart page (a full load) and returns the GA4 purchase the shop pushed. */
async function checkout(page: Page): Promise<{ value: number; currency: string; transaction_id: string }> {
  await page.goto(`${server.url}cart`);
  await page.locator('[data-testid="checkout"]').click();
  await page.getByText('Thank you for your order').waitFor();
  const pushes = await page.evaluate(() => (window as unknown as { dataLayer: Array<{ event?: string; ecommerce?: unknown }> }).dataLayer.filter((e) => e.event === 'purchase').map((e) => e.ecommerce));
  expect(pushes).toHaveLength(1);
  return pushes[0] as { value: number; currency: string; transaction_id: string };
}

/** Leaves the page the way a shopper does (a full navigation): the widget flushes its counters on pagehide. */
async function leave(page: Page): Promise<void> {
  await page.goto(`${server.url}c/${await firstCategory(page)}`);
  await page.close();
}

async function firstCategory(page: Page): Promise<string> {
  const href = await page.locator('a[href^="/c/"]').first().getAttribute('href');
  return href!.split('/').pop()!;
}

async function readout(): Promise<MetricsReadout> {
  const res = await fetch(`${server.url}v1/admin/metrics?model=default`, { headers: { Authorization: `Bearer ${token}` } });
  return (await res.json()) as MetricsReadout;
}

async function startProduct(context: BrowserContext, index: number): Promise<string> {
  const res = await fetch(`${server.url}v1/catalog`);
  const { products } = (await res.json()) as { products: Array<{ id: string; availability: string }> };
  void context;
  return products.filter((p) => p.availability === 'in_stock')[index]!.id;
}

describe('attribution and revenue, end to end on the demo shop', () => {
  it('a card opened in a new tab (ctrl-click), added to the cart there and bought pages later is counted with its revenue', { timeout: 240_000 }, async () => {
    const errors: string[] = [];
    const context = await browser.newContext();
    const page = watchErrors(await context.newPage(), errors);
    await productPage(page, await startProduct(context, 3));
    const card = await firstSimilarCard(page);
    const [tab] = await Promise.all([context.waitForEvent('page'), page.locator('edge-recs[placement="similar"] li[part="card"] a[part="link"]').first().click({ modifiers: ['ControlOrMeta'] })]);
    watchErrors(tab, errors);
    expect(await landedProduct(tab)).toBe(card.id);
    await addToCart(tab);
    // Pages later, full loads each: the shop's home, a category, another product, then the cart.
    await tab.goto(server.url);
    await tab.goto(`${server.url}c/${await firstCategory(tab)}`);
    await tab.locator('[data-testid="product-tile"]').nth(1).click();
    await landedProduct(tab);
    const purchase = await checkout(tab);
    expect(purchase.currency).toMatch(/^[A-Z]{3}$/);
    expect(purchase.value).toBeGreaterThan(0);
    expect1(card, purchase);
    await leave(tab);
    await leave(page);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a card followed in the same tab (a full page load, as on a shop without a client-side router), bought in a later session, is counted with its revenue', { timeout: 240_000 }, async () => {
    const errors: string[] = [];
    const context = await browser.newContext();
    // The demo is a single-page app; this shopper's shop is a plain multi-page site: card links load the
    // product page in full. Stopping the click before the demo's document-level router (after the widget
    // has handled it) leaves the browser's own navigation, as on a shop with no router.
    await context.addInitScript(() => {
      addEventListener('DOMContentLoaded', () =>
        document.body.addEventListener('click', (e) => {
          if (e.composedPath().some((n) => (n as Element).localName === 'edge-recs')) e.stopPropagation();
        }),
      );
    });
    const page = watchErrors(await context.newPage(), errors);
    await productPage(page, await startProduct(context, 7));
    const card = await firstSimilarCard(page);
    const before = page.url();
    await page.locator('edge-recs[placement="similar"] li[part="card"] a[part="link"]').first().click();
    await page.waitForURL((url) => url.href !== before);
    expect(await landedProduct(page)).toBe(card.id);
    // A full load, not the demo's router: the widget's page API was installed afresh.
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    await addToCart(page);
    await leave(page);

    // A later session: a new tab (no sessionStorage of the first), straight to the cart.
    const later = watchErrors(await context.newPage(), errors);
    const purchase = await checkout(later);
    expect1(card, purchase);
    await leave(later);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the admin read-out and the dashboard show the clicks, add-to-carts, purchases and revenue of those cards', { timeout: 120_000 }, async () => {
    expect(expected.size).toBeGreaterThan(0);
    // Batches travel by keepalive fetch as the pages go: wait until the server has all of them.
    await expect
      .poll(
        async () => {
          const groups = (await readout()).groups;
          return [...expected.values()].every((e) => {
            const g = groups.find((x) => x.placement === e.key.placement && x.modelVersion === e.key.modelVersion && x.variant === e.key.variant);
            return g !== undefined && g.purchase === e.purchases && g.revenue[e.currency]?.orders === e.purchases;
          });
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(true);
    const out = await readout();
    for (const e of expected.values()) {
      const g = out.groups.find((x) => x.placement === e.key.placement && x.modelVersion === e.key.modelVersion && x.variant === e.key.variant)!;
      expect(g.click).toBeGreaterThanOrEqual(e.clicks);
      expect(g.add_to_cart).toBe(e.carts);
      expect(g.purchase).toBe(e.purchases);
      expect(g.conversion).not.toBeNull();
      // The orders' own value, to the cent: each cart held the clicked product only.
      expect(g.revenue[e.currency]!.amount).toBe(fromMinor(e.minor, e.currency));
      expect(Number(g.revenue[e.currency]!.amount)).toBeGreaterThan(0);
      expect(g.revenue[e.currency]!.perClick).toBeGreaterThan(0);
      expect(g.revenue[e.currency]!.perImpression).toBeGreaterThan(0);
    }
    const html = await (await fetch(`${server.url}dashboard?model=default`, { headers: { Authorization: `Bearer ${token}` } })).text();
    for (const e of expected.values()) {
      expect(html).toContain(`<td>${e.key.placement}</td><td><code>${e.key.modelVersion}</code></td><td><code>${e.key.variant}</code></td>`);
      expect(html).toContain(`${fromMinor(e.minor, e.currency)} ${e.currency}`);
    }
  });
});
