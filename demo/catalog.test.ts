import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { parseCatalog, topCategory, type Catalog } from '../core/catalog.ts';
import { complements, demoCatalog, demoCategories, productType } from './catalog.ts';
import { categorySlug, DEMO_CATEGORIES } from './categories.ts';

const products = demoCatalog().products;
const byId = new Map(products.map((p) => [p.id, p]));
const titlesOf = (ids: string[]): string[] => ids.map((id) => byId.get(id)!.title);

describe('demo catalog', () => {
  it('passes parseCatalog after a JSON round trip, as the widget receives it', () => {
    expectTypeOf(demoCatalog).returns.toEqualTypeOf<Catalog>();
    const parsed = parseCatalog(JSON.parse(JSON.stringify(demoCatalog())));
    expect(parsed).toEqual(demoCatalog());
  });

  it('holds at least 240 products in at least 10 top-level categories, in shop order', () => {
    expect(products.length).toBeGreaterThanOrEqual(240);
    const categories = new Set(products.map(topCategory));
    expect(categories.size).toBeGreaterThanOrEqual(10);
    expect(demoCategories()).toEqual(DEMO_CATEGORIES.map((c) => c.name));
    expect(new Set(demoCategories())).toEqual(categories);
  });

  it('is identical on every build', async () => {
    vi.resetModules();
    const fresh = (await import('./catalog.ts')) as typeof import('./catalog.ts');
    expect(fresh.demoCatalog).not.toBe(demoCatalog);
    expect(JSON.stringify(fresh.demoCatalog())).toBe(JSON.stringify(demoCatalog()));
  });

  it('uses sku ids, product links and image links the demo server serves', () => {
    products.forEach((p, i) => {
      expect(p.id).toBe(`sku-${String(i + 1).padStart(4, '0')}`);
      expect(p.link).toBe(`/p/${p.id}`);
      expect(p.image_link).toBe(`/demo/img/${p.id}.svg`);
      expect(p.currency).toBe('EUR');
      expect(p.brand).toBeTruthy();
    });
    expect(new Set(products.map((p) => p.title)).size).toBe(products.length);
  });

  it('prices like a shop: charm endings, sale prices below regular prices', () => {
    for (const p of products) {
      expect(Math.round(p.price * 100) % 100).toBeGreaterThanOrEqual(49);
      if (p.sale_price !== undefined) expect(p.sale_price).toBeLessThan(p.price);
    }
    const onSale = products.filter((p) => p.sale_price !== undefined).length / products.length;
    expect(onSale).toBeGreaterThan(0.1);
    expect(onSale).toBeLessThan(0.2);
  });

  it('has about 5% out of stock, some low-stock items and no stock count that contradicts availability', () => {
    const out = products.filter((p) => p.availability === 'out_of_stock');
    expect(out.length / products.length).toBeCloseTo(0.05, 2);
    const low = products.filter((p) => p.stock !== undefined && p.stock >= 1 && p.stock <= 5);
    expect(low.length).toBeGreaterThanOrEqual(10);
    for (const p of low) expect(p.availability).toBe('in_stock');
    for (const p of out) expect(p.stock).toBeUndefined();
  });

  it('names each category page with a unique slug', () => {
    const slugs = demoCategories().map(categorySlug);
    expect(new Set(slugs).size).toBe(slugs.length);
    expect(categorySlug('Coffee & tea')).toBe('coffee-tea');
    expect(categorySlug('Maison Cèdre')).toBe('maison-cedre');
  });
});

describe('complements', () => {
  const find = (title: string) => products.find((p) => p.title.includes(title))!;

  it('relates products by what they are bought with', () => {
    expect(titlesOf(complements(find('Volume Shampoo').id)).every((t) => t.includes('Conditioner'))).toBe(true);
    expect(titlesOf(complements(find('Conical Burr Grinder').id)).some((t) => t.includes('Beans'))).toBe(true);
    expect(titlesOf(complements(find('Alpine Lake 1000-Piece Jigsaw').id))).toContain('Ravenhill Roll-up Puzzle Mat');
    expect(productType(find('Paddling Pool').id)).toBe('Water play');
    expect(complements(find('Paddling Pool').id).map(productType)).toContain('Sun care');
  });

  it('gives every product something that goes with it, never itself, only catalog ids', () => {
    for (const p of products) {
      const ids = complements(p.id);
      expect(ids.length, p.title).toBeGreaterThan(0);
      expect(ids).not.toContain(p.id);
      for (const id of ids) expect(byId.has(id)).toBe(true);
    }
  });

  it('lists bestsellers first and is empty for unknown ids', () => {
    const ids = complements(find('Volume Shampoo').id);
    expect(ids).toEqual([...ids].sort());
    expect(complements('no-such-id')).toEqual([]);
  });
});
