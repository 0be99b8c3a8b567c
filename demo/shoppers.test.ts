import { describe, expect, it } from 'vitest';
import { topCategory } from '../core/catalog.ts';
import { complements, demoCatalog } from './catalog.ts';
import { simulateShoppers } from './shoppers.ts';

const catalog = demoCatalog();
const byId = new Map(catalog.products.map((p) => [p.id, p]));

/** Share of consecutive pairs (a, b) for which `related(a, b)`, and what uniform picks would give. */
function transitions(shoppers: string[][], related: (a: string, b: string) => boolean, chance: (a: string) => number) {
  let hits = 0;
  let expected = 0;
  let steps = 0;
  for (const seq of shoppers) {
    for (let i = 1; i < seq.length; i++) {
      steps++;
      if (related(seq[i - 1]!, seq[i]!)) hits++;
      expected += chance(seq[i - 1]!);
    }
  }
  return { observed: hits / steps, chance: expected / steps };
}

describe('simulated shoppers', () => {
  it('are the same for the same seed and differ for another', () => {
    expect(simulateShoppers(catalog, 200, 3)).toEqual(simulateShoppers(catalog, 200, 3));
    expect(simulateShoppers(catalog, 200, 4)).not.toEqual(simulateShoppers(catalog, 200, 3));
  });

  it('have histories of 5 to 40 catalog items, never the same item twice in a row', () => {
    const shoppers = simulateShoppers(catalog, 2000, 1);
    expect(shoppers).toHaveLength(2000);
    const lengths = shoppers.map((s) => s.length);
    expect(Math.min(...lengths)).toBe(5);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(40);
    expect(Math.max(...lengths)).toBeGreaterThan(30);
    const unknown = shoppers.flat().filter((id) => !byId.has(id));
    const repeats = shoppers.filter((seq) => seq.some((id, i) => id === seq[i - 1]));
    expect(unknown).toEqual([]);
    expect(repeats).toEqual([]);
  });

  it('move on to a complement of the last item far more often than chance', () => {
    const { observed, chance } = transitions(
      simulateShoppers(catalog, 2000, 1),
      (a, b) => complements(a).includes(b),
      (a) => complements(a).length / catalog.products.length,
    );
    expect(observed).toBeGreaterThan(0.35);
    expect(observed).toBeGreaterThan(10 * chance);
  });

  it('browse in runs within a category', () => {
    const categories = new Set(catalog.products.map(topCategory)).size;
    const { observed } = transitions(
      simulateShoppers(catalog, 2000, 2),
      (a, b) => topCategory(byId.get(a)!) === topCategory(byId.get(b)!),
      () => 1 / categories,
    );
    expect(observed).toBeGreaterThan(0.6);
  });

  it('pick popular items more often: the top decile of items gets a large share of visits', () => {
    const visits = new Map<string, number>();
    for (const id of simulateShoppers(catalog, 3000, 5).flat()) visits.set(id, (visits.get(id) ?? 0) + 1);
    const counts = [...visits.values()].sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top = counts.slice(0, Math.ceil(catalog.products.length / 10)).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThan(0.25);
  });

  it('mostly skip out-of-stock items', () => {
    const out = new Set(catalog.products.filter((p) => p.availability === 'out_of_stock').map((p) => p.id));
    const items = simulateShoppers(catalog, 2000, 6).flat();
    const share = items.filter((id) => out.has(id)).length / items.length;
    expect(share).toBeLessThan(0.01);
    expect(out.size / catalog.products.length).toBeGreaterThan(10 * share);
  });

  it('work on a catalog without complements and reject impossible requests', () => {
    const other = { updatedAt: catalog.updatedAt, products: catalog.products.map((p) => ({ ...p, id: `x-${p.id}` })) };
    expect(simulateShoppers(other, 50, 1).flat().every((id) => id.startsWith('x-'))).toBe(true);
    expect(() => simulateShoppers(catalog, -1, 1)).toThrow(/count must be a non-negative integer/);
    expect(() => simulateShoppers({ updatedAt: '', products: [catalog.products[0]!] }, 1, 1)).toThrow(/at least 2 products/);
    expect(simulateShoppers(catalog, 0, 1)).toEqual([]);
  });
});
