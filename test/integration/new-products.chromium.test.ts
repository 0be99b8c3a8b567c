/**
 * Issue 18 in the page: a product added to the catalog after the model was trained is ranked by the model
 * (from its content features) on the next page view, in real Chromium, on the production widget (`dist/`,
 * the heavy-work worker) and the real edge server (`test/support/widget-shop.ts`); its card says only
 * content facts ("Same brand as …", "More in …"), never what shoppers did.
 *
 * The model is made so that the ranking is known in advance: its final layer norm has no gain and a bias
 * along the first axis, so every history's hidden state is that axis and an item's score is the first
 * component of its vector; only the features `brand:flame` and `cat:outdoor > stoves` have one. A stove of
 * that brand new in the catalog therefore scores highest of all, from its features alone.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Product } from '../../core/catalog.ts';
import type { ModelConfig } from '../../core/model/config.ts';
import { buildItemFeatures, productFeatureNames } from '../../core/model/features.ts';
import { initWeights } from '../../core/model/weights.ts';
import { WHY } from '../../widget/copy/templates.ts';
import { PRODUCTS, useWidgetShop } from '../support/widget-shop.ts';

/** The rig's products, two of them outdoor gear of one brand: the stove the shopper views, and a pan. */
const products: Product[] = PRODUCTS.map((p) =>
  p.id === 'sku-05' ? { ...p, product_type: 'Outdoor > Stoves', brand: 'Flame' } : p.id === 'sku-06' ? { ...p, product_type: 'Outdoor > Cookware', brand: 'Flame' } : p,
);
/** The model was trained on the first 36 products, as the rig's default model was. */
const trained = products.slice(0, 36);
/** Added to the catalog after training. */
const campStove: Product = { ...PRODUCTS[0]!, id: 'camp-stove', title: 'Camp Stove', link: '/p/camp-stove', price: 45, product_type: 'Outdoor > Stoves', brand: 'Flame' };

const features = buildItemFeatures(trained.map(productFeatureNames), 1);
const config: ModelConfig = { numItems: trained.length, dim: 8, blocks: 1, heads: 1, maxLen: 10, numFeatures: features.names.length };
const weights = initWeights(config, 7);
weights.get('final_ln.gamma')!.values.fill(0);
weights.get('final_ln.beta')!.values.set([1, 0, 0, 0, 0, 0, 0, 0]);
const featEmb = weights.get('feat_emb')!.values;
for (let f = 0; f <= features.names.length; f++) featEmb[f * config.dim] = 0;
for (const name of ['brand:flame', 'cat:outdoor > stoves']) featEmb[(features.names.indexOf(name) + 1) * config.dim] = 4;

const rig = useWidgetShop({ products, model: { config, itemIds: trained.map((p) => p.id), weights, features } });

interface Shown {
  id: string;
  source: string;
  reason: string;
  why: string;
}

const status = (page: Page): Promise<string> => page.evaluate(() => (window as unknown as { edgeRecs?: { state: { status: string } } }).edgeRecs?.state.status ?? 'no widget');
const rowStates = (page: Page): Promise<Record<string, string | null>> =>
  page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('edge-recs')).map((el) => [el.id, el.getAttribute('state')])));

/** Every card of each row, by row id, once the model ranks them (as in `copy.chromium.test.ts`). */
async function shown(page: Page): Promise<Record<string, Shown[]>> {
  await expect.poll(() => status(page), { timeout: 30_000, interval: 100 }).toBe('ready');
  await page.evaluate(() => (window as unknown as { edgeRecs?: { refresh(): void } }).edgeRecs?.refresh());
  await expect.poll(() => rowStates(page), { timeout: 30_000, interval: 100 }).toEqual({ similar: 'ready', 'for-you': 'ready' });
  return page.evaluate(() =>
    Object.fromEntries(
      Array.from(document.querySelectorAll('edge-recs')).map((el) => [
        el.id,
        Array.from(el.shadowRoot!.querySelectorAll('li[part="card"]')).map((li) => ({
          id: li.getAttribute('data-item-id') ?? '',
          source: li.getAttribute('data-source') ?? '',
          reason: li.querySelector('[part="reason"]')?.textContent ?? '',
          why: li.querySelector('[part="why"]')?.textContent ?? '',
        })),
      ]),
    ),
  );
}

describe('a product added to the catalog after training', () => {
  it('is ranked by the model on the next page view, first in its rows, with content-fact copy only', { timeout: 120_000 }, async () => {
    const context = await rig.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${rig.shop.shopUrl}/p/sku-05`);
    const before = Object.values(await shown(page)).flat();
    expect(before.some((c) => c.source === 'model'), 'the rows are ranked by the model').toBe(true);
    expect(before.map((c) => c.id)).not.toContain('camp-stove');

    // The merchant adds the stove to the catalog; no model is trained or published.
    await rig.shop.setProducts([...products, campStove]);
    await page.goto(`${rig.shop.shopUrl}/p/sku-05`);
    const rows = await shown(page);
    // First in both rows: its features put it above every item the model knows by its id.
    for (const [row, cards] of Object.entries(rows)) expect(cards[0]?.id, `${row}: ${JSON.stringify(cards)}`).toBe('camp-stove');
    for (const c of Object.values(rows).flat().filter((c) => c.id === 'camp-stove')) {
      expect(c.source).toBe('model');
      expect(['Same brand as Product 5', 'Also from Flame, like Product 5', 'More in Stoves', 'Also in Stoves, like Product 5']).toContain(c.reason);
      expect(c.why).toBe(WHY.en!.content_brand!.replace('{title}', 'Product 5'));
      expect(c.reason).not.toMatch(/viewed|shoppers|cart|for you/i);
    }
    await context.close();
  });
});
