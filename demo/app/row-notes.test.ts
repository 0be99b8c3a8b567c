/**
 * The demo's own words around its recommendation rows are true for every product, whatever ranks the row:
 * the model may never have seen the product on screen or the cart's items, and a new shopper has no
 * history, so the row's heading and note make no claim about other shoppers, the product or the cart
 * (what the cards themselves may say is decided per card: `widget/copy/copy.ts`).
 */
import { describe, expect, it } from 'vitest';
import { demoCatalog } from '../catalog.ts';
import { buildShop, cartTotals, cartView, confirmationView, homeView, productView } from './views.ts';

/** Claims that need evidence the page does not have. */
const CLAIMS = [/shoppers/i, /chosen next/i, /viewed this/i, /go(es)? with/i, /bought together/i, /based on what you/i, /customers/i];

/** The heading and note of each recommendation row in a page's markup. */
function rowTexts(markup: string): string[] {
  const heads = [...markup.matchAll(/<section class="recs"[^]*?<div class="section-head">([^]*?)<\/div>\s*<span class="tag">/g)];
  return heads.map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
}

describe('the demo\'s recommendation rows', () => {
  const catalog = demoCatalog();
  const shop = buildShop(catalog);
  const pages = [
    homeView(shop).body.value,
    ...catalog.products.map((p) => productView(shop, p, 0).body.value),
    cartView(cartTotals(shop, [])).body.value,
    cartView(cartTotals(shop, [{ id: catalog.products[0]!.id, quantity: 1 }])).body.value,
    confirmationView({ id: 'o-1', total: 12, count: 1, currency: 'EUR' }).body.value,
  ];

  it('are headed on every page that has one', () => {
    for (const page of pages) expect(rowTexts(page)).toHaveLength((page.match(/<edge-recs /g) ?? []).length);
  });

  it('claim nothing about other shoppers, the product or the cart', () => {
    const texts = pages.flatMap(rowTexts);
    expect(texts.length).toBe(pages.length);
    expect(texts.filter((t) => CLAIMS.some((c) => c.test(t)))).toEqual([]);
  });
});
