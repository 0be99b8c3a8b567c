/**
 * A click on a recommendation goes where it points, in real Chromium with real mouse and keyboard input
 * (Playwright), on the production widget (`dist/`) loaded cross-origin from the real edge server
 * (`test/support/widget-shop.ts`). Every row clicked is ranked by the model, and the click itself is an
 * event that re-ranks (the clicked product is then left out), so a row that changed under the click
 * would send the shopper elsewhere.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useWidgetShop, type ShopMode } from '../support/widget-shop.ts';

const rig = useWidgetShop();
let context: BrowserContext;

beforeEach(async () => {
  context = await rig.browser.newContext({ viewport: { width: 800, height: 900 } });
});

afterEach(async () => {
  await context.close();
});

/** The cards of a row once the model ranks it. */
async function modelRow(page: Page, row: string): Promise<Locator> {
  // A row already showing the fallback keeps it when the model becomes ready, until a new view.
  await page.waitForFunction(() => (window as unknown as { edgeRecs?: { state: { status: string }; refresh(): void } }).edgeRecs?.state.status === 'ready', undefined, { timeout: 30_000 });
  await page.evaluate(() => (window as unknown as { edgeRecs?: { state: { status: string }; refresh(): void } }).edgeRecs?.refresh());
  await page.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel);
      const cards = el?.shadowRoot?.querySelectorAll('li[part="card"]') ?? [];
      return cards.length >= 3 && Array.from(cards).every((li) => li.getAttribute('data-source') === 'model');
    },
    `#${row}`,
    { timeout: 30_000 },
  );
  return page.locator(`#${row} li[part="card"]`);
}

async function open(path: string, mode: ShopMode): Promise<Page> {
  rig.shop.mode(mode);
  const page = await context.newPage();
  await page.goto(`${rig.shop.shopUrl}${path}`);
  return page;
}

/** The product path a card's link points to now. */
const linkOf = async (card: Locator): Promise<string> => new URL(await card.locator('a[part="link"]').evaluate((a) => (a as HTMLAnchorElement).href)).pathname;
const ids = (page: Page, row: string): Promise<string[]> =>
  page.locator(`#${row} li[part="card"]`).evaluateAll((els) => els.map((el) => el.getAttribute('data-item-id') ?? ''));

describe('a click on a card lands on the product it points to', () => {
  it('plain links (the browser follows the href): three mouse clicks in a row', { timeout: 120_000 }, async () => {
    const page = await open('/p/sku-05', 'mpa');
    for (const [row, n] of [['for-you', 1], ['similar', 0], ['for-you', 2]] as const) {
      const card = (await modelRow(page, row)).nth(n);
      const want = await linkOf(card);
      const from = new URL(page.url()).pathname;
      await Promise.all([page.waitForURL((u) => u.pathname !== from), card.locator('a[part="link"]').click()]);
      expect(new URL(page.url()).pathname).toBe(want);
      await expect.poll(() => page.locator('#product').textContent()).toBe(want.slice('/p/'.length));
    }
  });

  for (const mode of ['spa-bubble', 'spa-capture'] as const) {
    it(`a single-page app's router reading href in a document listener (${mode.slice(4)} phase)`, { timeout: 120_000 }, async () => {
      const page = await open('/p/sku-05', mode);
      for (const [row, n] of [['for-you', 1], ['similar', 2], ['for-you', 0]] as const) {
        const card = (await modelRow(page, row)).nth(n);
        const want = await linkOf(card);
        const routed = await page.evaluate(() => (window as unknown as { __routed: string[] }).__routed.length);
        await card.locator('a[part="link"]').click();
        await page.waitForFunction((n) => (window as unknown as { __routed: string[] }).__routed.length > n, routed);
        const read = await page.evaluate(() => (window as unknown as { __routed: string[] }).__routed.at(-1)!);
        expect(new URL(read).pathname, 'the href the router read').toBe(want);
        expect(new URL(page.url()).pathname).toBe(want);
      }
    });
  }

  it('keyboard Enter on a focused card', { timeout: 120_000 }, async () => {
    const page = await open('/p/sku-05', 'mpa');
    const card = (await modelRow(page, 'for-you')).nth(1);
    const want = await linkOf(card);
    await card.locator('a[part="link"]').focus();
    await Promise.all([page.waitForURL((u) => u.pathname !== '/p/sku-05'), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe(want);
  });

  const newTabClicks: Array<[string, Parameters<Locator['click']>[0]]> = [
    ['middle-click', { button: 'middle' }],
    ['ctrl/cmd-click', { modifiers: ['ControlOrMeta'] }],
  ];
  for (const [how, click] of newTabClicks) {
    it(`${how} opens the card's product in a new tab, and the row does not change under the pointer`, { timeout: 120_000 }, async () => {
      const page = await open('/p/sku-05', 'mpa');
      const cards = await modelRow(page, 'for-you');
      const before = await ids(page, 'for-you');
      const card = cards.nth(1);
      const want = await linkOf(card);
      const [tab] = await Promise.all([context.waitForEvent('page'), card.locator('a[part="link"]').click(click)]);
      await tab.waitForLoadState('domcontentloaded');
      expect(new URL(tab.url()).pathname).toBe(want);
      await tab.close();
      // The click was recorded: the other row re-ranked on it; this one waits while the pointer is on it.
      await expect.poll(() => page.evaluate(async () => (await (window as unknown as { edgeRecs: { events(): Promise<Array<{ name: string }>> } }).edgeRecs.events()).filter((e) => e.name === 'select_item').length)).toBe(1);
      expect(await ids(page, 'for-you')).toEqual(before);
      // A second click at the same spot still goes to the same product.
      const [again] = await Promise.all([context.waitForEvent('page'), card.locator('a[part="link"]').click(click)]);
      await again.waitForLoadState('domcontentloaded');
      expect(new URL(again.url()).pathname).toBe(want);
      await again.close();
      // Once the shopper leaves the row, it re-ranks: the clicked product was seen, so it goes.
      await page.mouse.move(5, 5);
      await page.locator('#away').click();
      await expect.poll(() => ids(page, 'for-you'), { timeout: 15_000 }).not.toContain(want.slice('/p/'.length));
    });
  }
});
