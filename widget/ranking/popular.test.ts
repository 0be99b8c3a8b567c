import { describe, expect, it } from 'vitest';
import type { Catalog, Product } from '../../core/catalog.ts';
import { cardCatalog } from './card-catalog.ts';
import { popularEvidence } from './popular.ts';

const product = (id: string, item_group_id?: string): Product => ({
  id,
  ...(item_group_id !== undefined && { item_group_id }),
  title: id,
  link: `/p/${id}`,
  image_link: '/i.png',
  price: 10,
  currency: 'EUR',
  availability: 'in_stock',
  product_type: 'Apparel',
});
const catalog: Catalog = { updatedAt: '', products: [product('jacket-s', 'jacket'), product('jacket-m', 'jacket'), product('jacket-l', 'jacket'), product('mug')] };
const { key } = cardCatalog(catalog);

describe('popularEvidence', () => {
  it('gives a variant group\'s card the evidence of a list naming another of its variants', () => {
    const evidence = popularEvidence({ updatedAt: '', trending: [{ id: 'jacket-l', score: 14 }], bestsellers: [{ id: 'jacket-s', score: 2 }, { id: 'mug', score: 1 }] }, key);
    // The card shows size S or M; the lists name L and S; the group key itself is asked too.
    for (const id of ['jacket-s', 'jacket-m', 'jacket-l', 'jacket']) {
      expect(evidence.trendingScore(id), id).toBe(14);
      expect(evidence.bestseller(id), id).toBe(true);
    }
    expect(evidence.bestseller('mug')).toBe(true);
    expect(evidence.trendingScore('mug')).toBeUndefined();
  });

  it('reads a group listed twice by its best-placed variant, as ranking does', () => {
    const evidence = popularEvidence({ updatedAt: '', trending: [{ id: 'jacket-m', score: 12 }, { id: 'jacket-s', score: 4 }], bestsellers: [] }, key);
    expect(evidence.trendingScore('jacket-s')).toBe(12);
  });

  it('gives no evidence to items on no list, and compares ids as they are without a catalog', () => {
    const evidence = popularEvidence({ updatedAt: '', trending: [{ id: 'jacket-l', score: 14 }], bestsellers: [{ id: 'jacket-l', score: 1 }] }, (id) => id);
    expect(evidence.trendingScore('jacket-m')).toBeUndefined();
    expect(evidence.bestseller('jacket-m')).toBe(false);
    expect(evidence.trendingScore('jacket-l')).toBe(14);
    expect(evidence.bestseller('mug')).toBe(false);
  });
});
