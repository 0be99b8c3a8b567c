import { describe, expect, it } from 'vitest';
import type { Product } from '../../core/catalog.ts';
import type { ShopEvent } from '../../core/events.ts';
import { deriveProfile } from '../profile.ts';
import type { Ranked, Tier } from '../ranking.ts';
import { candidateLines, fill, templatesFor, why, type CopyContext } from './copy.ts';
import { BUILT_IN } from './templates.ts';

const base = { link: '/p', image_link: '/i', currency: 'EUR', availability: 'in_stock' } as const;
// Every combination of the facts copy may state: on sale or not (or a "sale" price that is no lower),
// stock low, high, zero or unknown.
const products: Product[] = [];
for (const sale of [undefined, 8, 10, 12]) {
  for (const stock of [undefined, 0, 2, 5, 6, 80]) {
    const id = `p-${sale ?? 'x'}-${stock ?? 'x'}`;
    products.push({ ...base, id, title: `Title ${id}`, price: 10, product_type: stock === 2 ? 'Hair > Shampoo' : 'Skin > Serum', ...(sale === undefined ? {} : { sale_price: sale }), ...(stock === undefined ? {} : { stock }) });
  }
}
const catalog = new Map(products.map((p) => [p.id, p]));
const ev = (name: ShopEvent['name'], id: string, ts: number): ShopEvent => ({ name, ts, items: [{ item_id: id }] });
const history = [ev('view_item', 'p-x-2', 1), ev('view_item', 'p-8-2', 2), ev('add_to_cart', 'p-x-x', 3)];
const TIERS: Tier[] = ['personal', 'similar', 'trending', 'bestseller', 'catalog', 'history', 'pinned'];

function ctx(locale: string, over: Partial<CopyContext> = {}): CopyContext {
  return { locale, placement: 'for-you', profile: deriveProfile(history, (id) => catalog.get(id)), product: (id) => catalog.get(id), currentItem: 'p-12-80', lowStock: 5, overrides: {}, ...over };
}

describe('card copy', () => {
  it('never states a fact the catalog does not hold, in any built-in locale, tier or placement', () => {
    let checked = 0;
    for (const locale of ['en', 'de-DE', 'zh-CN']) {
      for (const placement of ['for-you', 'similar', 'cart'] as const) {
        for (const p of products) {
          for (const tier of TIERS) {
            const lines = candidateLines({ product: p, tier, boosted: false }, ctx(locale, { placement }));
            expect(lines.length, `${p.id} ${tier}`).toBeGreaterThan(0);
            expect(lines.some((l) => l.kind === 'price_drop'), `price-drop line for ${p.id}`).toBe(p.sale_price !== undefined && p.sale_price < p.price);
            for (const line of lines) {
              checked++;
              expect(line.text).not.toMatch(/[{}]/);
              const drop = line.kind === 'price_drop';
              if (drop) {
                expect(p.sale_price, `${line.text} for ${p.id}`).toBe(8);
                expect(line.slots.sale_price).toMatch(/8/);
              }
              if (line.kind === 'low_stock') {
                expect(p.stock !== undefined && p.stock > 0 && p.stock <= 5, `${line.text} for ${p.id}`).toBe(true);
                expect(line.slots.stock).toBe(String(p.stock));
              }
              // Text-level: the words of a price drop or of scarcity appear only when the fact holds.
              if (locale === 'en' && /\bwas\b|instead of|price drop/i.test(line.text)) expect(p.sale_price).toBe(8);
              if (locale === 'en' && /only|just .* in stock/i.test(line.text)) expect(p.stock).toBeLessThanOrEqual(5);
              if (line.kind === 'viewed') expect(history.some((e) => e.name === 'view_item' && catalog.get(e.items[0]!.item_id)?.title === line.slots.title)).toBe(true);
              if (line.kind === 'similar') expect(line.slots.title).toBe('Title p-12-80');
              if (line.kind === 'cart') expect(line.slots.title).toBe('Title p-x-x');
              if (line.kind === 'category') expect(p.product_type).toBe('Hair > Shampoo');
              if (line.kind === 'bestseller') expect(tier).toBe('bestseller');
              if (line.kind === 'trending') expect(tier).toBe('trending');
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('says "Because you viewed" with the title of a viewed product, and nothing about the product it is on', () => {
    const lines = candidateLines({ product: catalog.get('p-x-80')!, tier: 'personal', boosted: false }, ctx('en'));
    expect(lines.map((l) => l.text)).toContain('Because you viewed Title p-8-2');
    const self = candidateLines({ product: catalog.get('p-8-2')!, tier: 'personal', boosted: false }, ctx('en'));
    // On the card of the last viewed product itself, the line names the viewed product before it.
    expect(self.filter((l) => l.kind === 'viewed').map((l) => l.slots.title)).toEqual(['Title p-x-2', 'Title p-x-2']);
  });

  it('speaks German and Chinese, and takes merchant templates and added locales with an English fallback', () => {
    const r: Ranked = { product: catalog.get('p-8-x')!, tier: 'trending', boosted: false };
    // Intl puts a no-break space before the euro sign.
    expect(candidateLines(r, ctx('de-DE')).map((l) => l.text.replace(/\u00a0/g, ' '))).toContain('Jetzt 8,00 € statt 10,00 €');
    expect(candidateLines(r, ctx('zh-CN')).map((l) => l.text)).toContain('本店当下热门');
    const fr = ctx('fr-FR', { overrides: { fr: { trending: ['Tendance en ce moment'], price_drop: ['Maintenant {sale_price} au lieu de {price}', 'Seulement {stock} restants'] } } });
    const texts = candidateLines(r, fr).map((l) => l.text.replace(/\u00a0|\u202f/g, ' '));
    expect(texts).toContain('Tendance en ce moment');
    expect(texts).toContain('Maintenant 8,00 € au lieu de 10,00 €');
    // A merchant template naming a fact the product lacks (no stock given) is never used.
    expect(texts.some((t) => t.startsWith('Seulement'))).toBe(false);
    expect(templatesFor('fr', 'viewed', fr.overrides).locale).toBe('en');
    expect(candidateLines(r, fr).find((l) => l.text.startsWith('Maintenant'))!.variant).toBe('price_drop.0');
  });

  it('fills only named slots and refuses a template with a missing one', () => {
    expect(fill('Only {stock} left', { stock: '3' })).toBe('Only 3 left');
    expect(fill('Only {stock} left', {})).toBeUndefined();
    expect(fill('Only {toString} left', { stock: '3' })).toBeUndefined();
    for (const locale of Object.keys(BUILT_IN)) expect(Object.keys(BUILT_IN[locale]!).sort()).toEqual(Object.keys(BUILT_IN.en!).sort());
  });

  it('explains each card by its tier and the profile fact behind it', () => {
    const p = catalog.get('p-x-80')!;
    expect(why({ product: p, tier: 'personal', boosted: false }, ctx('en'))).toContain('most recently Title p-x-x');
    expect(why({ product: p, tier: 'personal', boosted: false }, ctx('en', { placement: 'cart' }))).toContain('in your cart (Title p-x-x)');
    expect(why({ product: p, tier: 'similar', boosted: true }, ctx('en'))).toBe('Shoppers who looked at Title p-12-80 often chose this next. The shop gives it extra weight.');
    expect(why({ product: p, tier: 'catalog', boosted: false }, ctx('de'))).toContain('Vom Shop empfohlen');
  });
});
