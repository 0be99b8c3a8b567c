import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { startDemoServer, type DemoServer } from '../support/e2e/demo-server.ts';

/** Item ids of the cards an `<edge-recs>` element shows (Playwright's CSS pierces open shadow roots). */
async function cardIds(page: Page, placement: string): Promise<string[]> {
  return page.locator(`edge-recs[placement="${placement}"] li[part="card"]`).evaluateAll((els) => els.map((el) => el.getAttribute('data-item-id') ?? ''));
}

/** Reads the event log straight from IndexedDB, not through the widget's API. */
async function storedEvents(page: Page): Promise<Array<{ name: string; items: Array<{ item_id: string }> }>> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('edge-recs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('events').objectStore('events').getAll();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        };
      }),
  );
}

describe('demo shop, end to end in Chromium', () => {
  let server: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startDemoServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('serves the default model at the documented manifest URL', async () => {
    const res = await fetch(`${server.url}v1/models/default/manifest`);
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as { name: string; quantization: string; signature?: unknown };
    expect(manifest.name).toBe('default');
    expect(manifest.quantization).toBe('uint8');
    expect(manifest.signature).toBeTruthy();
  });

  it('records a product view and an add-to-cart in IndexedDB and re-ranks the cards on-device', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    const forYou = page.locator('edge-recs[placement="for-you"] li[part="card"]');
    await forYou.first().waitFor();
    const before = await cardIds(page, 'for-you');
    expect(before.length).toBeGreaterThan(0);

    // View a product from a category page.
    await page.locator('[data-testid="product-tile"]').nth(3).click();
    const title = page.locator('[data-testid="product-title"]');
    await title.waitFor();
    const viewed = new URL(page.url()).pathname.split('/').pop()!;
    // The model is ready and the similar row is ranked by it, not the bestseller fallback (a row already
    // showing the fallback keeps it when the model becomes ready, until a new view).
    await page.waitForFunction(() => window.edgeRecs?.state.status === 'ready', undefined, { timeout: 60_000 });
    await page.evaluate(() => window.edgeRecs!.refresh());
    await page.locator('edge-recs[placement="similar"][state="ready"] li[part="card"]').first().waitFor({ timeout: 60_000 });
    const similarBefore = await cardIds(page, 'similar');
    expect(similarBefore).not.toContain(viewed);

    await page.locator('[data-testid="add-to-cart"]').click();
    await expect.poll(async () => (await storedEvents(page)).map((e) => e.name)).toContain('add_to_cart');
    expect(await page.locator('[data-testid="cart-count"]').textContent()).toBe('1');
    const events = await storedEvents(page);
    expect(events.find((e) => e.name === 'view_item')?.items[0]?.item_id).toBe(viewed);
    expect(events.find((e) => e.name === 'add_to_cart')?.items[0]?.item_id).toBe(viewed);

    // Back home through the shop's own (SPA) link: "for you" is now ranked by the model from this
    // history, differs from the cold-start row and leaves out what is already in the cart.
    await page.locator('a.logo').click();
    await page.locator('edge-recs[placement="for-you"][state="ready"] li[part="card"]').first().waitFor({ timeout: 60_000 });
    const after = await cardIds(page, 'for-you');
    expect(after).not.toEqual(before);
    expect(after).not.toContain(viewed);

    // Every new event re-ranks in place, with no reload and no network round trip.
    const other = before.find((id) => id !== viewed && !after.includes(id))!;
    await page.evaluate((id) => window.edgeRecs!.track('view_item', { items: [{ item_id: id }] }), other);
    await expect.poll(() => cardIds(page, 'for-you')).not.toEqual(after);
    expect((await storedEvents(page)).at(-1)?.items[0]?.item_id).toBe(other);

    // The cart page's row completes the basket and never offers what is already in it.
    await page.locator('a.cart-link').click();
    await page.locator('edge-recs[placement="cart"][state="ready"] li[part="card"]').first().waitFor();
    expect(await cardIds(page, 'cart')).not.toContain(viewed);

    // Every card explains itself, and the footer opens the shopper's profile panel.
    const why = page.locator('edge-recs[placement="cart"] [part="why-button"]').first();
    await why.click();
    await expect.poll(() => page.locator('edge-recs[placement="cart"] [part="why"]:not([hidden])').first().textContent()).toMatch(/\w/);
    await page.locator('[data-testid="open-profile"]').click();
    await expect.poll(() => page.locator('dialog[data-edge-recs-profile] [data-testid="profile-events"]').textContent()).toMatch(/\d+ events/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
