/**
 * Synthetic shopper histories for the demo's default model. Real shops train on their own event logs;
 * the demo has none, so it simulates shoppers whose behaviour has the structure a sequential recommender
 * is meant to pick up, and the demo can then show that structure being learned on-device.
 */
import { topCategory, type Catalog, type Product } from '../core/catalog.ts';
import { rng } from '../core/random.ts';
import { complements } from './catalog.ts';

/**
 * How a simulated shopper picks the next item. The four moves sum to 1; the complement move falls through
 * to browsing when an item has no complements.
 */
const MOVES = {
  /** Something that goes with the current item (shampoo -> conditioner): the sequential signal. */
  complement: 0.45,
  /** Another item of the current category: browsing runs. */
  sameCategory: 0.3,
  /** Back to one of the shopper's favourite categories. */
  favourite: 0.17,
  /** Anything in the shop: noise a model has to tolerate. */
  explore: 0.08,
};

/** Zipf exponent of item popularity within a category (rank r has weight 1 / r^s; s = 1 is classic Zipf). */
const ZIPF_S = 1;
/** Out-of-stock items are mostly skipped, not never: a shopper can land on one from an old link. */
const OUT_OF_STOCK_WEIGHT = 0.02;
/** Weight of an item in the shopper's price tier, the tiers next to it, and two tiers away. */
const TIER_WEIGHT = [3, 1, 0.3];
/** Share of budget, mid-range and premium shoppers. */
const BANDS = [0.35, 0.45, 0.2];
/** A shopper does not go back to one of the last few items straight away. */
const RECENT = 4;

/** Draws indices with probability proportional to weight: cumulative sums and a binary search. */
class Sampler {
  private readonly cumulative: Float64Array;

  constructor(
    private readonly items: Int32Array,
    weights: readonly number[],
  ) {
    this.cumulative = new Float64Array(items.length);
    let total = 0;
    weights.forEach((w, i) => (this.cumulative[i] = total += w));
  }

  draw(random: () => number): number {
    const target = random() * this.cumulative[this.cumulative.length - 1]!;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

/** Price tier of each product within its product type: 0 budget, 1 mid-range, 2 premium. */
function priceTiers(products: readonly Product[]): Map<string, number> {
  const byType = new Map<string, Product[]>();
  for (const p of products) byType.set(p.product_type, [...(byType.get(p.product_type) ?? []), p]);
  const tiers = new Map<string, number>();
  for (const group of byType.values()) {
    const sorted = [...group].sort((a, b) => (a.sale_price ?? a.price) - (b.sale_price ?? b.price));
    sorted.forEach((p, i) => tiers.set(p.id, sorted.length === 1 ? 1 : Math.min(2, Math.floor((3 * i) / sorted.length))));
  }
  return tiers;
}

/**
 * Simulates `count` shoppers and returns each one's item ids in time order (5 to 40 items, no item twice
 * in a row). Deterministic for a given catalog and `seed`.
 *
 * Each shopper has one or two favourite categories and a price tier, browses in runs within a category,
 * after an item often moves on to one of `complements(item)`, meets popular items more often (Zipf-like
 * over the catalog's bestseller-first order) and mostly skips out-of-stock items. Complements come from
 * the demo catalog; with another catalog the shoppers simply browse.
 *
 * @example simulateShoppers(demoCatalog(), 3000, 7) // [['sku-0002', 'sku-0012', ...], ...]
 * @throws RangeError when `count` is not a non-negative integer or the catalog has fewer than 2 products.
 */
export function simulateShoppers(catalog: Catalog, count: number, seed: number): string[][] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer (got ${count})`);
  const products = catalog.products;
  if (products.length < 2) throw new RangeError(`simulateShoppers needs at least 2 products (got ${products.length})`);
  const random = rng(seed);

  // Items are handled by catalog index, with samplers built once per call: 20k shoppers take ~0.1 s.
  const n = products.length;
  const categories = [...new Set(products.map(topCategory))];
  const categoryOf = Int32Array.from(products, (p) => categories.indexOf(topCategory(p)));
  const tiers = priceTiers(products);
  const rank = new Int32Array(n);
  const perCategory = new Int32Array(categories.length);
  for (let i = 0; i < n; i++) rank[i] = ++perCategory[categoryOf[i]!]!;
  const index = new Map(products.map((p, i) => [p.id, i]));
  const samplerOf = (items: number[], band: number): Sampler | null =>
    items.length === 0
      ? null
      : new Sampler(
          Int32Array.from(items),
          items.map(
            (i) =>
              (products[i]!.availability === 'out_of_stock' ? OUT_OF_STOCK_WEIGHT : 1) *
              rank[i]! ** -ZIPF_S *
              TIER_WEIGHT[Math.abs(tiers.get(products[i]!.id)! - band)]!,
          ),
        );
  const all = [...products.keys()];
  const inCategory = categories.map((_, c) => [0, 1, 2].map((band) => samplerOf(all.filter((i) => categoryOf[i] === c), band)!));
  const goesWith = products.map((p) => {
    const items = complements(p.id).flatMap((id) => index.get(id) ?? []);
    return [0, 1, 2].map((band) => samplerOf(items, band));
  });
  const pick = (size: number): number => Math.floor(random() * size);

  const shoppers: string[][] = [];
  for (let s = 0; s < count; s++) {
    const favourites = random() < 0.6 ? [pick(categories.length)] : [pick(categories.length), pick(categories.length)];
    const u = random();
    const band = u < BANDS[0]! ? 0 : u < BANDS[0]! + BANDS[1]! ? 1 : 2;
    // Most sessions are short and a few are long, as in real logs.
    const length = 5 + Math.floor(random() ** 1.7 * 36);
    const seq = [inCategory[favourites[0]!]![band]!.draw(random)];
    while (seq.length < length) {
      const current = seq[seq.length - 1]!;
      let next = current;
      for (let attempt = 0; attempt < 4 && seq.lastIndexOf(next) >= seq.length - RECENT; attempt++) {
        const r = random();
        const complement = r < MOVES.complement ? goesWith[current]![band] : null;
        if (complement) next = complement.draw(random);
        else if (r < MOVES.complement + MOVES.sameCategory) next = inCategory[categoryOf[current]!]![band]!.draw(random);
        else if (r < 1 - MOVES.explore) next = inCategory[favourites[pick(favourites.length)]!]![band]!.draw(random);
        else next = inCategory[pick(categories.length)]![band]!.draw(random);
      }
      // A shopper stuck on one item (a category of one) moves anywhere else in the shop.
      if (next === current) next = (current + 1 + pick(n - 1)) % n;
      seq.push(next);
    }
    shoppers.push(seq.map((i) => products[i]!.id));
  }
  return shoppers;
}
