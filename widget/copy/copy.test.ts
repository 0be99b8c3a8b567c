import { describe, expect, it } from 'vitest';
import type { Product } from '../../core/catalog.ts';
import type { ShopEvent } from '../../core/events.ts';
import { cardCatalog } from '../ranking/card-catalog.ts';
import { deriveProfile } from '../ranking/profile.ts';
import type { Ranked, Tier } from '../ranking/ranking.ts';
import { TRENDING_MIN_SCORE } from '../../core/analytics.ts';
import { candidateLines, EVIDENCE, fill, templatesFor, why, type CopyContext } from './copy.ts';
import { BUILT_IN } from './templates.ts';
import { COPY_KINDS } from '../ranking/merchant.ts';

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
const TIERS: Tier[] = ['personal', 'similar', 'category', 'trending', 'bestseller', 'catalog', 'history', 'pinned'];
/** The model's chosen-next table in these tests: the pairs at least k shoppers made, X -> card. */
const NEXT: ReadonlyArray<readonly [string, string]> = [['p-12-80', 'p-x-80'], ['p-x-x', 'p-x-80']];
const choseNextOf = (pairs: ReadonlyArray<readonly [string, string]>) => (from: string, to: string): boolean => pairs.some(([x, y]) => x === from && y === to);

function ctx(locale: string, over: Partial<CopyContext> = {}): CopyContext {
  return {
    locale,
    placement: 'for-you',
    profile: deriveProfile(history, (id) => catalog.get(id)),
    product: (id) => catalog.get(id),
    currentItem: 'p-12-80',
    lowStock: 5,
    overrides: {},
    trendingScore: () => TRENDING_MIN_SCORE,
    bestseller: () => true,
    choseNext: choseNextOf(NEXT),
    // Products without variants: each is a group of its own, named by its title.
    groupTitle: (key) => catalog.get(key)?.title,
    ...over,
  };
}
/** What the model read for a card: the whole history and the product on screen. */
const ALL_READ = ['p-x-2', 'p-8-2', 'p-x-x', 'p-12-80'];
/** A card of `tier` whose model ranking (if any) read `basis`. */
const card = (id: string, tier: Tier, basis: readonly string[] = ALL_READ): Ranked => ({ product: catalog.get(id)!, tier, boosted: false, basis });
const texts = (r: Ranked, c: CopyContext): string[] => candidateLines(r, c).map((l) => l.text);
const kindsOf = (r: Ranked, c: CopyContext): string[] => [...new Set(candidateLines(r, c).map((l) => l.kind))];

describe('card copy', () => {
  it('never states a fact the catalog does not hold, in any built-in locale, tier or placement', () => {
    let checked = 0;
    for (const locale of ['en', 'de-DE', 'zh-CN']) {
      for (const placement of ['for-you', 'similar', 'cart'] as const) {
        for (const p of products) {
          for (const tier of TIERS) {
            const lines = candidateLines(card(p.id, tier), ctx(locale, { placement }));
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
              if (line.kind === 'similar') expect([line.slots.title, p.id]).toEqual(['Title p-12-80', 'p-x-80']);
              if (line.kind === 'cart') expect([line.slots.title, p.id]).toEqual(['Title p-x-x', 'p-x-80']);
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
    const lines = candidateLines(card('p-x-80', 'personal'), ctx('en'));
    expect(lines.map((l) => l.text)).toContain('Because you viewed Title p-8-2');
    const self = candidateLines(card('p-8-2', 'personal'), ctx('en'));
    // On the card of the last viewed product itself, the line names the viewed product before it.
    expect(self.filter((l) => l.kind === 'viewed').map((l) => l.slots.title)).toEqual(['Title p-x-2', 'Title p-x-2']);
  });

  it('speaks German and Chinese, and takes merchant templates and added locales with an English fallback', () => {
    const r: Ranked = card('p-8-x', 'trending');
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
    expect(why(card('p-x-80', 'personal'), ctx('en'))).toContain('most recently Title p-x-x');
    expect(why(card('p-x-80', 'personal'), ctx('en', { placement: 'cart' }))).toContain('in your cart (Title p-x-x)');
    expect(why({ ...card('p-x-80', 'similar'), boosted: true }, ctx('en'))).toBe('Other shoppers who looked at Title p-12-80 went on to choose this. The shop gives it extra weight.');
    expect(why(card('p-x-80', 'catalog'), ctx('de'))).toBe('Aus dem Katalog des Shops, in seiner eigenen Reihenfolge.');
  });
});

/**
 * One test per kind's evidence rule (`EVIDENCE`): each shows the claim where its evidence holds and not
 * where it does not, so dropping a rule fails its test.
 */
describe('each kind of line needs its evidence', () => {
  it('has a rule for every kind', () => {
    expect(Object.keys(EVIDENCE).sort()).toEqual([...COPY_KINDS].sort());
  });

  it('"Because you viewed X": only for a product the model\'s ranking read, the newest such view', () => {
    const c = ctx('en');
    expect(texts(card('p-x-80', 'personal'), c)).toContain('Because you viewed Title p-8-2');
    // The newest view (p-8-2) was not read, e.g. a product the model never saw: the line names the one it read.
    expect(texts(card('p-x-80', 'personal', ['p-x-2']), c)).toContain('Because you viewed Title p-x-2');
    expect(texts(card('p-x-80', 'personal', ['p-x-2']), c).join()).not.toMatch(/p-8-2/);
    // Read nothing the shopper viewed: no "viewed" line at all.
    expect(kindsOf(card('p-x-80', 'personal', ['p-x-x']), c)).not.toContain('viewed');
  });

  it('"Shoppers who viewed X chose this next": only when the ranking read X, the product on screen; never on the page of a product the model never saw', () => {
    expect(texts(card('p-x-80', 'similar'), ctx('en'))).toContain('Shoppers who viewed Title p-12-80 chose this next');
    // The product on screen is new to the model: the runtime leaves it out of what the ranking read.
    const unseen = ctx('en', { currentItem: 'p-10-80' });
    // (The category tier names the product on screen as a catalog fact, model or not: tested on its own.)
    for (const tier of TIERS.filter((t) => t !== 'category')) {
      const r = card('p-x-80', tier, ['p-x-2', 'p-8-2']);
      expect(texts(r, unseen).join(' | ')).not.toMatch(/Title p-10-80/);
      expect(why(r, unseen)).not.toMatch(/Title p-10-80|Shoppers who/);
    }
    // Ranked after nothing the model knows: no behavioural claim at all, a neutral line instead.
    const nothing = card('p-x-80', 'similar', []);
    expect(kindsOf(nothing, unseen)).toEqual(['neutral']);
    expect(why(nothing, unseen)).toBe('From the shop’s catalog.');
  });

  it('"Shoppers who viewed X chose this next": only when the chosen-next table shows shoppers chose this card next after X', () => {
    const claims = /Shoppers who|Other shoppers|picked after|went on to choose/;
    const r = card('p-x-80', 'similar');
    // In the table (p-12-80 -> p-x-80): the claim, in the line and in "why this".
    expect(texts(r, ctx('en'))).toEqual(expect.arrayContaining(['Shoppers who viewed Title p-12-80 chose this next', 'Also picked after Title p-12-80 by other shoppers']));
    expect(why(r, ctx('en'))).toBe('Other shoppers who looked at Title p-12-80 went on to choose this.');
    // The same model-ranked card, the same ranking after X, but no shoppers behind the pair: no such claim.
    for (const table of [[], [['p-x-80', 'p-12-80']], [['p-12-80', 'p-x-5']]] as Array<Array<[string, string]>>) {
      const c = ctx('en', { choseNext: choseNextOf(table) });
      expect(kindsOf(r, c)).not.toContain('similar');
      expect(texts(r, c).join(' | ')).not.toMatch(claims);
      expect(why(r, c)).not.toMatch(claims);
    }
    // Instead, what happened on this device: ranked after X, the product on screen.
    const screenOnly = card('p-x-80', 'similar', ['p-12-80']);
    expect(why(screenOnly, ctx('en', { choseNext: () => false }))).toBe(
      'Ranked on this device from Title p-12-80, the product you are viewing. Your history never leaves this device.',
    );
    expect(why(screenOnly, ctx('en'))).toBe('Other shoppers who looked at Title p-12-80 went on to choose this.');
    // Viewed X: "Because you viewed X" is true of a ranking that read X, and claims nothing about other shoppers.
    const viewedX = ctx('en', { choseNext: () => false, profile: deriveProfile([...history, ev('view_item', 'p-12-80', 4)], (id) => catalog.get(id)) });
    expect(texts(r, viewedX)).toContain('Because you viewed Title p-12-80');
  });

  it('"Goes with X in your cart": only when the chosen-next table shows shoppers chose this card next after X', () => {
    const cartRow = (over: Partial<CopyContext> = {}): CopyContext => ctx('en', { placement: 'cart', ...over });
    expect(texts(card('p-x-80', 'personal'), cartRow())).toContain('Goes with Title p-x-x in your cart');
    for (const table of [[], [['p-x-80', 'p-x-x']], [['p-x-x', 'p-x-5']]] as Array<Array<[string, string]>>) {
      const c = cartRow({ choseNext: choseNextOf(table) });
      expect(kindsOf(card('p-x-80', 'personal'), c)).not.toContain('cart');
      expect(texts(card('p-x-80', 'personal'), c).join(' | ')).not.toMatch(/Goes with|Pairs with/);
      // "Why this?" still says, truly, that the ranking read the cart.
      expect(why(card('p-x-80', 'personal'), c)).toContain('Ranked on this device from what is in your cart (Title p-x-x)');
    }
    // Evidence for an older cart item only: the line names that one, never one without evidence.
    const older = ctx('en', {
      placement: 'cart',
      choseNext: choseNextOf([['p-x-2', 'p-x-80']]),
      profile: deriveProfile([ev('add_to_cart', 'p-x-2', 1), ev('add_to_cart', 'p-x-x', 2)], (id) => catalog.get(id)),
    });
    expect(candidateLines(card('p-x-80', 'personal'), older).filter((l) => l.kind === 'cart').map((l) => l.slots.title)).toEqual(['Title p-x-2', 'Title p-x-2']);
  });

  it('without a chosen-next table (a model made before it), no line or explanation in any locale claims what other shoppers chose', () => {
    const claims = /Shoppers|shoppers|picked after|went on to choose|Goes with|Pairs with|Kunden|Passt zu|Ergänzt|顾客|搭配/;
    let checked = 0;
    for (const locale of ['en', 'de-DE', 'zh-CN']) {
      for (const placement of ['for-you', 'similar', 'cart'] as const) {
        for (const tier of ['personal', 'similar'] as const) {
          for (const p of products) {
            const c = ctx(locale, { placement, choseNext: () => false });
            for (const text of [...texts(card(p.id, tier), c), why(card(p.id, tier), c)]) {
              checked++;
              expect(text, `${locale} ${placement} ${tier} ${p.id}`).not.toMatch(claims);
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('"why this?" on the cart row names up to three cart items the ranking read, in the locale\'s list form, and counts the rest', () => {
    const cartOf = (ids: string[], locale = 'en'): CopyContext =>
      ctx(locale, { placement: 'cart', choseNext: () => false, profile: deriveProfile(ids.map((id, i) => ev('add_to_cart', id, i + 1)), (id) => catalog.get(id)) });
    const cart = ['p-x-2', 'p-8-2', 'p-x-x', 'p-12-x', 'p-10-x'];
    const r = card('p-x-80', 'personal', cart);
    const whyEn = (ids: string[]): string => why(r, cartOf(ids));
    expect(whyEn(cart.slice(0, 1))).toContain('from what is in your cart (Title p-x-2).');
    expect(whyEn(cart.slice(0, 2))).toContain('from what is in your cart (Title p-x-2 and Title p-8-2).');
    expect(whyEn(cart.slice(0, 3))).toContain('from what is in your cart (Title p-x-2, Title p-8-2, and Title p-x-x).');
    expect(whyEn(cart)).toContain('from what is in your cart (Title p-x-2, Title p-8-2, Title p-x-x, and 2 more).');
    expect(why(r, cartOf(cart.slice(0, 3), 'de-DE'))).toBe('Auf diesem Gerät aus Ihrem Warenkorb berechnet (Title p-x-2, Title p-8-2 und Title p-x-x). Ihr Verlauf verlässt dieses Gerät nie.');
    expect(why(r, cartOf(cart.slice(0, 4), 'de-DE'))).toContain('(Title p-x-2, Title p-8-2, Title p-x-x und 1 weiteres Produkt)');
    expect(why(r, cartOf(cart, 'de-DE'))).toContain('(Title p-x-2, Title p-8-2, Title p-x-x und 2 weitere Produkte)');
    expect(why(r, cartOf(cart.slice(0, 3), 'zh-CN'))).toBe('根据您购物车中的商品（Title p-x-2、Title p-8-2和Title p-x-x）在本设备上计算。您的记录不会离开本设备。');
    expect(why(r, cartOf(cart, 'zh-CN'))).toContain('（Title p-x-2、Title p-8-2、Title p-x-x和另外2件商品）');
    // A cart item the ranking did not read (one the model does not know) is not named.
    expect(why(card('p-x-80', 'personal', ['p-x-2', 'p-x-x']), cartOf(cart.slice(0, 3)))).toContain('(Title p-x-2 and Title p-x-x)');
  });

  it('"Goes with X in your cart": only on the cart row, for a cart item the ranking read', () => {
    expect(texts(card('p-x-80', 'personal'), ctx('en', { placement: 'cart' }))).toContain('Goes with Title p-x-x in your cart');
    expect(kindsOf(card('p-x-80', 'personal', ['p-x-2', 'p-8-2']), ctx('en', { placement: 'cart' }))).not.toContain('cart');
    expect(kindsOf(card('p-x-80', 'personal'), ctx('en'))).not.toContain('cart');
    expect(why(card('p-x-80', 'personal', ['p-x-2', 'p-8-2']), ctx('en', { placement: 'cart' }))).not.toMatch(/cart/);
  });

  it('"More X, a favourite of yours": only in the shopper\'s favourite category', () => {
    // The profile's favourite is Hair > Shampoo (two views of stock-2 products).
    expect(kindsOf(card('p-x-2', 'catalog'), ctx('en'))).toContain('category');
    expect(kindsOf(card('p-x-80', 'catalog'), ctx('en'))).not.toContain('category');
  });

  it('"Now X, was Y": only with a sale price below the price', () => {
    expect(kindsOf(card('p-8-x', 'catalog'), ctx('en'))).toContain('price_drop');
    expect(kindsOf(card('p-10-x', 'catalog'), ctx('en'))).not.toContain('price_drop');
    expect(kindsOf(card('p-12-x', 'catalog'), ctx('en'))).not.toContain('price_drop');
  });

  it('"Only N left": only with stock in 1..lowStock', () => {
    expect(kindsOf(card('p-x-5', 'catalog'), ctx('en'))).toContain('low_stock');
    for (const id of ['p-x-6', 'p-x-0', 'p-x-x']) expect(kindsOf(card(id, 'catalog'), ctx('en'))).not.toContain('low_stock');
  });

  it('"Trending": only for an item whose trending score passed the threshold; never for a catalog-order fallback', () => {
    const scored = (score: number | undefined): CopyContext => ctx('en', { trendingScore: () => score });
    expect(texts(card('p-x-80', 'trending'), scored(TRENDING_MIN_SCORE))).toContain('Trending in our shop right now');
    expect(why(card('p-x-80', 'trending'), scored(TRENDING_MIN_SCORE))).toMatch(/^Trending/);
    for (const weak of [TRENDING_MIN_SCORE - 0.5, 0.3, undefined]) {
      expect(kindsOf(card('p-x-80', 'trending'), scored(weak))).toEqual(['neutral']);
      expect(why(card('p-x-80', 'trending'), scored(weak))).not.toMatch(/Trending/);
    }
    expect(texts(card('p-x-80', 'catalog'), scored(1000)).join()).not.toMatch(/Trending|Popular/);
  });

  it('"One of our bestsellers": only for an item on the merchant\'s bestseller list', () => {
    expect(texts(card('p-x-80', 'bestseller'), ctx('en'))).toContain('One of our bestsellers');
    const notListed = ctx('en', { bestseller: () => false });
    expect(kindsOf(card('p-x-80', 'bestseller'), notListed)).toEqual(['neutral']);
    expect(why(card('p-x-80', 'bestseller'), notListed)).not.toMatch(/bestseller/);
  });

  it('"Featured in our shop": only where the merchant pinned the product, not for the catalog\'s order', () => {
    expect(kindsOf(card('p-x-80', 'pinned'), ctx('en'))).toContain('featured');
    expect(kindsOf(card('p-x-80', 'catalog'), ctx('en'))).toEqual(['neutral']);
    expect(why(card('p-x-80', 'catalog'), ctx('en'))).not.toMatch(/featured/i);
  });

  it('"You viewed this": only for a product the shopper viewed', () => {
    expect(kindsOf(card('p-x-2', 'history'), ctx('en'))).toContain('history');
    expect(kindsOf(card('p-x-80', 'history'), ctx('en'))).not.toContain('history');
    expect(why(card('p-x-80', 'history'), ctx('en'))).not.toMatch(/You viewed/);
  });

  it('"Picked for you": only when the ranking read some of the shopper\'s own history', () => {
    expect(kindsOf(card('p-x-80', 'personal'), ctx('en'))).toContain('personal');
    // Ranked after the product on screen only, which the shopper never interacted with.
    const r = card('p-x-80', 'similar', ['p-12-80']);
    expect(kindsOf(r, ctx('en'))).not.toContain('personal');
    expect(why(r, ctx('en', { currentItem: undefined }))).toBe('From the shop’s catalog.');
  });

  it('a card with no evidence for any claim gets a neutral line about the product, in every locale, even when the merchant\'s neutral templates cannot be filled', () => {
    const r = card('p-x-80', 'catalog');
    expect(texts(r, ctx('en'))).toEqual(['From our Serum range', 'From our catalog']);
    expect(texts(r, ctx('de-DE'))).toEqual(['Aus unserem Sortiment: Serum', 'Aus unserem Sortiment']);
    expect(texts(r, ctx('zh-CN'))).toEqual(['本店Serum商品', '来自本店商品目录']);
    const odd = ctx('en', { overrides: { en: { neutral: ['Only {stock} of {brand}'] } } });
    expect(candidateLines(r, odd).map((l) => [l.kind, l.text])).toEqual([['neutral', 'From our catalog']]);
  });
});

/**
 * A shop with `item_group_id` variants, as the engine reads it: the profile and the ranking's basis name
 * groups (events grouped by `cardCatalog`'s key), a card shows one variant of its group.
 */
describe('copy on variant groups', () => {
  const variant = (id: string, title: string, availability: Product['availability'] = 'in_stock'): Product => ({ ...base, id, item_group_id: 'jacket', title, price: 89, product_type: 'Apparel > Jackets', availability });
  const shop = cardCatalog({
    updatedAt: '',
    products: [
      variant('jacket S', 'Jacket, size S', 'out_of_stock'),
      variant('jacket M', 'Jacket, size M'),
      variant('jacket L', 'Jacket, size L'),
      { ...base, id: 'mug', title: 'Mug', price: 12, product_type: 'Home > Kitchen' },
    ],
  });
  // As the engine looks products up: the profile by group (a card's facts), copy by own id first (the size named).
  const lookup = (id: string): Product | undefined => shop.cards.get(id) ?? shop.products.get(id);
  const shopCtx = (events: ShopEvent[]): CopyContext =>
    ctx('en', {
      profile: deriveProfile(events, lookup, 10, shop.key),
      product: (id) => shop.products.get(id) ?? shop.cards.get(id),
      currentItem: undefined,
      // As `widget/ranking/next-steps.ts` reads the table: by group.
      choseNext: choseNextOf([['jacket', 'mug']]),
      groupTitle: shop.title,
    });
  /** The jacket's card shows size M (size S is sold out), its group's key is `jacket`. */
  const jacket = (tier: Tier, basis: readonly string[] = []): Ranked => ({ product: shop.cards.get('jacket')!, tier, boosted: false, basis });

  it('"You viewed this" only on a card showing the size the shopper viewed', () => {
    const c = shopCtx([ev('view_item', 'jacket L', 1)]);
    // The recently-viewed card of size L (what the engine shows after a view of L).
    const sizeL: Ranked = { product: shop.products.get('jacket L')!, tier: 'history', boosted: false };
    expect(texts(sizeL, c)).toContain('You viewed this');
    expect(why(sizeL, c)).toMatch(/^You viewed this product/);
    // A card of size M: the shopper did not view it, so no card or "why" says so.
    expect(jacket('history').product.id).toBe('jacket M');
    expect(kindsOf(jacket('history'), c)).toEqual(['neutral']);
    expect(why(jacket('history'), c)).not.toMatch(/You viewed/);
    // Viewed the sold-out size S: the card shows M, and "why" says which size was viewed and why it is not shown.
    const soldOut = shopCtx([ev('view_item', 'jacket S', 1)]);
    expect(kindsOf(jacket('history'), soldOut)).toEqual(['neutral']);
    expect(why(jacket('history'), soldOut)).toBe('You viewed Jacket, size S, which is sold out; this card shows a variant you can order. The list is kept on this device only.');
    // A view of the group's own id (a parent product page) is a view of the group.
    expect(texts(jacket('history'), shopCtx([ev('view_item', 'jacket', 1)]))).toContain('You viewed this');
    // Viewed nothing of the jacket: no such claim.
    expect(kindsOf(jacket('history'), shopCtx([ev('view_item', 'mug', 1)]))).not.toContain('history');
  });

  it('never names the card\'s own group as the reason for it', () => {
    // Both read: the jacket (the card itself) is the newer view, so the line names the mug.
    const c = shopCtx([ev('view_item', 'mug', 1), ev('view_item', 'jacket L', 2)]);
    const r = jacket('personal', ['mug', 'jacket']);
    expect(candidateLines(r, c).filter((l) => l.kind === 'viewed').map((l) => l.slots.title)).toEqual(['Mug', 'Mug']);
    expect(why(r, c)).toContain('most recently Mug');
  });

  it('names the size the shopper viewed or added, not the size the group\'s card shows', () => {
    const mug = (tier: Tier, basis: readonly string[]): Ranked => ({ product: shop.cards.get('mug')!, tier, boosted: false, basis });
    // Viewed size L; the jacket's card would show size M.
    const viewedL = shopCtx([ev('view_item', 'jacket L', 1)]);
    expect(texts(mug('personal', ['jacket']), viewedL)).toContain('Because you viewed Jacket, size L');
    expect(why(mug('personal', ['jacket']), viewedL)).toContain('most recently Jacket, size L');
    // The newest view of the group is the one named.
    const thenS = shopCtx([ev('view_item', 'jacket L', 1), ev('view_item', 'jacket S', 2)]);
    expect(texts(mug('personal', ['jacket']), thenS)).toContain('Because you viewed Jacket, size S');
    // Viewed size L, added size S to the cart: the cart line names the size in the cart, the viewed line the one viewed.
    const added = shopCtx([ev('view_item', 'jacket L', 1), ev('add_to_cart', 'jacket S', 2)]);
    const cartRow = { ...added, placement: 'cart' as const };
    expect(texts(mug('personal', ['jacket']), cartRow)).toContain('Goes with Jacket, size S in your cart');
    expect(why(mug('personal', ['jacket']), cartRow)).toContain('in your cart (Jacket, size S)');
    expect(texts(mug('personal', ['jacket']), added)).toContain('Because you viewed Jacket, size L');
    expect(why(mug('personal', ['jacket']), added)).toContain('most recently Jacket, size S');
    for (const c of [viewedL, thenS, added, cartRow]) {
      for (const line of [...candidateLines(mug('personal', ['jacket']), c), ...candidateLines(mug('similar', ['jacket']), c)]) expect(line.text).not.toContain('size M');
    }
  });

  it('names the group, not a size, in what other shoppers did: the chosen-next table counts shoppers of every size', () => {
    const mug = (tier: Tier, basis: readonly string[]): Ranked => ({ product: shop.cards.get('mug')!, tier, boosted: false, basis });
    // On the page of size L, having viewed it: the claim names the jacket; the shopper's own view names size L.
    const onL = { ...shopCtx([ev('view_item', 'jacket L', 1)]), currentItem: 'jacket', onScreen: 'jacket L' };
    expect(texts(mug('similar', ['jacket']), onL)).toEqual(expect.arrayContaining(['Shoppers who viewed Jacket chose this next', 'Also picked after Jacket by other shoppers', 'Because you viewed Jacket, size L']));
    expect(why(mug('similar', ['jacket']), onL)).toBe('Other shoppers who looked at Jacket went on to choose this.');
    for (const locale of ['en', 'de-DE', 'zh-CN']) {
      const c = { ...onL, locale };
      for (const line of candidateLines(mug('similar', ['jacket']), c).filter((l) => l.kind === 'similar')) expect(line.slots.title).toBe('Jacket');
      expect(why(mug('similar', ['jacket']), c)).not.toMatch(/size/);
    }
    // A group whose titles give no name: the claim names no product.
    const unnamed = { ...onL, groupTitle: () => undefined };
    expect(kindsOf(mug('similar', ['jacket']), unnamed)).not.toContain('similar');
    expect(texts(mug('similar', ['jacket']), unnamed).join(' | ')).not.toMatch(/Shoppers who|other shoppers/);
    expect(why(mug('similar', ['jacket']), unnamed)).toBe('Other shoppers who looked at the product on this page went on to choose this.');
    expect(why(mug('similar', ['jacket']), { ...unnamed, locale: 'de' })).toBe('Andere Kunden, die das Produkt auf dieser Seite angesehen haben, wählten danach dies.');
    // Without the table's evidence, neither.
    expect(why(mug('similar', ['jacket']), { ...unnamed, choseNext: () => false })).not.toMatch(/shoppers/);
  });

  it('a line about the card\'s own product names the variant the card shows', () => {
    const c = { ...shopCtx([ev('view_item', 'jacket M', 1)]), overrides: { en: { history: ['You viewed {product}'] } } };
    expect(texts(jacket('history'), c)).toEqual(['You viewed Jacket, size M']);
  });
});

describe('fill: right-to-left titles', () => {
  it('isolates a right-to-left value, so it cannot reorder the sentence around it', () => {
    expect(fill('Also picked after {title} by other shoppers', { title: 'שמפו 2 ב-1' })).toBe('Also picked after \u2068שמפו 2 ב-1\u2069 by other shoppers');
  });
  it('isolates every value in a right-to-left template, a left-to-right title included', () => {
    expect(fill('נבחר אחרי {title}', { title: 'Shampoo 2-in-1' })).toBe('נבחר אחרי \u2068Shampoo 2-in-1\u2069');
  });
  it('leaves left-to-right text in a left-to-right template as it is', () => {
    expect(fill('Also picked after {title}', { title: 'Shampoo 2-in-1' })).toBe('Also picked after Shampoo 2-in-1');
  });
});
