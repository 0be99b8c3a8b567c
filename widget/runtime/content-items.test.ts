/**
 * Which catalog products a model with content features ranks beyond its own items (`content-items.ts`):
 * the new ones, by variant group, embedded from the features the trainer would give them.
 */
import { describe, expect, it } from 'vitest';
import type { Product } from '../../core/catalog.ts';
import { buildItemFeatures, checkItemFeatures, featuresOf, priceBand, productFeatureNames } from '../../core/model/features.ts';
import { contentItems } from './content-items.ts';

const P = (id: string, product_type: string, extra: Partial<Product> = {}): Product => ({
  id, title: id, link: `/p/${id}`, image_link: '/i', price: 10, currency: 'EUR', availability: 'in_stock', product_type, ...extra,
});
/** The model's items: a, b, c (c held out of training). */
const trained = [P('a', 'Outdoor > Stoves', { brand: 'Flame' }), P('b', 'Outdoor > Cookware', { brand: 'Flame' }), P('c', 'Outdoor > Cookware', { brand: 'Pan Co' })];
const features = buildItemFeatures(trained.map(productFeatureNames), 1);
const model = { itemIds: ['a', 'b', 'c'], features, coldItems: ['c'] };
const names = (f: typeof features, i: number): string[] => [...featuresOf(f, i)].map((k) => f.names[k - 1]!);

describe('contentItems', () => {
  it('appends the catalog\'s new products after the model\'s items, each with its known features, and marks them and the held-out items', () => {
    const stove = P('stove-2', 'Outdoor > Stoves', { brand: 'Flame', price: 40 });
    const items = contentItems(model, { products: [...trained, stove] });
    expect(items.ids).toEqual(['a', 'b', 'c', 'stove-2']);
    expect(items.newItems).toEqual(['stove-2']);
    expect([...items.fromContent].sort()).toEqual(['c', 'stove-2']);
    expect(items.withoutId).toEqual([3]);
    // The model's own items keep the features they were trained with; the new one gets what the vocabulary holds of its own.
    for (const i of [1, 2, 3]) expect(names(items.features, i)).toEqual(names(features, i));
    expect(names(items.features, 4).sort()).toEqual(['brand:flame', 'cat:outdoor', 'cat:outdoor > stoves'].sort());
    expect(features.names).not.toContain(`price:${priceBand(40)}`);
    expect(() => checkItemFeatures(items.features, 4, features.names.length)).not.toThrow();
  });

  it('leaves out a product of which the vocabulary knows no feature', () => {
    const items = contentItems(model, { products: [...trained, P('lamp', 'Home > Lamps', { brand: 'Glow', price: 99 })] });
    expect(items.newItems).toEqual([]);
    expect(items.ids).toEqual(['a', 'b', 'c']);
  });

  it('appends a new variant group once, as its group key with its variants\' features, and none of a group the model knows', () => {
    const products = [
      // A new size of a group the model knows by a variant's id: ranked through that row (`model-items.ts`).
      P('a', 'Outdoor > Stoves', { item_group_id: 'a-group', brand: 'Flame' }),
      P('a-xl', 'Outdoor > Stoves', { item_group_id: 'a-group', brand: 'Flame' }),
      trained[1]!,
      trained[2]!,
      // A new group: the features of all its variants, as the trainer gives a group, in stock or not.
      P('pot-s', 'Outdoor > Cookware', { item_group_id: 'pot', availability: 'out_of_stock', brand: 'Flame', price: 40 }),
      P('pot-m', 'Outdoor > Cookware', { item_group_id: 'pot', brand: 'Pan Co' }),
    ];
    const items = contentItems(model, { products });
    expect(items.newItems).toEqual(['pot']);
    // Both variants' brands; pot-s's price band (40) is none the model was trained with, pot-m's (10) is.
    expect(names(items.features, 4).sort()).toEqual(['brand:flame', 'brand:pan co', 'cat:outdoor', 'cat:outdoor > cookware', `price:${priceBand(10)}`].sort());
  });

  it('ranks only the model\'s items without a catalog', () => {
    const items = contentItems({ itemIds: ['a', 'b', 'c'], features }, undefined);
    expect(items.ids).toEqual(['a', 'b', 'c']);
    expect(items.withoutId).toEqual([]);
    expect(items.fromContent.size).toBe(0);
    expect(items.features).toBe(features);
  });
});
