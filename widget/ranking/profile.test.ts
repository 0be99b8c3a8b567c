import { describe, expect, it } from 'vitest';
import type { ShopEvent } from '../../core/events.ts';
import { deriveProfile } from './profile.ts';

let ts = 0;
const ev = (name: ShopEvent['name'], item_id: string, quantity?: number): ShopEvent => ({
  name,
  ts: ++ts,
  items: [{ item_id, ...(quantity === undefined ? {} : { quantity }) }],
});

describe('deriveProfile', () => {
  it('keeps an item in the cart after a partial removal and drops it when its count reaches zero', () => {
    const added = [ev('add_to_cart', 'a', 2), ev('add_to_cart', 'b')];
    expect(deriveProfile([...added, ev('remove_from_cart', 'a', 1)]).cart).toEqual(['a', 'b']);
    expect(deriveProfile([...added, ev('remove_from_cart', 'a', 1), ev('remove_from_cart', 'a', 1)]).cart).toEqual(['b']);
  });

  it('removes the whole item when remove_from_cart carries no quantity', () => {
    expect(deriveProfile([ev('add_to_cart', 'a', 3), ev('remove_from_cart', 'a')]).cart).toEqual([]);
  });

  it('moves purchased items out of the cart and into purchased', () => {
    const p = deriveProfile([ev('add_to_cart', 'a'), ev('add_to_cart', 'b'), ev('purchase', 'a')]);
    expect(p.cart).toEqual(['b']);
    expect([...p.purchased]).toEqual(['a']);
  });

  it('reads events in time order whatever order they are stored in', () => {
    const add = ev('add_to_cart', 'a');
    const remove = ev('remove_from_cart', 'a');
    expect(deriveProfile([remove, add]).cart).toEqual([]);
  });

  it('builds the model sequence from interest events only, collapsing repeats', () => {
    const p = deriveProfile([ev('view_item', 'a'), ev('view_item', 'a'), ev('remove_from_cart', 'x'), ev('add_to_cart', 'b'), ev('view_item_list', 'c')]);
    expect(p.sequence).toEqual(['a', 'b']);
  });

  it('lists viewed items most recent first, each once, ignoring other events', () => {
    const p = deriveProfile([ev('view_item', 'a'), ev('view_item', 'b'), ev('add_to_cart', 'c'), ev('view_item', 'a'), ev('select_item', 'd')]);
    expect(p.viewed).toEqual(['a', 'b']);
  });

  it('counts every variant for its group, and keeps the newest variant of each group per kind of event', () => {
    const group = (id: string): string => id.split(' ')[0]!;
    const p = deriveProfile([ev('view_item', 'jacket L'), ev('view_item', 'jacket S'), ev('add_to_cart', 'jacket M'), ev('view_item', 'mug'), ev('select_item', 'jacket L')], undefined, undefined, group);
    expect(p.viewed).toEqual(['mug', 'jacket']);
    expect(p.sequence).toEqual(['jacket', 'mug', 'jacket']);
    expect(p.cart).toEqual(['jacket']);
    expect(p.variants.viewed).toEqual(new Map([['jacket', 'jacket S'], ['mug', 'mug']]));
    expect(p.variants.added).toEqual(new Map([['jacket', 'jacket M']]));
    expect(p.variants.interest).toEqual(new Map([['jacket', 'jacket L'], ['mug', 'mug']]));
    // The size the shopper last viewed, added or bought: a list's select_item is not the shopper's pick.
    expect(p.variants.latest).toEqual(new Map([['jacket', 'jacket M'], ['mug', 'mug']]));
    const bought = deriveProfile([ev('add_to_cart', 'jacket M'), ev('purchase', 'jacket L')], undefined, undefined, group);
    expect(bought.variants.latest).toEqual(new Map([['jacket', 'jacket L']]));
  });
});

describe('deriveProfile: affinities, price band, recency, frequency, segment', () => {
  const product = (id: string) =>
    ({ a: { product_type: 'Hair > Shampoo', price: 10 }, b: { product_type: 'Hair > Shampoo', price: 20, sale_price: 16 }, c: { product_type: 'Skin > Serum', price: 40 } } as unknown as Record<string, never>)[id];
  const at = (name: ShopEvent['name'], item_id: string, day: number): ShopEvent => ({ name, ts: Date.UTC(2026, 0, 1 + day), items: [{ item_id }] });
  const now = Date.UTC(2026, 0, 10);

  it('weights categories from the catalog by kind and recency, and names a favourite', () => {
    const p = deriveProfile([at('view_item', 'a', 1), at('add_to_cart', 'b', 2), at('view_item', 'c', 8), at('view_item', 'x', 8)], product, now);
    expect(p.categories.map((c) => c.category)).toEqual(['Hair > Shampoo', 'Skin > Serum']);
    expect(p.categories.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1);
    expect(p.favouriteCategory).toBe('Hair > Shampoo');
    expect(p.priceBand).toEqual({ low: 10, median: 16, high: 40 });
    expect(p.lastSeen).toBe(Date.UTC(2026, 0, 9));
    expect(p.activeDays).toBe(3);
    expect(p.eventCount).toBe(4);
  });

  it('names no favourite from a single event, and takes event categories for items the catalog lacks', () => {
    const p = deriveProfile([{ name: 'view_item', ts: now - 1000, items: [{ item_id: 'zz', item_category: 'Toys', price: 5 }] }], product, now);
    expect(p.categories).toEqual([{ category: 'Toys', weight: 1 }]);
    expect(p.favouriteCategory).toBeUndefined();
    expect(p.priceBand).toEqual({ low: 5, median: 5, high: 5 });
  });

  it('segments shoppers from new to repeat buyer', () => {
    expect(deriveProfile([]).segment).toBe('new');
    expect(deriveProfile([at('view_item', 'a', 1)]).segment).toBe('browsing');
    expect(deriveProfile([at('view_item', 'a', 1), at('view_item', 'a', 2), at('view_item', 'b', 3)]).segment).toBe('engaged');
    expect(deriveProfile([at('add_to_cart', 'a', 1)]).segment).toBe('cart');
    expect(deriveProfile([at('purchase', 'a', 1)]).segment).toBe('buyer');
    expect(deriveProfile([at('purchase', 'a', 1), at('purchase', 'b', 4)]).segment).toBe('repeat-buyer');
  });
});
