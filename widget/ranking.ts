/**
 * Ranking as pure functions: from candidate lists (the model's, the server's aggregates, the catalog's
 * order) and the merchant's rules to the cards of one row. Deterministic: the same inputs give the same
 * row, and ties keep list order, so a row never reshuffles on its own.
 */
import type { Product } from '../core/catalog.ts';
import type { Boost, RuleSet } from './merchant.ts';

/**
 * Where a card came from, in fallback order:
 * - `personal`: the model, after the shopper's history (`cart`: after the cart's contents);
 * - `similar`: the model, after the product on screen alone;
 * - `trending`, `bestseller`: the edge server's aggregate lists (`GET /v1/popular`);
 * - `catalog`: the catalog's own order (merchants list bestsellers first);
 * - `history`: the shopper's own viewed items (`recently-viewed`);
 * - `pinned`: a merchant `pin` rule.
 */
export type Tier = 'personal' | 'similar' | 'trending' | 'bestseller' | 'catalog' | 'history' | 'pinned';

export interface Candidate {
  id: string;
  /** Higher is better; only the order within one list matters. */
  score: number;
}

export interface CandidateList {
  tier: Tier;
  items: readonly Candidate[];
}

export interface Ranked {
  product: Product;
  tier: Tier;
  /** A boost rule with `by` > 0 matched it. */
  boosted: boolean;
}

export interface RankInput {
  count: number;
  /** Every product, in catalog order. */
  catalog: ReadonlyMap<string, Product>;
  /** Ids that must not be shown: purchased, in the cart, on screen. Out-of-stock products are dropped anyway. */
  exclude: ReadonlySet<string>;
  /** Candidate lists in fallback order; the catalog's order is appended as the last resort. */
  lists: readonly CandidateList[];
  rules: RuleSet;
}

const norm = (s: string): string => s.trim().toLowerCase();

/** Whether `product_type` is `category` or under it (`Beauty` matches `Beauty > Hair`). Case-insensitive. */
export function inCategory(productType: string, category: string): boolean {
  const p = norm(productType).replace(/\s*>\s*/g, ' > ');
  const c = norm(category).replace(/\s*>\s*/g, ' > ');
  return p === c || p.startsWith(`${c} > `);
}

/** Whether rules and stock allow `product` to be shown at all (exclusions are hard: never relaxed). */
export function allowed(product: Product, rules: RuleSet, exclude: ReadonlySet<string>): boolean {
  if (product.availability === 'out_of_stock' || exclude.has(product.id)) return false;
  if (rules.exclude?.some((c) => inCategory(product.product_type, c))) return false;
  if (rules.include && rules.include.length > 0 && !rules.include.some((c) => inCategory(product.product_type, c))) return false;
  return true;
}

function boostMatches(b: Boost, p: Product): boolean {
  if (b.category !== undefined && !inCategory(p.product_type, b.category)) return false;
  if (b.brand !== undefined && norm(p.brand ?? '') !== norm(b.brand)) return false;
  if (b.ids !== undefined && !b.ids.includes(p.id)) return false;
  return true;
}

/** Sum of the `by` of every boost rule matching `p`. */
export function boostOf(p: Product, boosts: readonly Boost[] | undefined): number {
  let by = 0;
  for (const b of boosts ?? []) if (boostMatches(b, p)) by += b.by;
  return by;
}

/**
 * The row: candidates in fallback-chain order (each list a tier; within a tier by relevance normalised to
 * 0..1 plus the merchant's boost), each product once, at most `maxPerCategory` per `product_type` unless
 * the row cannot be filled otherwise, pinned products at their positions, cut to `count`. Empty only when
 * no product in the catalog may be shown.
 */
export function rank(input: RankInput): Ranked[] {
  const { count, catalog, exclude, rules } = input;
  if (count <= 0) return [];
  const pinned = new Set((rules.pin ?? []).map((p) => p.id));
  const seen = new Set<string>();
  const ordered: Ranked[] = [];
  /** Enough candidates for a diverse row: stop walking the (long) catalog tier there. */
  const enough = count * 8;
  for (const list of input.lists) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const { score } of list.items) {
      if (!Number.isFinite(score)) continue;
      lo = Math.min(lo, score);
      hi = Math.max(hi, score);
    }
    const span = hi - lo;
    const tier: Array<{ r: Ranked; key: number; at: number }> = [];
    list.items.forEach((c, at) => {
      if (seen.has(c.id) || pinned.has(c.id)) return;
      const product = catalog.get(c.id);
      if (!product || !allowed(product, rules, exclude)) return;
      seen.add(c.id);
      const by = boostOf(product, rules.boost);
      // Equal scores (or one candidate) normalise to 1: the boost alone then decides among them.
      const relevance = span > 0 && Number.isFinite(c.score) ? (c.score - lo) / span : 1;
      // A hair over 1 so that `by: 1` beats the tier's best unboosted product rather than tying with it.
      tier.push({ r: { product, tier: list.tier, boosted: by > 0 }, key: relevance + by * 1.001, at });
    });
    tier.sort((a, b) => b.key - a.key || a.at - b.at);
    for (const t of tier) ordered.push(t.r);
  }
  if (ordered.length < enough) {
    // The catalog's own order, last resort. Boosts reorder what is taken from it; walking stops early
    // (a 12k catalog is mostly never looked at), so a boost reaches the first `enough` eligible products.
    const tier: Array<{ r: Ranked; key: number; at: number }> = [];
    let at = 0;
    for (const product of catalog.values()) {
      if (ordered.length + tier.length >= enough) break;
      at++;
      if (seen.has(product.id) || pinned.has(product.id) || !allowed(product, rules, exclude)) continue;
      const by = boostOf(product, rules.boost);
      tier.push({ r: { product, tier: 'catalog', boosted: by > 0 }, key: 1 - at / catalog.size + by * 1.001, at });
    }
    tier.sort((a, b) => b.key - a.key || a.at - b.at);
    for (const t of tier) ordered.push(t.r);
  }

  const max = rules.maxPerCategory ?? 3;
  let row: Ranked[] = ordered;
  if (max > 0) {
    const perCategory = new Map<string, number>();
    const diverse: Ranked[] = [];
    const skipped: Ranked[] = [];
    for (const r of ordered) {
      if (diverse.length >= count) break;
      const c = perCategory.get(r.product.product_type) ?? 0;
      if (c >= max) skipped.push(r);
      else {
        perCategory.set(r.product.product_type, c + 1);
        diverse.push(r);
      }
    }
    // Never empty because of diversity: fill with the best of what it held back, in their tier order.
    row = [...diverse, ...skipped.slice(0, Math.max(0, count - diverse.length))];
  }
  row = row.slice(0, count);

  const pins = [...(rules.pin ?? [])].sort((a, b) => a.position - b.position);
  for (const pin of pins) {
    const product = catalog.get(pin.id);
    if (!product || !allowed(product, rules, exclude) || row.some((r) => r.product.id === pin.id)) continue;
    row.splice(Math.min(pin.position - 1, row.length), 0, { product, tier: 'pinned', boosted: false });
  }
  return row.slice(0, count);
}
