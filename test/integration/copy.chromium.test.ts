/**
 * Card copy in the page, in real Chromium on the production widget (`dist/`) and the real edge server
 * (`test/support/widget-shop.ts`): no behavioural claim without its evidence.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseNextSteps } from '../../core/artifact/next-steps.ts';
import { NEW_ITEMS, useWidgetShop } from '../support/widget-shop.ts';

const rig = useWidgetShop();

interface Shown {
  id: string;
  source: string;
  reason: string;
  why: string;
}

/** The engine's status (`window.edgeRecs.state`), or `no widget` where the loader did not run. */
const status = (page: Page): Promise<string> => page.evaluate(() => (window as unknown as { edgeRecs?: { state: { status: string } } }).edgeRecs?.state.status ?? 'no widget');
/** Each row's `state` attribute by its id: what the row shows now (`ready`: ranked by the model). */
const rowStates = (page: Page): Promise<Record<string, string | null>> =>
  page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('edge-recs')).map((el) => [el.id, el.getAttribute('state')])));

/**
 * Every card of every row once the model has loaded and each row shows what it settles on (`settled`: its
 * `state`). The engine is `ready` one re-rank before the rows show what the model ranked, so the rows' own
 * state is what is waited for.
 */
async function shown(page: Page, settled: Record<string, string>): Promise<Record<string, Shown[]>> {
  await expect.poll(() => status(page), { timeout: 30_000, interval: 100 }).toBe('ready');
  // Rows that show the fallback keep it when the model becomes ready (no swap of seen cards), until a new view.
  await page.evaluate(() => (window as unknown as { edgeRecs?: { state: { status: string }; refresh(): void } }).edgeRecs?.refresh());
  await expect.poll(() => rowStates(page), { timeout: 30_000, interval: 100 }).toEqual(settled);
  return page.evaluate(() => {
    const out: Record<string, Shown[]> = {};
    for (const el of Array.from(document.querySelectorAll('edge-recs'))) {
      out[el.id] = Array.from(el.shadowRoot!.querySelectorAll('li[part="card"]')).map((li) => ({
        id: li.getAttribute('data-item-id') ?? '',
        source: li.getAttribute('data-source') ?? '',
        reason: li.querySelector('[part="reason"]')?.textContent ?? '',
        why: li.querySelector('[part="why"]')?.textContent ?? '',
      }));
    }
    return out;
  });
}

describe('card copy in the page', () => {
  it('on the page of a product the model never saw, no card says shoppers viewed it, nor names it as a reason', { timeout: 90_000 }, async () => {
    const context = await rig.browser.newContext();
    const page = await context.newPage();
    // A product the model knows first, so the rows on the next page are really ranked by the model.
    await page.goto(`${rig.shop.shopUrl}/p/sku-03`);
    await shown(page, { similar: 'ready', 'for-you': 'ready' });
    const unknown = NEW_ITEMS[2]!;
    await page.goto(`${rig.shop.shopUrl}/p/${unknown}`);
    // Both rows ranked by the model, after what it read: the product viewed before.
    const rows = await shown(page, { similar: 'ready', 'for-you': 'ready' });
    const cards = Object.values(rows).flat();
    expect(cards.some((c) => c.source === 'model'), 'some cards are ranked by the model').toBe(true);
    const title = `Product ${Number(unknown.slice(4))}`;
    for (const c of cards) {
      expect(c.reason, `card ${c.id}`).not.toContain(title);
      expect(c.why, `card ${c.id}`).not.toContain(title);
      expect(c.reason, `card ${c.id}`).not.toMatch(/^Shoppers who viewed/);
    }
    // What the model did read may be named: the product viewed before.
    expect(cards.filter((c) => c.source === 'model').map((c) => c.why).join(' ')).toContain('Product 3');
    await context.close();
  });

  it('on a model-ranked similar row, every claim about what shoppers chose next is in the model\'s signed table, and every card in it says so', { timeout: 90_000 }, async () => {
    // The table as the edge server ships it: the manifest names it, the blob store serves it.
    const manifest = (await (await fetch(`${rig.shop.edgeUrl}/v1/models/default/manifest`)).json()) as { items: { sha256: string }; nextSteps: { sha256: string } };
    const blob = async (sha: string): Promise<Uint8Array<ArrayBuffer>> => new Uint8Array(await (await fetch(`${rig.shop.edgeUrl}/v1/blobs/${sha}`)).arrayBuffer());
    const itemIds = JSON.parse(new TextDecoder().decode(await blob(manifest.items.sha256))) as string[];
    const table = parseNextSteps(await blob(manifest.nextSteps.sha256), itemIds);
    const context = await rig.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${rig.shop.shopUrl}/p/sku-03`);
    const similar = (await shown(page, { similar: 'ready', 'for-you': 'ready' })).similar!.filter((c) => c.source === 'model');
    expect(similar.length, 'the similar row is ranked by the model').toBeGreaterThan(0);
    const chosen = new Set(table.next.get('sku-03'));
    const claim = /Shoppers who|Other shoppers|picked after|went on to choose|Goes with|Pairs with/;
    for (const c of similar) {
      if (chosen.has(c.id)) {
        expect(c.why, `card ${c.id}`).toBe('Other shoppers who looked at Product 3 went on to choose this.');
      } else {
        expect(c.reason, `card ${c.id}`).not.toMatch(claim);
        // What happened instead: ranked on this device after the product on screen.
        expect(c.why, `card ${c.id}`).toMatch(/^Ranked on this device from .*Product 3/);
        expect(c.why, `card ${c.id}`).not.toMatch(claim);
      }
    }
    // The row holds both kinds of card, so each branch above was checked.
    expect(similar.some((c) => chosen.has(c.id)) && similar.some((c) => !chosen.has(c.id)), JSON.stringify(similar)).toBe(true);
    await context.close();
  });

  it('a trending row with no trending counts behind it never says trending', { timeout: 90_000 }, async () => {
    const context = await rig.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${rig.shop.shopUrl}/`);
    // A new shopper: nothing for the model to rank after, and no trending counts; both rows fall back.
    const { trending } = await shown(page, { 'for-you': 'fallback', trending: 'fallback' });
    expect(trending!.length).toBeGreaterThan(0);
    for (const c of trending!) {
      expect(c.reason).not.toMatch(/trending|popular/i);
      expect(c.why).not.toMatch(/trending|popular/i);
    }
    expect(await page.locator('#trending').getAttribute('state')).toBe('fallback');
    await context.close();
  });
});
