/**
 * A product the model ranked from its content alone keeps that mark from the model's answer to the card
 * (`Runtime.recommend` → `placementRows` → `Ranked.fromContent`), which is what restricts its copy.
 */
import { describe, expect, it } from 'vitest';
import type { Product } from '../../core/catalog.ts';
import type { ShopEvent } from '../../core/events.ts';
import { modelBasis } from '../runtime/basis.ts';
import type { Recommended } from '../runtime/index.ts';
import { cardCatalog } from './card-catalog.ts';
import { modelItems } from './model-items.ts';
import { placementRows } from './placements.ts';
import { deriveProfile } from './profile.ts';

const P = (id: string, extra: Partial<Product> = {}): Product => ({
  id, title: id, link: `/p/${id}`, image_link: '/i', price: 10, currency: 'EUR', availability: 'in_stock', product_type: 'Outdoor > Stoves', ...extra,
});
const catalog = cardCatalog({
  updatedAt: '',
  products: [P('a'), P('b'), P('c'), P('new-s', { item_group_id: 'new' }), P('new-m', { item_group_id: 'new' })],
});
/** The model's own items, then the new group it ranks from its features (as `Runtime.newItems` says). */
const ids = ['a', 'b', 'c', 'new'];
const events: ShopEvent[] = [{ name: 'view_item', ts: 1, items: [{ item_id: 'a' }] }];

describe('placementRows with a model that ranks new products from their content', () => {
  it('marks the card of a product ranked from its content, the variant its card shows included, and no other', async () => {
    const answer: Recommended[] = [{ id: 'new', score: 3, fromContent: true }, { id: 'b', score: 2 }];
    const rows = await placementRows({
      placement: 'for-you',
      count: 3,
      profile: deriveProfile(events, (id) => catalog.products.get(id), Date.now(), catalog.key),
      rules: { maxPerCategory: 0 },
      itemId: undefined,
      exclude: new Set(),
      catalog,
      popular: { updatedAt: '', trending: [], bestsellers: [] },
      model: { basis: (h) => modelBasis(h, new Set(ids), 10), recommend: async () => answer },
      modelItems: () => modelItems(ids, catalog),
      byCategory: true,
      warn: () => undefined,
    });
    expect(rows.map((r) => [r.product.id, r.tier, r.fromContent ?? false])).toEqual([
      ['new-s', 'personal', true],
      ['b', 'personal', false],
      ['a', 'catalog', false],
    ]);
  });
});
