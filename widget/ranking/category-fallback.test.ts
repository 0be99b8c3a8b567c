/**
 * A product page's similar row without the model's picks (a first visit, before the model runs): the
 * product's own category comes before the shop's overall lists, then its parent category, then the rest.
 */
import { describe, expect, it } from 'vitest';
import type { Product } from '../../core/catalog.ts';
import { cardCatalog } from './card-catalog.ts';
import { modelItems } from './model-items.ts';
import { placementRows } from './placements.ts';
import { deriveProfile } from './profile.ts';

const P = (id: string, product_type: string, extra: Partial<Product> = {}): Product => ({
  id, title: id, link: `/p/${id}`, image_link: '/i', price: 10, currency: 'EUR', availability: 'in_stock', product_type, ...extra,
});
const catalog = cardCatalog({
  updatedAt: '',
  products: [
    P('lamp', 'Home > Lamps'),
    P('pot', 'Outdoor > Cookware > Pots'),
    P('stove-a', 'Outdoor > Cookware > Stoves'),
    P('tent', 'Outdoor > Tents'),
    P('stove-b', 'outdoor > cookware >stoves'),
    P('pan', 'Outdoor > Cookware > Pans'),
    P('stove-c', 'Outdoor > Cookware > Stoves', { availability: 'out_of_stock' }),
    P('bare', ''),
  ],
});

const rows = (itemId: string | undefined, placement: 'similar' | 'for-you' = 'similar', bestsellers: string[] = [], byCategory = true) =>
  placementRows({
    placement,
    count: 5,
    profile: deriveProfile([], (id) => catalog.products.get(id), Date.now(), catalog.key),
    rules: { maxPerCategory: 0 },
    itemId,
    exclude: new Set(itemId ? [itemId] : []),
    catalog,
    popular: { updatedAt: '', trending: [], bestsellers: bestsellers.map((id, i) => ({ id, score: 10 - i })) },
    model: undefined,
    modelItems: () => modelItems([], catalog),
    byCategory,
    warn: () => undefined,
  }).then((r) => r.map((x) => `${x.product.id}:${x.tier}`));

describe('the similar row without the model', () => {
  it('shows the product\'s own category first (case and spacing aside), then its parent category, then the shop\'s lists', async () => {
    expect(await rows('stove-a', 'similar', ['lamp'])).toEqual(['stove-b:category', 'pot:category', 'pan:category', 'lamp:bestseller', 'tent:catalog']);
  });

  it('is the shop\'s lists alone where the product has no category, or another row asks', async () => {
    expect(await rows('bare', 'similar', ['tent'])).toEqual(['tent:bestseller', 'lamp:catalog', 'pot:catalog', 'stove-a:catalog', 'stove-b:catalog']);
    expect((await rows('stove-a', 'for-you')).every((r) => !r.endsWith(':category'))).toBe(true);
    // An experiment's control row: the merchant's own fallback, bestsellers then catalog order.
    expect(await rows('stove-a', 'similar', ['lamp'], false)).toEqual(['lamp:bestseller', 'pot:catalog', 'tent:catalog', 'stove-b:catalog', 'pan:catalog']);
  });
});
