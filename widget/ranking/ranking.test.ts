import { describe, expect, it } from 'vitest';
import { groupIndex, type Product } from '../../core/catalog.ts';
import { rank, inCategory, type CandidateList, type RankInput } from './ranking.ts';

const P = (id: string, product_type: string, extra: Partial<Product> = {}): Product => ({
  id, title: id.toUpperCase(), link: `/p/${id}`, image_link: `/i/${id}`, price: 10, currency: 'EUR', availability: 'in_stock', product_type, ...extra,
});
// Catalog order a..h: two categories alternating, g out of stock.
const catalog = new Map(
  [P('a', 'Hair > Shampoo'), P('b', 'Skin > Serum'), P('c', 'Hair > Shampoo'), P('d', 'Skin > Serum'), P('e', 'Hair > Shampoo', { brand: 'Lumen' }),
    P('f', 'Skin > Serum'), P('g', 'Hair > Shampoo', { availability: 'out_of_stock' }), P('h', 'Coffee > Beans')].map((p) => [p.id, p]),
);
const list = (tier: CandidateList['tier'], ids: string[]): CandidateList => ({ tier, items: ids.map((id, i) => ({ id, score: ids.length - i })) });
const run = (over: Partial<RankInput>) => rank({ count: 4, catalog, exclude: new Set(), lists: [], rules: { maxPerCategory: 0 }, ...over });
const ids = (r: ReturnType<typeof rank>) => r.map((x) => x.product.id);

describe('rank', () => {
  it('follows the fallback chain personal -> similar -> trending -> bestsellers -> catalog order, each product once', () => {
    const r = run({ count: 7, lists: [list('personal', ['e']), list('similar', ['e', 'f']), list('trending', ['h']), list('bestseller', ['b'])] });
    expect(ids(r)).toEqual(['e', 'f', 'h', 'b', 'a', 'c', 'd']);
    expect(r.map((x) => x.tier)).toEqual(['personal', 'similar', 'trending', 'bestseller', 'catalog', 'catalog', 'catalog']);
  });

  it('is never empty while something may be shown, and never random: the catalog order fills an empty chain', () => {
    expect(ids(run({}))).toEqual(['a', 'b', 'c', 'd']);
    expect(ids(run({}))).toEqual(ids(run({})));
  });

  it('drops excluded, out-of-stock and unknown products', () => {
    expect(ids(run({ count: 8, exclude: new Set(['a', 'b']), lists: [list('personal', ['zz', 'g', 'c'])] }))).toEqual(['c', 'd', 'e', 'f', 'h']);
  });

  it('applies category include and exclude rules, matching a path prefix case-insensitively, and never relaxes them', () => {
    expect(ids(run({ count: 8, rules: { include: ['hair'] } }))).toEqual(['a', 'c', 'e']);
    expect(ids(run({ count: 8, rules: { exclude: ['Skin > Serum', 'Coffee'] } }))).toEqual(['a', 'c', 'e']);
    expect(inCategory('Hair > Shampoo', 'Hair')).toBe(true);
    expect(inCategory('Haircare > X', 'Hair')).toBe(false);
  });

  it('boosts within a tier by brand, category or ids, and a negative boost sinks a product', () => {
    expect(ids(run({ lists: [list('personal', ['a', 'b', 'c', 'e'])], rules: { boost: [{ brand: 'lumen', by: 1 }] } }))).toEqual(['e', 'a', 'b', 'c']);
    const sunk = run({ lists: [list('personal', ['a', 'b', 'c', 'd'])], rules: { boost: [{ ids: ['a'], by: -1 }] } });
    expect(ids(sunk)).toEqual(['b', 'c', 'd', 'a']);
    // A boost never lifts a fallback product above a personal one.
    expect(ids(run({ count: 2, lists: [list('personal', ['b'])], rules: { boost: [{ category: 'Coffee', by: 1 }] } }))).toEqual(['b', 'h']);
    expect(run({ lists: [list('personal', ['e'])], rules: { boost: [{ brand: 'Lumen', by: 0.5 }] } })[0]!.boosted).toBe(true);
  });

  it('keeps at most maxPerCategory per product_type, relaxing it only to fill the row', () => {
    const diverse = run({ count: 4, lists: [list('personal', ['a', 'c', 'e', 'b'])], rules: { maxPerCategory: 2 } });
    expect(ids(diverse)).toEqual(['a', 'c', 'b', 'd']);
    const tight = run({ count: 4, rules: { maxPerCategory: 1, include: ['Hair'] } });
    expect(ids(tight)).toEqual(['a', 'c', 'e']);
  });

  it('pins products at their positions when they may be shown', () => {
    const r = run({ lists: [list('personal', ['a', 'b', 'c', 'd'])], rules: { pin: [{ id: 'h', position: 2 }, { id: 'g', position: 1 }, { id: 'f', position: 9 }] } });
    expect(ids(r)).toEqual(['a', 'h', 'b', 'c']);
    expect(r[1]!.tier).toBe('pinned');
    // An excluded product is never pinned.
    expect(ids(run({ exclude: new Set(['h']), rules: { pin: [{ id: 'h', position: 1 }] } }))).not.toContain('h');
  });
});

describe('rank: variant groups', () => {
  // A 3-size jacket (S sold out) and two plain products, as the engine builds the card catalog.
  const products = [
    P('jacket-s', 'Apparel > Jackets', { item_group_id: 'jacket', availability: 'out_of_stock' }),
    P('mug', 'Home'),
    P('jacket-m', 'Apparel > Jackets', { item_group_id: 'jacket' }),
    P('jacket-l', 'Apparel > Jackets', { item_group_id: 'jacket' }),
    P('pot', 'Home'),
  ];
  const index = groupIndex({ products });
  const cards = new Map([...index.groups.keys()].map((k) => [k, index.shown(k)!]));
  const grouped = (over: Partial<RankInput>) => rank({ count: 5, catalog: cards, exclude: new Set(), lists: [], rules: { maxPerCategory: 0 }, keyOf: index.keyOf, ...over });

  it('shows one card per group, the variant in stock, wherever a variant is ranked', () => {
    expect(ids(grouped({}))).toEqual(['jacket-m', 'mug', 'pot']);
    // A list naming sizes (the server's lists count variants) or the group: one card, at the first mention.
    const r = grouped({ lists: [list('trending', ['pot', 'jacket-l', 'jacket-s', 'jacket'])] });
    expect(ids(r)).toEqual(['pot', 'jacket-m', 'mug']);
    expect(r.map((x) => x.tier)).toEqual(['trending', 'trending', 'catalog']);
  });

  it('reads exclusions, pins and boosts of any variant as the group', () => {
    expect(ids(grouped({ exclude: new Set(['jacket']) }))).toEqual(['mug', 'pot']);
    expect(ids(grouped({ rules: { pin: [{ id: 'jacket-l', position: 3 }], maxPerCategory: 0 } }))).toEqual(['mug', 'pot', 'jacket-m']);
    expect(ids(grouped({ lists: [list('personal', ['mug', 'pot', 'jacket'])], rules: { boost: [{ ids: ['jacket-s'], by: 1 }] } }))).toEqual(['jacket-m', 'mug', 'pot']);
  });
});
