import { topCategory, type Catalog } from '../core/catalog.ts';
import { rng } from '../core/random.ts';
import { complements } from './catalog.ts';

/**
 * Synthetic shopper histories (item ids in time order) with structure a sequential model can learn:
 * each shopper has one or two favourite categories and a price band, browses in runs within a category,
 * and after an item often moves on to something that goes with it (shampoo -> conditioner). Popular items
 * come up more often (Zipf-like). Used to train the demo's default model; real shops train on real logs.
 */
export function simulateShoppers(catalog: Catalog, count: number, seed: number): string[][] {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const available = catalog.products.filter((p) => p.availability !== 'out_of_stock');
  const byCategory = new Map<string, typeof available>();
  for (const p of available) byCategory.set(topCategory(p), [...(byCategory.get(topCategory(p)) ?? []), p]);
  const categories = [...byCategory.keys()];
  const inStock = new Set(available.map((p) => p.id));
  const next = new Map(available.map((p) => [p.id, complements(p.id).filter((id) => inStock.has(id))]));
  // Zipf-like popularity within each category and budget: the i-th product has weight 1/(i+1).
  const pools = new Map<string, { ids: string[]; cumulative: number[] }>();
  const zipf = (category: string, budget: number): string => {
    const key = `${category}|${budget}`;
    let pool = pools.get(key);
    if (!pool) {
      const items = byCategory.get(category)!;
      const affordable = items.filter((p) => (p.sale_price ?? p.price) <= budget);
      const ids = (affordable.length > 0 ? affordable : items).map((p) => p.id);
      let total = 0;
      pool = { ids, cumulative: ids.map((_, i) => (total += 1 / (i + 1))) };
      pools.set(key, pool);
    }
    const r = random() * pool.cumulative[pool.cumulative.length - 1]!;
    const at = pool.cumulative.findIndex((c) => c >= r);
    return pool.ids[at < 0 ? pool.ids.length - 1 : at]!;
  };
  const shoppers: string[][] = [];
  for (let s = 0; s < count; s++) {
    const favourites = random() < 0.6 ? [pick(categories)] : [pick(categories), pick(categories)];
    const budget = [25, 50, 130][Math.floor(random() * 3)]!;
    const length = 5 + Math.floor(random() ** 1.5 * 36);
    const seq: string[] = [];
    let current = zipf(favourites[0]!, budget);
    while (seq.length < length) {
      if (seq[seq.length - 1] !== current) seq.push(current);
      const r = random();
      const goesWith = next.get(current) ?? [];
      if (r < 0.55 && goesWith.length > 0) current = pick(goesWith);
      else if (r < 0.85) current = zipf(pick(favourites), budget);
      else current = zipf(pick(categories), budget);
    }
    shoppers.push(seq);
  }
  return shoppers;
}
